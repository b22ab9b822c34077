//! naasctl against a running stack (real nats-server, redis-server, the API and a worker
//! in process, simulated devices): the built `naasctl` binary as a user runs it, and the
//! library entry point in process where a test needs to look inside (a prompt, a
//! subscription that must be up before the job).

use std::path::PathBuf;
use std::time::Duration;

use naas_cli::{Console, Env, Exit};
use naas_sim::DeviceSpec;
use naas_tests::{ADMIN_SECRET, Stack, StackOptions};
use serde_json::Value;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

/// A scratch directory used as `$HOME` (config, history), removed on drop.
struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("naasctl-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The environment of a user of `stack` with device credentials in the environment.
fn user_env(stack: &Stack, home: &Home) -> Vec<(String, String)> {
    [
        ("HOME", home.0.display().to_string()),
        ("NAASCTL_URL", stack.api_url.clone()),
        ("NAASCTL_INSECURE_SKIP_VERIFY", "1".into()),
        ("NAASCTL_USERNAME", USER.into()),
        ("NAASCTL_PASSWORD", PASS.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs the `naasctl` binary with exactly `env` (nothing inherited).
async fn naasctl(env: &[(String, String)], args: &[&str]) -> Ran {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_naasctl"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), output).await.expect("naasctl ends").unwrap();
    Ran {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `naas_cli::run` in process with `console`.
async fn in_process(env: &[(String, String)], args: &[&str], console: &Console) -> Exit {
    let mut argv = vec!["naasctl"];
    argv.extend_from_slice(args);
    let env = Env::from_pairs(env.iter().cloned());
    tokio::time::timeout(Duration::from_secs(90), naas_cli::run(argv, &env, console)).await.expect("naasctl ends")
}

fn port(stack: &Stack, device: &str) -> String {
    stack.device(device).addr.port().to_string()
}

fn commands_on(stack: &Stack, device: &str) -> Vec<String> {
    stack.command_log.entries_for(device).into_iter().map(|r| r.command).collect()
}

fn job_id_in(text: &str) -> String {
    let start = text.find("job ").expect("a job id") + 4;
    text[start..start + 36].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_on_one_device_prints_the_output_and_remembers_the_job() {
    let stack = Stack::start(StackOptions::default()).await;
    let home = Home::new();
    let env = user_env(&stack, &home);
    let p = port(&stack, "r1");

    let ran = naasctl(&env, &["run", "127.0.0.1", "--port", &p, "show version", "show clock"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.starts_with("--- show version ---\n"), "{ran:?}");
    assert!(ran.stdout.contains("Cisco IOS Software") && ran.stdout.contains("--- show clock ---"), "{ran:?}");
    assert!(ran.stderr.contains(" submitted") && ran.stderr.contains("127.0.0.1: finished in"), "{ran:?}");
    let job_id = job_id_in(&ran.stderr);
    let sent = commands_on(&stack, "r1");
    assert!(sent.contains(&"show version".to_owned()) && sent.contains(&"show clock".to_owned()), "{sent:?}");

    // Polling instead of the event stream gives the same result; JSON is the job document.
    let ran = naasctl(&env, &["run", "127.0.0.1", "--port", &p, "--poll", "-o", "json", "show clock"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let document: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(document["status"], "finished");
    assert!(document["results"]["show clock"].is_string(), "{document}");

    let ran = naasctl(&env, &["job", "get", &job_id, "-o", "yaml"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let document: Value = serde_norway::from_str(&ran.stdout).unwrap();
    assert_eq!((document["job_id"].as_str(), document["status"].as_str()), (Some(job_id.as_str()), Some("finished")));

    let ran = naasctl(&env, &["job", "list"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let rows: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "a header and two jobs, newest first: {ran:?}");
    assert!(rows[0].starts_with("JOB_ID") && rows[2].starts_with(&job_id) && rows[2].contains("finished"), "{ran:?}");

    // The device refuses the login: the job fails, and the exit status says so.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| k != "NAASCTL_PASSWORD");
    wrong.push(("NAASCTL_PASSWORD".into(), "not-the-password".into()));
    let ran = naasctl(&wrong, &["run", "127.0.0.1", "--port", &p, "show version"]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("failed AUTH_FAILURE"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_inventory_group_fans_out_and_each_device_is_summarised() {
    let devices = vec![
        DeviceSpec::cisco_ios("r1", USER, PASS, PASS),
        DeviceSpec::cisco_ios("r2", USER, PASS, PASS),
        DeviceSpec::cisco_ios("r3", USER, "another-password", "another-password"),
    ];
    let stack = Stack::start(StackOptions { devices, worker_concurrency: 4, ..Default::default() }).await;
    let home = Home::new();
    let env = user_env(&stack, &home);
    let inventory = home.write(
        "devices.yaml",
        &format!(
            "groups:\n  core:\n    - {{host: 127.0.0.1, port: {}, name: r1}}\n    - {{host: 127.0.0.1, port: {}, name: r2}}\n    \
             - {{host: 127.0.0.1, port: {}, name: r3}}\n  edge:\n    - {{host: 127.0.0.1, port: {}, name: r2}}\n",
            port(&stack, "r1"),
            port(&stack, "r2"),
            port(&stack, "r3"),
            port(&stack, "r2"),
        ),
    );
    let inventory = inventory.display().to_string();

    let ran = naasctl(&env, &["run", "--inventory", &inventory, "--group", "core", "-o", "json", "show version"]).await;
    assert_eq!(ran.code, 1, "one device failed: {ran:?}");
    let summary: Vec<Value> = serde_json::from_str(&ran.stdout).unwrap();
    let rows: Vec<(&str, &str, Option<&str>)> = summary
        .iter()
        .map(|d| (d["device"].as_str().unwrap(), d["status"].as_str().unwrap(), d["error_code"].as_str()))
        .collect();
    assert_eq!(rows, [("r1", "finished", None), ("r2", "finished", None), ("r3", "failed", Some("AUTH_FAILURE"))]);
    assert!(summary[0]["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"));
    for device in ["r1", "r2", "r3"] {
        assert!(ran.stderr.contains(&format!("{device}: job ")), "per-device progress: {ran:?}");
    }
    assert!(ran.stderr.contains("[3/3] "), "{ran:?}");
    assert!(ran.stderr.contains("2 ok, 1 failed, 3 devices"), "{ran:?}");
    assert!(commands_on(&stack, "r1").contains(&"show version".to_owned()));
    assert!(commands_on(&stack, "r2").contains(&"show version".to_owned()));

    let ran = naasctl(&env, &["run", "-i", &inventory, "-g", "edge", "show clock"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let table: Vec<&str> = ran.stdout.lines().collect();
    assert!(table[0].starts_with("DEVICE") && table[0].contains("ERROR_CODE"), "{ran:?}");
    assert!(table.len() == 2 && table[1].starts_with("r2") && table[1].contains("finished"), "{ran:?}");

    let ran = naasctl(&env, &["run", "-i", &inventory, "-o", "yaml", "--concurrency", "1", "show clock"]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    let summary: Vec<Value> = serde_norway::from_str(&ran.stdout).unwrap();
    assert_eq!(summary.len(), 3, "every group, r2 once: {ran:?}");

    let ran = naasctl(&env, &["run", "-i", &inventory, "-g", "dist", "show clock"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("no group \"dist\"") && ran.stderr.contains("core, edge"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_config_file_is_pushed_and_saved_and_a_rejected_line_fails_the_push() {
    let stack = Stack::start(StackOptions::default()).await;
    let home = Home::new();
    let env = user_env(&stack, &home);
    let p = port(&stack, "r1");
    let changes = home.write(
        "changes.txt",
        "interface Loopback42\n description pushed-by-naasctl\r\n\n ip address 10.42.0.1 255.255.255.255\n",
    );

    let ran = naasctl(&env, &["config", "127.0.0.1", "--port", &p, "-f", changes.to_str().unwrap(), "--save"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "ok     interface Loopback42\nok      description pushed-by-naasctl\nok      ip address 10.42.0.1 255.255.255.255\n"
    );
    let sent = commands_on(&stack, "r1");
    assert!(sent.contains(&"description pushed-by-naasctl".to_owned()), "{sent:?}");
    assert!(sent.contains(&"write memory".to_owned()), "saved: {sent:?}");

    let bad = home.write("bad.txt", "interface Loopback43\nthis is not ios\n description never-sent\n");
    let ran = naasctl(&env, &["config", "127.0.0.1", "--port", &p, "-f", bad.to_str().unwrap()]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("error  this is not ios"), "{ran:?}");
    assert!(ran.stderr.contains("failed CONFIG_REJECTED"), "{ran:?}");
    assert!(!commands_on(&stack, "r1").contains(&"description never-sent".to_owned()));

    let ran = naasctl(&env, &["config", "127.0.0.1", "-f", home.0.join("absent.txt").to_str().unwrap()]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_keys_are_created_used_rotated_and_revoked_through_profiles() {
    let stack = Stack::start(StackOptions::default()).await;
    let home = Home::new();
    let config = home.write(
        "config.toml",
        &format!(
            "default_profile = \"ops\"\n\
             [profiles.admin]\nurl = \"{url}\"\ninsecure_skip_verify = true\nusername = \"admin\"\npassword_env = \"TEST_ADMIN_SECRET\"\n\
             [profiles.ops]\nurl = \"{url}\"\ninsecure_skip_verify = true\nusername = \"{USER}\"\npassword_file = \"device.password\"\ntoken_file = \"ops.token\"\n",
            url = stack.api_url
        ),
    );
    home.write("device.password", &format!("{PASS}\n"));
    let env: Vec<(String, String)> = vec![
        ("HOME".into(), home.0.display().to_string()),
        ("NAASCTL_CONFIG".into(), config.display().to_string()),
        ("TEST_ADMIN_SECRET".into(), ADMIN_SECRET.into()),
    ];
    let admin = |args: &[&str]| {
        let mut all = vec!["--profile", "admin"];
        all.extend_from_slice(args);
        all.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let env = env.clone();
        async move { naasctl(&env, &args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };

    let ran =
        run(admin(&["keys", "create", "--role", "operator", "--context", "default", "--name", "ci", "-o", "json"]))
            .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let created: Value = serde_json::from_str(&ran.stdout).unwrap();
    let key_id = created["key_id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["contexts"], serde_json::json!(["default"]));
    home.write("ops.token", &token);

    // The ops profile: the key authenticates, the device login goes in the body.
    let p = port(&stack, "r1");
    let ran = run(vec!["run".into(), "127.0.0.1".into(), "--port".into(), p.clone(), "show clock".into()]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let job_id = job_id_in(&ran.stderr);
    let ran = run(admin(&["keys", "create", "--role", "viewer", "--name", "x"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("token        ey"), "{ran:?}");
    let ran = run(vec!["keys".into(), "list".into()]).await;
    assert_eq!(ran.code, 3, "an operator key may not administer keys: {ran:?}");
    assert!(ran.stderr.contains("403"), "{ran:?}");

    let ran = run(admin(&["keys", "list"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let row = ran.stdout.lines().find(|l| l.starts_with(&key_id)).unwrap_or_else(|| panic!("{ran:?}"));
    assert!(row.contains(" ci ") && row.contains("operator") && !ran.stdout.contains(&token), "{ran:?}");

    let ran = run(admin(&["keys", "rotate", &key_id, "-o", "json"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let rotated: Value = serde_json::from_str(&ran.stdout).unwrap();
    let new_token = rotated["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    let job = vec!["job".to_owned(), "get".to_owned(), job_id.clone()];
    let ran = run(job.clone()).await;
    assert_eq!(ran.code, 3, "the old token is revoked: {ran:?}");
    assert!(ran.stderr.contains("401"), "{ran:?}");
    home.write("ops.token", &new_token);
    let ran = run(job.clone()).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("status       finished"), "{ran:?}");

    let ran = run(admin(&["keys", "revoke", &key_id])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let ran = run(admin(&["keys", "list", "-o", "json"])).await;
    let keys: Vec<Value> = serde_json::from_str(&ran.stdout).unwrap();
    assert!(keys.iter().all(|k| k["key_id"] != key_id.as_str()), "{ran:?}");
    assert_eq!(run(job).await.code, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_follow_a_jobs_lifecycle_and_result() {
    let stack = Stack::start(StackOptions::default()).await;
    let home = Home::new();
    let env = user_env(&stack, &home);
    let (console, captured) = Console::captured();
    let tail = {
        let env = env.clone();
        let nats_url = stack.settings.nats.url.clone();
        let prefix = stack.settings.prefix.clone();
        tokio::spawn(async move {
            let args = ["events", "--nats-url", &nats_url, "--prefix", &prefix, "--host", "127.0.0.1", "--count", "4"];
            in_process(&env, &args, &console).await
        })
    };
    naas_tests::wait::until("the subscription", Duration::from_secs(10), || {
        let ready = captured.stderr().contains("following");
        async move { ready.then_some(()) }
    })
    .await;
    assert!(
        captured.stderr().contains(&format!("{}.events.*.127_0_0_1.>", stack.settings.prefix)),
        "{}",
        captured.stderr()
    );

    let ran = naasctl(&env, &["run", "127.0.0.1", "--port", &port(&stack, "r1"), "show clock"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let job_id = job_id_in(&ran.stderr);
    assert_eq!(tail.await.unwrap(), Exit::Ok);
    let lines: Vec<String> = captured.stdout().lines().map(str::to_owned).collect();
    let kinds: Vec<&str> =
        lines.iter().map(|l| l.split_whitespace().nth(1).unwrap_or("")).filter(|k| *k != "result").collect();
    assert_eq!(kinds, ["queued", "started", "finished"], "{lines:?}");
    assert!(lines.iter().all(|l| l.contains(&job_id)), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains(" result ") && l.contains("finished")), "{lines:?}");

    let ran = naasctl(&env, &["events", "--nats-url", "nats://127.0.0.1:1", "--count", "1"]).await;
    assert_eq!(ran.code, 3, "NATS unreachable: {ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_queued_job_is_canceled_and_watching_it_reports_the_cancellation() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let home = Home::new();
    let env = user_env(&stack, &home);
    let ran = naasctl(&env, &["run", "--detach", "127.0.0.1", "--port", &port(&stack, "r1"), "show clock"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let job_id = ran.stdout.trim().to_owned();
    assert_eq!(job_id.len(), 36, "{ran:?}");

    let (console, captured) = Console::captured();
    let watch = {
        let (env, job_id, console) = (env.clone(), job_id.clone(), console.clone());
        tokio::spawn(async move { in_process(&env, &["job", "watch", &job_id], &console).await })
    };
    naas_tests::wait::until("the watch", Duration::from_secs(10), || {
        let queued = captured.stderr().contains("queued");
        async move { queued.then_some(()) }
    })
    .await;
    let ran = naasctl(&env, &["job", "cancel", &job_id]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(watch.await.unwrap(), Exit::JobFailed, "{}", captured.stderr());
    assert!(captured.stderr().contains(&format!("job {job_id}: canceled")), "{}", captured.stderr());

    let ran = naasctl(&env, &["job", "get", &job_id]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    let ran = naasctl(&env, &["job", "cancel", &job_id]).await;
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("409"), "{ran:?}");
    let ran = naasctl(&env, &["job", "list", "--local"]).await;
    assert!(ran.stdout.contains(&job_id) && !ran.stdout.contains("STATUS"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_password_is_asked_for_on_the_terminal_and_only_there() {
    let stack = Stack::start(StackOptions::default()).await;
    let home = Home::new();
    let mut env = user_env(&stack, &home);
    env.retain(|(k, _)| k != "NAASCTL_PASSWORD");
    let p = port(&stack, "r1");
    let args = ["run", "127.0.0.1", "--port", &p, "show clock"];

    let (console, captured) = Console::captured();
    assert_eq!(in_process(&env, &args, &console).await, Exit::Usage);
    assert!(captured.stderr().contains("no password"), "{}", captured.stderr());

    let (console, captured) = Console::captured();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let questions = asked.clone();
    let console = console.with_prompt(move |question| {
        questions.lock().unwrap().push(question.to_owned());
        Ok(PASS.to_owned())
    });
    assert_eq!(in_process(&env, &args, &console).await, Exit::Ok, "{}", captured.stderr());
    assert_eq!(*asked.lock().unwrap(), ["Password for netops: "]);
    assert!(!captured.stdout().is_empty() && !captured.stderr().contains(PASS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_certificate_is_verified_against_the_ca_file() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let home = Home::new();
    // The authority of the API's generated development certificate (the last certificate
    // of the chain it sends), as its operator would hand it out.
    let url = reqwest::Url::parse(&stack.url("/livez")).unwrap();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let shown = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &address, "-showcerts"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let chain = String::from_utf8_lossy(&shown.stdout);
    let last = chain.rfind("-----BEGIN CERTIFICATE-----").expect("the API sends its chain");
    let end = chain[last..].find("-----END CERTIFICATE-----").unwrap() + last + "-----END CERTIFICATE-----".len();
    let pem = format!("{}\n", &chain[last..end]);
    let ca = home.write("api-ca.pem", &pem).display().to_string();

    let mut env = user_env(&stack, &home);
    env.retain(|(k, _)| k != "NAASCTL_INSECURE_SKIP_VERIFY");
    let unknown_job = ["job", "get", "7c9e6679-7425-40de-944b-e07fc1f90ae7"];
    let ran = naasctl(&env, &unknown_job).await;
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("certificate"), "the system roots do not know it: {ran:?}");

    env.push(("NAASCTL_CA_FILE".into(), ca));
    let ran = naasctl(&env, &unknown_job).await;
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("404 NOT_FOUND"), "TLS verified, then the API answered: {ran:?}");

    let not_pem = home.write("not.pem", "hello\n").display().to_string();
    let ran = naasctl(&env, &["--ca-file", &not_pem, "job", "get", "x"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("no PEM certificate"), "{ran:?}");
}

#[tokio::test]
async fn usage_and_connection_errors_exit_2_and_3() {
    let home = Home::new();
    let base = vec![("HOME".to_owned(), home.0.display().to_string())];
    let ran = naasctl(&base, &["run", "--password", "hunter2", "r1", "show clock"]).await;
    assert_eq!(ran.code, 2, "no flag takes a password: {ran:?}");
    let ran = naasctl(&base, &["run", "r1", "show clock"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("no API URL"), "{ran:?}");
    let ran = naasctl(&base, &["--help"]).await;
    assert_eq!(ran.code, 0);
    assert!(ran.stdout.contains("Exit status:") && ran.stdout.contains("NAASCTL_PASSWORD"), "{ran:?}");

    // Nothing listens on the port: the API is unreachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut env = base.clone();
    env.extend([
        ("NAASCTL_URL".to_owned(), format!("https://127.0.0.1:{closed}")),
        ("NAASCTL_USERNAME".to_owned(), USER.to_owned()),
        ("NAASCTL_PASSWORD".to_owned(), PASS.to_owned()),
    ]);
    let ran = naasctl(&env, &["run", "r1", "show clock"]).await;
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("not run:") || ran.stderr.contains("failed"), "{ran:?}");
    let ran = naasctl(&env, &["job", "get", "7c9e6679-7425-40de-944b-e07fc1f90ae7"]).await;
    assert_eq!(ran.code, 3, "{ran:?}");

    let inventory = home.write("bad.yaml", "groups:\n  core:\n    - {host: r1, prot: 22}\n");
    let ran = naasctl(&env, &["run", "-i", inventory.to_str().unwrap(), "show clock"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("group core, device 1"), "{ran:?}");
}

/// A terminal a person would sit at: a tmux server on a socket of its own running one
/// command in a detached session of fixed size; the screen is read with `capture-pane`.
/// The command runs under `sh`, which prints `[exit N]`, the terminal's settings
/// (`stty -a`) and `[end]` when it ends, so a test sees the exit status and whether echo
/// came back.
/// The server is killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` (with a message) when tmux is not installed, unless `CI` is `true`: CI
    /// installs it (scripts/bootstrap.sh), so there a missing tmux is a failure.
    fn available() -> bool {
        let found = std::process::Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
        if !found {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "tmux is missing (scripts/bootstrap.sh installs it)"
            );
            eprintln!("skipped: tmux is not installed (scripts/bootstrap.sh installs it)");
        }
        found
    }

    /// Starts `naasctl args…` with exactly `env` (plus the `TERM` tmux sets) in a
    /// 120×40 terminal.
    fn start(home: &Home, env: &[(String, String)], args: &[&str]) -> Self {
        let socket = format!("naasctl-e2e-{}", uuid::Uuid::new_v4().simple());
        // The pane stays when its command ends, so the last screen can still be read.
        let conf = home.write("tmux.conf", "set -g remain-on-exit on\nset -g status off\n");
        let script = "\"$@\"; echo \"[exit $?]\"; stty -a; echo \"[end]\"";
        let status = std::process::Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                conf.to_str().unwrap(),
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "120",
                "-y",
                "40",
            ])
            .args(["sh", "-c", script, "sh", env!("CARGO_BIN_EXE_naasctl")])
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session: {status}");
        Self { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("tmux").args(["-L", &self.socket]).args(args).output().unwrap();
        assert!(output.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// What the terminal shows now, scrolled-off lines included (tmux drops the blanks at
    /// the end of each line).
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-", "-t", "t"])
    }

    /// Types `text` as keys (no Enter).
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Presses a named key (`Enter`, `C-c`).
    fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "t", key]);
    }

    /// Waits until the prompt has turned the terminal's echo off (`stty -F` of the pane's
    /// terminal lists `-echo`): the prompt's text shows a moment before that, and keys
    /// typed in between would echo as they do ahead of any prompt.
    async fn wait_for_echo_off(&self, limit: Duration) {
        let tty = self.tmux(&["display-message", "-p", "-t", "t", "#{pane_tty}"]).trim().to_owned();
        let give_up = tokio::time::Instant::now() + limit;
        loop {
            let stty = std::process::Command::new("stty").args(["-F", &tty, "-a"]).output().unwrap();
            if String::from_utf8_lossy(&stty.stdout).split_whitespace().any(|word| word == "-echo") {
                return;
            }
            assert!(tokio::time::Instant::now() < give_up, "the prompt never turned echo off on {tty}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls the screen until `ready` accepts it, for at most `limit`; every screen seen on
    /// the way must pass `never` (e.g. no password on it). Returns the accepted screen.
    async fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&str) -> bool, never: &str) -> String {
        let give_up = tokio::time::Instant::now() + limit;
        loop {
            let screen = self.screen();
            assert!(!screen.contains(never), "{never:?} is on the screen:\n{screen}");
            if ready(&screen) {
                return screen;
            }
            assert!(
                tokio::time::Instant::now() < give_up,
                "timed out after {limit:?} waiting for {what}; the screen:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

/// `stty -a` lists `echo` (on) or `-echo` (off) among its words.
fn echo_is_on(screen: &str) -> bool {
    let after = &screen[screen.rfind("[exit ").expect("the command ended")..];
    let settings = &after[..after.find("[end]").expect("stty ran")];
    settings.split_whitespace().any(|word| word == "echo")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_terminal_the_password_prompt_is_silent_and_the_fan_out_is_drawn_live() {
    if !Tmux::available() {
        return;
    }
    let devices = vec![
        DeviceSpec::cisco_ios("r1", USER, PASS, PASS),
        // Slow enough that r1 ends first and the live bar shows one device still running.
        DeviceSpec { latency_ms: 800, ..DeviceSpec::cisco_ios("r2", USER, PASS, PASS) },
    ];
    let stack = Stack::start(StackOptions { devices, worker_concurrency: 4, ..Default::default() }).await;
    let home = Home::new();
    let mut env = user_env(&stack, &home);
    env.retain(|(k, _)| k != "NAASCTL_PASSWORD");
    let inventory = home.write(
        "devices.yaml",
        &format!(
            "groups:\n  core:\n    - {{host: 127.0.0.1, port: {}, name: r1}}\n    - {{host: 127.0.0.1, port: {}, name: r2}}\n",
            port(&stack, "r1"),
            port(&stack, "r2"),
        ),
    );
    let wait = Duration::from_secs(30);

    let terminal = Tmux::start(&home, &env, &["run", "-i", inventory.to_str().unwrap(), "show version"]);
    terminal.wait_for("the password prompt", wait, |s| s.contains("Password for netops:"), PASS).await;
    terminal.wait_for_echo_off(wait).await;
    terminal.type_text(PASS);
    terminal.press("Enter");

    // While r2 runs: r1's line above, r2's spinner, the bar over both below.
    let live = |s: &str| s.contains("[1/2] r1: finished in") && s.contains("1/2 done, 0 failed, 1 running");
    let screen = terminal.wait_for("the live bar", wait, live, PASS).await;
    assert!(screen.contains("r2: started"), "r2's spinner:\n{screen}");

    let screen = terminal.wait_for("the end", Duration::from_secs(60), |s| s.contains("[end]"), PASS).await;
    assert!(screen.contains("[exit 0]"), "{screen}");
    let seen: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let prompt =
        seen.iter().position(|l| *l == "Password for netops:").expect("the prompt's line, nothing typed on it");
    let r1 = seen.iter().position(|l| l.starts_with("[1/2] r1: finished in")).unwrap();
    let r2 = seen.iter().position(|l| l.starts_with("[2/2] r2: finished in")).unwrap();
    let summary = seen.iter().position(|l| *l == "2 ok, 0 failed, 2 devices").unwrap();
    let header = seen.iter().position(|l| l.starts_with("DEVICE  STATUS    ERROR_CODE  DURATION")).unwrap();
    assert!(prompt < r1 && r1 < r2 && r2 < summary && summary < header, "{screen}");
    assert!(
        seen[header + 1].starts_with("r1      finished") && seen[header + 2].starts_with("r2      finished"),
        "{screen}"
    );
    // The bars are gone once the run ends: no spinner, no bar left behind.
    assert!(!screen.contains(" done, ") && !screen.contains("r2: started") && !screen.contains('⠋'), "{screen}");
    assert!(echo_is_on(&screen), "{screen}");
    assert!(commands_on(&stack, "r2").contains(&"show version".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ctrl_c_at_the_password_prompt_sends_nothing_and_gives_the_echo_back() {
    if !Tmux::available() {
        return;
    }
    let stack = Stack::start(StackOptions::default()).await;
    let home = Home::new();
    let mut env = user_env(&stack, &home);
    env.retain(|(k, _)| k != "NAASCTL_PASSWORD");
    let wait = Duration::from_secs(30);

    let terminal = Tmux::start(&home, &env, &["run", "127.0.0.1", "--port", &port(&stack, "r1"), "show clock"]);
    terminal.wait_for("the password prompt", wait, |s| s.contains("Password for netops:"), "half-typed").await;
    terminal.wait_for_echo_off(wait).await;
    terminal.type_text("half-typed");
    terminal.press("C-c");
    let screen = terminal.wait_for("the end", wait, |s| s.contains("[end]"), "half-typed").await;
    assert!(screen.contains("naasctl: interrupted: nothing was sent") && screen.contains("[exit 130]"), "{screen}");
    assert!(echo_is_on(&screen), "the terminal echoes again after the prompt:\n{screen}");
    assert!(!home.0.join(".local/state/naas/history").exists(), "no job was submitted");
    assert!(stack.command_log.entries_for("r1").is_empty(), "nothing reached the device");
}
