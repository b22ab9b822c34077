//! The OpenAPI document and the docs page as a running API serves them (the page in a
//! browser: docs_browser.rs), checked as OpenAPI 3.1 with every example valid
//! (tests/openapi_check.py), then the API fuzzed from that document by schemathesis: no
//! 5xx, and every status code, content type, header and body as the document says.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use naas_shared::config::Settings;
use naas_tests::{Stack, StackOptions};
use serde_json::Value;

fn venv_tool(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tool = root.join(".tools/venv/bin").join(name);
    assert!(tool.exists(), "{name} is missing from the project venv: run `make tools` (scripts/bootstrap.sh)");
    tool
}

/// Jobs the fuzzer submits go to made-up hosts: connection attempts end fast.
fn short_jobs(settings: &mut Settings) {
    settings.jobs.max_conn_timeout_secs = 2;
    settings.jobs.default_conn_timeout_secs = 2;
    settings.jobs.max_read_timeout_secs = 5;
    settings.jobs.default_read_timeout_secs = 5;
}

async fn document(stack: &Stack) -> Value {
    let response = stack.http.get(stack.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-request-id"));
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_public_valid_openapi_3_1_with_valid_examples() {
    let stack = Stack::start(StackOptions { workers: 0, settings: short_jobs, ..Default::default() }).await;
    let spec = document(&stack).await;
    assert_eq!(spec["openapi"], "3.1.0");
    // Tailored to this deployment.
    let body = &spec["components"]["schemas"]["SendCommandRequest"]["properties"];
    assert_eq!(body["conn_timeout"]["maximum"], 2);
    assert!(body["platform"]["enum"].as_array().unwrap().contains(&"cisco_ios".into()));

    let file = std::env::temp_dir().join(format!("naas-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec(&spec).unwrap()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(venv_tool("python")).arg(root.join("openapi_check.py")).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the OpenAPI document has problems:\n{stdout}{stderr}");
    println!("{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed() {
    let stack = Stack::start(StackOptions { workers: 0, settings: short_jobs, ..Default::default() }).await;
    let spec = document(&stack).await;
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{job_id}", &uuid::Uuid::new_v4().to_string())
            .replace("{key_id}", "nokey")
            .replace("{file}", "swagger-ui-bundle.js");
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = stack.http.request(method.clone(), stack.url(&concrete)).send().await.unwrap();
            let status = response.status().as_u16();
            assert!(response.headers().contains_key("x-request-id"), "{method} {path}");
            let body = response.bytes().await.unwrap();
            // Unauthenticated: 401 from the handler, or 2xx for the public operations; never
            // the router's own 404/405.
            assert!(status == 401 || (200..300).contains(&status), "{method} {path}: {status}");
            if status == 401 {
                let error: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(error["code"], "AUTH_REQUIRED", "{method} {path}");
            }
            operations += 1;
        }
    }
    assert!(operations >= 20, "{operations} operations");

    let docs = stack.http.get(stack.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let csp = docs.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    let page = docs.text().await.unwrap();
    // Swagger UI's files, served by the API itself.
    for (asset, content_type) in [
        ("/docs/swagger-ui-bundle.js", "text/javascript"),
        ("/docs/swagger-ui-standalone-preset.js", "text/javascript"),
        ("/docs/swagger-initializer.js", "text/javascript"),
        ("/docs/swagger-ui.css", "text/css"),
        ("/docs/index.css", "text/css"),
    ] {
        assert!(page.contains(&format!("\"{asset}\"")), "the page loads {asset}");
        let response = stack.http.get(stack.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with(content_type), "{asset}");
        assert!(response.headers().contains_key("content-security-policy"), "{asset}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"), "the page loads nothing from elsewhere");
    // Configured for this API: its document, and no validator badge fetched from elsewhere.
    let initializer = stack.http.get(stack.url("/docs/swagger-initializer.js")).send().await.unwrap();
    let initializer = initializer.text().await.unwrap();
    assert!(initializer.contains("\"url\": \"/openapi.json\""), "{initializer}");
    assert!(initializer.contains("\"validatorUrl\": \"none\""), "{initializer}");
    // Only the page's files: nothing else of Swagger UI's distribution, no path tricks.
    for other in ["/docs/index.html", "/docs/oauth2-redirect.html", "/docs/swagger-ui.js", "/docs/..%2Fopenapi.json"] {
        let response = stack.http.get(stack.url(other)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{other}");
    }
}

/// schemathesis against the running stack: examples, coverage (edge cases of every
/// schema), random fuzzing and stateful sequences (following the document's links and
/// the ones it infers), bounded in time. Job operations run as an operator with device
/// credentials (HTTP Basic), API key operations as the bootstrap admin: credentials the
/// fuzzer cannot revoke by deleting the keys it lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_survives_fuzzing_and_answers_as_documented() {
    let schemathesis = venv_tool("schemathesis");
    let stack = Stack::start(StackOptions { workers: 1, settings: short_jobs, ..Default::default() }).await;
    let basic = |user: &str, password: &str| {
        use base64::Engine as _;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
    };
    let dir = std::env::temp_dir().join(format!("naas-fuzz-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("schemathesis.toml");
    let operator = basic("netops", "s3cret-pw");
    let admin = basic("admin", naas_tests::ADMIN_SECRET);
    std::fs::write(
        &config,
        format!(
            "headers = {{ Authorization = \"{operator}\" }}\n\n\
             [[operations]]\ninclude-tag = \"api-keys\"\nheaders = {{ Authorization = \"{admin}\" }}\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let mut command = Command::new(schemathesis);
    command
        .current_dir(&dir)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(stack.url("/openapi.json"))
        .args(["--url", &stack.api_url])
        .args(["--tls-verify", "false"])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,\
             response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--max-examples", "40"])
        .args(["--max-time", "100"])
        .args(["--request-timeout", "10"])
        // One worker: Debian's Python 3.11 parses hypothesis's lambdas with `ast` from both
        // threads at once and fails the run ("AST constructor recursion depth mismatch", a
        // CPython race fixed in 3.12), which says nothing about the API.
        .args(["--workers", "1"])
        .args(["--suppress-health-check", "all"])
        // Credentials are masked in the report.
        .args(["--output-sanitize", "true"])
        .env("NO_COLOR", "1");
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        // First, so that a log cut in the middle still shows what failed.
        println!("schemathesis failures:\n{}\n--- the whole report ---", failures(&stdout, 40));
    }
    println!("{stdout}{stderr}");
    println!("schemathesis took {:.0} s", started.elapsed().as_secs_f64());
    assert!(output.status.success(), "schemathesis found problems: {}", failures(&stdout, 12));
    assert!(!stdout.contains("Authentication failed"), "the fuzzer lost its credentials (report above)");
    assert!(started.elapsed() < Duration::from_secs(240));
}

/// The report's ERRORS and FAILURES sections (up to its SUMMARY), at most `lines` non-blank
/// lines.
fn failures(report: &str, lines: usize) -> String {
    let start = ["ERRORS", "FAILURES"].iter().filter_map(|title| report.find(&format!(" {title} "))).min();
    let section = start.map_or(report, |at| &report[at..]);
    let section = section.split_once("SUMMARY").map_or(section, |(failures, _)| failures);
    section.lines().filter(|l| !l.trim().is_empty()).take(lines).collect::<Vec<_>>().join("\n")
}
