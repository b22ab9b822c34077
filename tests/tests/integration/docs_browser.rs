//! The /docs page in a real browser: headless Chromium, driven by Selenium from
//! tests/browser/docs_page.py, against a running stack (API, a worker, a simulated device).
//! Every operation of the document must be rendered with its summary, and a Try-it-out
//! `POST /v2/send-command` with Basic credentials must show the job accepted, then finished.
//!
//! Chromium and chromedriver are Debian's (`chromium`, `chromium-driver`), Selenium is in the
//! project venv: `scripts/bootstrap.sh` installs all three. Without them the test says it
//! skipped, unless `CI=true`, where that is a failure. The screenshots are saved in
//! `target/tmp/docs-browser/` (`docs-top.png`, the first screen; `docs.png`, the whole page),
//! replaced at each run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use naas_tests::{Stack, StackOptions};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const CHROMIUM: &str = "chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// The script's own waits are 30 s each; this bounds a browser that hangs.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(240);

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// Chromium, chromedriver and the venv's Python with Selenium, or what is missing.
fn browser_tools() -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let python = root.join(".tools/venv/bin/python");
    let mut missing = Vec::new();
    let chromium = on_path(CHROMIUM);
    let chromedriver = on_path(CHROMEDRIVER);
    if chromium.is_none() {
        missing.push("chromium (Debian package chromium)".to_owned());
    }
    if chromedriver.is_none() {
        missing.push("chromedriver (Debian package chromium-driver)".to_owned());
    }
    let selenium = Command::new(&python).args(["-c", "import selenium"]).stderr(Stdio::null()).status();
    if !selenium.is_ok_and(|status| status.success()) {
        missing.push(format!("selenium in {}", python.display()));
    }
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) if missing.is_empty() => Ok((python, chromium, chromedriver)),
        _ => Err(missing.join(", ")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_docs_page_renders_every_operation_and_runs_a_job_in_a_browser() {
    let (python, chromium, chromedriver) = match browser_tools() {
        Ok(tools) => tools,
        Err(missing) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true and the browser test cannot run: missing {missing} (scripts/bootstrap.sh)")
        }
        Err(missing) => {
            eprintln!("SKIPPED the browser test of /docs: missing {missing}; run scripts/bootstrap.sh");
            return;
        }
    };
    let stack = Stack::start(StackOptions::default()).await;
    let device = stack.device("r1").addr;
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-browser");
    // The last run's screenshots, gone: the ones checked below are this run's.
    let _ = std::fs::remove_dir_all(&out);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/docs_page.py");
    let mut command = Command::new(python);
    command
        .arg(script)
        .args(["--url", &stack.api_url])
        .args(["--device-port", &device.port().to_string()])
        .args(["--user", USER, "--password", PASS])
        .arg("--out")
        .arg(&out)
        .arg("--chromium")
        .arg(chromium)
        .arg("--chromedriver")
        .arg(chromedriver)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("the browser script starts");
        let started = Instant::now();
        while child.try_wait().expect("the browser script can be waited for").is_none() {
            if started.elapsed() > SCRIPT_DEADLINE {
                // The script's own process, started above; its browser exits with it.
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        child.wait_with_output().expect("the browser script's output")
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "the docs page failed in the browser (report above; screenshots in {})",
        out.display()
    );
    for screenshot in ["docs-top.png", "docs.png"] {
        assert!(out.join(screenshot).is_file(), "no {screenshot} in {}", out.display());
    }
}
