//! Prometheus `/metrics` on the API (HTTPS), a worker and a reaper (plain HTTP listeners):
//! the expected names, values that follow what happened, no high-cardinality labels, and
//! output that a real exposition-format parser (the Python client's) reads.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use naas_tests::servers::closed_port;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn scrape(http: &reqwest::Client, url: &str) -> String {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    response.text().await.unwrap()
}

/// Each scrape parsed by `tests/metrics_check.py` (Python `prometheus_client.parser`):
/// per scrape, family name (counters without `_total`) → `{type, labels, samples}`.
fn parsed(scrapes: &[(&str, &str)]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.parent().unwrap().join(".tools/venv/bin/python");
    assert!(python.exists(), "the project venv is missing: run scripts/bootstrap.sh");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("metrics-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<_> = scrapes
        .iter()
        .map(|(name, text)| {
            let file = dir.join(format!("{name}.prom"));
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect();
    let output = Command::new(python).arg(root.join("metrics_check.py")).args(&files).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the exposition does not parse (texts in {}):\n{stderr}", dir.display());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    files.iter().map(|file| report[file.to_str().unwrap()].clone()).collect()
}

/// The value of the series `series` (name and labels exactly as rendered).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_worker_and_reaper_export_their_metrics() {
    let options = StackOptions {
        workers: 0,
        settings: |s| {
            s.jobs.max_attempts = 1;
            s.rate_limit.per_caller_device = 2;
            s.rate_limit.limit_basic = true;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let mut settings = stack.settings.clone();
    settings.worker.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    settings.reaper.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let worker = naas_worker::build(settings.clone()).await.unwrap();
    let worker_url = format!("http://{}/metrics", worker.metrics_addr().unwrap());
    tokio::spawn(worker.run_until_stopped(stack.token.clone()));
    let reaper = naas_reaper::build(settings).await.unwrap();
    let reaper_url = format!("http://{}/metrics", reaper.metrics_addr().unwrap());
    tokio::spawn(reaper.run_until_stopped(stack.token.clone()));

    let port = stack.device("r1").addr.port();
    let good = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let finished = stack.submit_command(USER, PASS, &good).await["job_id"].as_str().unwrap().to_owned();
    let refused = json!({"host": "127.0.0.1", "port": closed_port(), "commands": ["show version"]});
    let failed = stack.submit_command(USER, PASS, &refused).await["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.post("/v2/send-command", USER, PASS, &good).await.status(), 429);
    assert_eq!(stack.result_of(&finished).await["status"], "finished");
    assert_eq!(stack.result_of(&failed).await["error_code"], "CONNECTION_REFUSED");

    let api = scrape(&stack.http, &stack.url("/metrics")).await;
    let submitted = r#"naas_http_requests_total{method="POST",route="/v2/send-command",status="202"}"#;
    assert_eq!(value(&api, submitted), Some(2.0), "{api}");
    assert_eq!(value(&api, r#"naas_jobs_submitted_total{kind="command"}"#), Some(2.0), "{api}");
    assert_eq!(value(&api, "naas_rate_limit_rejections_total"), Some(1.0), "{api}");
    assert_eq!(value(&api, "naas_store_full_rejections_total"), Some(0.0), "exported from the start: {api}");
    assert_eq!(value(&api, r#"naas_jetstream_consumer_pending{consumer="workers"}"#), Some(0.0), "{api}");
    assert!(api.contains(r#"naas_http_request_duration_seconds_bucket{route="/v2/send-command",le="+Inf"}"#));
    assert_eq!(value(&api, r#"naas_redis_round_trips_total{op="job.enqueue"}"#), Some(2.0), "{api}");
    assert_eq!(value(&api, r#"naas_redis_round_trips_total{op="job.start"}"#), Some(0.0), "listed at zero: {api}");

    let work = scrape(&stack.http, &worker_url).await;
    let outcome =
        |status: &str, code: &str| format!(r#"naas_jobs_completed_total{{error_code="{code}",status="{status}"}}"#);
    assert_eq!(value(&work, &outcome("finished", "none")), Some(1.0), "{work}");
    assert_eq!(value(&work, &outcome("failed", "CONNECTION_REFUSED")), Some(1.0), "{work}");
    assert_eq!(value(&work, r#"naas_job_queue_wait_seconds_count{kind="command"}"#), Some(2.0), "{work}");
    assert_eq!(value(&work, r#"naas_job_duration_seconds_count{kind="command",status="finished"}"#), Some(1.0));
    for phase in ["tcp_connect", "handshake", "auth", "shell", "prompt", "command"] {
        let series = format!(r#"naas_ssh_phase_duration_seconds_count{{phase="{phase}"}}"#);
        assert!(value(&work, &series).is_some_and(|n| n >= 1.0), "{phase}: {work}");
    }
    assert_eq!(value(&work, "naas_jobs_in_flight"), Some(0.0), "{work}");
    assert_eq!(value(&work, "naas_ssh_sessions_active"), Some(0.0), "{work}");
    assert_eq!(value(&work, "naas_ssh_sessions_pooled"), Some(1.0), "{work}");
    assert_eq!(value(&work, "naas_ssh_sessions_opened_total"), Some(1.0), "{work}");
    assert!(work.contains("# TYPE naas_circuit_breaker_transitions_total counter"));
    assert!(work.contains(r#"naas_jetstream_consumer_pending{consumer="workers"} 0"#), "{work}");
    // Two jobs started; the script's first run on a server is three (NOSCRIPT, load, run).
    let started = value(&work, r#"naas_redis_round_trips_total{op="job.start"}"#);
    assert!(started.is_some_and(|n| n >= 4.0), "{work}");

    let reaped = naas_tests::wait::until("a reaper sweep", Duration::from_secs(10), || {
        let (http, url) = (stack.http.clone(), reaper_url.clone());
        async move {
            let text = scrape(&http, &url).await;
            value(&text, "naas_reaper_sweeps_total").is_some_and(|n| n >= 1.0).then_some(text)
        }
    })
    .await;
    assert!(reaped.contains("# TYPE naas_reaper_actions_total counter"), "{reaped}");
    assert_eq!(value(&reaped, r#"naas_circuit_breakers{state="closed"}"#), Some(2.0), "two devices seen: {reaped}");
    assert_eq!(value(&reaped, r#"naas_circuit_breakers{state="open"}"#), Some(0.0), "{reaped}");
    assert!(reaped.contains("# TYPE naas_jobs_completed_total counter"), "{reaped}");

    let families = parsed(&[("api", &api), ("worker", &work), ("reaper", &reaped)]);
    let family = |process: usize, name: &str| {
        (families[process][name]["type"].clone(), families[process][name]["labels"].clone())
    };
    assert_eq!(family(0, "naas_http_requests"), (json!("counter"), json!(["method", "route", "status"])));
    assert_eq!(family(0, "naas_http_request_duration_seconds"), (json!("histogram"), json!(["route"])));
    assert_eq!(family(0, "naas_rate_limit_rejections"), (json!("counter"), json!([])));
    assert_eq!(family(1, "naas_jobs_completed"), (json!("counter"), json!(["error_code", "status"])));
    assert_eq!(family(1, "naas_ssh_phase_duration_seconds"), (json!("histogram"), json!(["phase"])));
    assert_eq!(family(1, "naas_jobs_in_flight"), (json!("gauge"), json!([])));
    assert_eq!(family(2, "naas_circuit_breakers"), (json!("gauge"), json!(["state"])));
    assert_eq!(family(2, "naas_reaper_actions").0, json!("counter"));
    for (process, report) in families.iter().enumerate() {
        assert!(report["naas_jetstream_consumer_pending"]["type"] == "gauge", "{process}: {report}");
        assert_eq!(report["naas_redis_round_trips"]["labels"], json!(["op"]), "{process}: {report}");
    }

    for text in [&api, &work, &reaped] {
        for high_cardinality in [finished.as_str(), failed.as_str(), "127.0.0.1"] {
            assert!(!text.contains(high_cardinality), "no host or job id labels: {text}");
        }
    }
}

/// JSON log lines carry the request id (API) and job id (worker) of the work they describe.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_log_lines_carry_the_request_and_job_ids() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let response = stack.post("/v2/send-command", USER, PASS, &body).await;
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let job_id = response.json::<serde_json::Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    let lines: Vec<serde_json::Value> =
        naas_tests::logs::captured().lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let find = |message: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == message && l.to_string().contains(&job_id))
            .unwrap_or_else(|| panic!("a {message:?} line for the job"))
            .clone()
    };
    let queued = find("job queued");
    assert_eq!(queued["span"]["request_id"], request_id.as_str(), "{queued}");
    let started = find("job started");
    assert_eq!(started["span"]["job.id"], job_id.as_str(), "{started}");
    assert_eq!(started["span"]["request_id"], request_id.as_str(), "{started}");
}
