//! Fleet-wide per-device session limits; config pushes hold the device alone.

use std::time::Duration;

use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

fn slow_device() -> Vec<DeviceSpec> {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 150;
    vec![device]
}

fn span(doc: &Value) -> (OffsetDateTime, OffsetDateTime) {
    let at = |f: &str| OffsetDateTime::parse(doc[f].as_str().unwrap(), &Rfc3339).unwrap();
    (at("started_at"), at("finished_at"))
}

/// The largest number of jobs whose [started, finished] intervals overlap by more than
/// `slack` (the gap between a slot's release and the job's finish being recorded).
fn max_overlap(docs: &[Value], slack: Duration) -> usize {
    let spans: Vec<_> = docs.iter().map(span).collect();
    spans
        .iter()
        .map(|(start, _)| {
            spans.iter().filter(|(s, f)| *s <= *start && *f - *start > time::Duration::try_from(slack).unwrap()).count()
        })
        .max()
        .unwrap()
}

async fn run_parallel(stack: &Stack, bodies: Vec<(&str, Value)>) -> Vec<Value> {
    let mut ids = Vec::new();
    for (path, body) in bodies {
        let response = stack.post(path, USER, PASS, &body).await;
        assert_eq!(response.status(), 202);
        ids.push(response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned());
    }
    let mut docs = Vec::new();
    for id in ids {
        docs.push(stack.result_of(&id).await);
    }
    docs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_never_runs_more_jobs_than_its_limit() {
    let options = StackOptions {
        devices: slow_device(),
        workers: 2,
        settings: |s| {
            s.jobs.device_concurrency = 1;
            s.worker.session_reuse = false;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let show = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let docs = run_parallel(&stack, vec![("/v2/send-command", show); 4]).await;
    assert!(docs.iter().all(|d| d["status"] == "finished"), "{docs:?}");
    assert_eq!(max_overlap(&docs, Duration::from_millis(100)), 1, "{docs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_config_push_holds_the_device_alone_and_waiting_jobs_stay_queued() {
    let options =
        StackOptions { devices: slow_device(), settings: |s| s.worker.session_reuse = false, ..Default::default() };
    let stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let config = json!({"host": "127.0.0.1", "port": port, "config": ["interface Loopback9", " description held"]});
    let response = stack.post("/v2/send-config", USER, PASS, &config).await;
    let config_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    // Wait until the push runs, then queue read-only jobs behind it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stack.get(&format!("/v2/jobs/{config_id}"), USER, PASS).await.json::<Value>().await.unwrap()["status"]
        != "started"
    {
        assert!(tokio::time::Instant::now() < deadline, "the config job never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let show = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let waiting = stack.post("/v2/send-command", USER, PASS, &show).await.json::<Value>().await.unwrap();
    let waiting_id = waiting["job_id"].as_str().unwrap().to_owned();
    let doc: Value = stack.get(&format!("/v2/jobs/{waiting_id}"), USER, PASS).await.json().await.unwrap();
    assert_eq!(doc["status"], "queued", "a job waiting for its device shows as queued");
    let mut docs = vec![stack.result_of(&config_id).await, stack.result_of(&waiting_id).await];
    docs.extend(run_parallel(&stack, vec![("/v2/send-command", show.clone()); 2]).await);
    assert!(docs.iter().all(|d| d["status"] == "finished"), "{docs:?}");
    let (_, config_done) = span(&docs[0]);
    let (waiting_start, _) = span(&docs[1]);
    assert!(waiting_start >= config_done - time::Duration::milliseconds(100), "{docs:?}");
    // Read-only jobs share the device up to the limit (2 by default).
    assert_eq!(max_overlap(&docs[2..], Duration::from_millis(100)), 2, "{docs:?}");
}
