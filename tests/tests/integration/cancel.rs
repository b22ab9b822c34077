//! Cancellation: a queued job never runs, a running job is interrupted, an ended job is 409.

use std::time::Duration;

use futures::StreamExt;
use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn status(stack: &Stack, job_id: &str) -> String {
    let doc: Value = stack.get(&format!("/v2/jobs/{job_id}"), USER, PASS).await.json().await.unwrap();
    doc["status"].as_str().unwrap().to_owned()
}

async fn cancel(stack: &Stack, job_id: &str) -> u16 {
    let request = stack.http.delete(stack.url(&format!("/v2/jobs/{job_id}"))).basic_auth(USER, Some(PASS));
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_canceled_queued_job_never_runs() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let mut audit =
        stack.nats_client.subscribe(format!("{}.audit.job.cancelled", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show running-config | include never-run"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    assert_eq!(
        stack
            .http
            .delete(stack.url(&format!("/v2/jobs/{job_id}")))
            .basic_auth(USER, Some("other"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(cancel(&stack, &job_id).await, 204);
    assert_eq!(status(&stack, &job_id).await, "canceled");
    let event = tokio::time::timeout(Duration::from_secs(5), audit.next()).await.unwrap().unwrap();
    let event: Value = serde_json::from_slice(&event.payload).unwrap();
    assert!(event["cancelled_by_hash"].is_string() && event["request_id"].is_string(), "{event}");

    stack.add_worker().await;
    assert_eq!(stack.result_of(&job_id).await["status"], "canceled");
    assert!(!stack.command_log.entries().iter().any(|r| r.command.contains("never-run")), "the job never ran");
    assert_eq!(cancel(&stack, &job_id).await, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_running_job_is_interrupted() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 400;
    let stack = Stack::start(StackOptions { devices: vec![device], ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock", "show clock", "show clock", "show clock", "show clock", "show clock"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while status(&stack, &job_id).await != "started" {
        assert!(tokio::time::Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cancel(&stack, &job_id).await, 204);
    let doc = stack.result_of(&job_id).await;
    assert_eq!(doc["status"], "canceled", "{doc}");
    assert_eq!(status(&stack, &job_id).await, "canceled", "the worker did not overwrite the cancellation");
    // Interrupted: far fewer than the six commands ran.
    let shown = stack.command_log.entries().iter().filter(|r| r.command == "show clock").count();
    assert!(shown < 6, "{shown} commands ran");

    let done =
        stack.submit_command(USER, PASS, &json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]})).await;
    let done_id = done["job_id"].as_str().unwrap();
    assert_eq!(stack.result_of(done_id).await["status"], "finished");
    assert_eq!(cancel(&stack, done_id).await, 409);
}

/// SIGTERM on a worker: it stops pulling, finishes the job it is running, hands back what
/// it had prefetched, and exits; another worker takes the rest at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopping_worker_drains_and_hands_back_its_jobs() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 150;
    let options = StackOptions {
        workers: 0,
        worker_concurrency: 1,
        devices: vec![device],
        settings: |s| s.nats.ack_wait_secs = 3,
        ..Default::default()
    };
    let mut stack = Stack::start(options).await;
    let (_, stop, running) = stack.add_stoppable_worker().await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while status(&stack, &ids[0]).await != "started" {
        assert!(tokio::time::Instant::now() < deadline, "the first job never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    let drained = tokio::time::timeout(Duration::from_secs(10), running).await;
    assert!(matches!(drained, Ok(Ok(Ok(())))), "the worker drained and exited cleanly: {drained:?}");
    assert_eq!(status(&stack, &ids[0]).await, "finished", "the in-flight job was finished, not abandoned");

    let started = tokio::time::Instant::now();
    stack.add_worker().await;
    for id in &ids {
        assert_eq!(stack.result_of(id).await["status"], "finished");
    }
    // Handed back (or, for a message in flight to the stopped pull, back after the short
    // ack wait): the rest ran within seconds.
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A job longer than the ack wait is kept alive by progress acks: never redelivered, never
/// run twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_longer_than_the_ack_wait_runs_once() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 1000;
    let options = StackOptions {
        workers: 2,
        devices: vec![device],
        settings: |s| s.nats.ack_wait_secs = 3,
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let marker = "show running-config | include long-job";
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock", "show clock", marker]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let doc = stack.result_of(&job_id).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert!(doc["duration_ms"].as_u64().unwrap() > 3000, "the job outlasted the ack wait: {doc}");
    assert_eq!(doc["attempts"], 1);
    // A redelivery would have logged in again (at ~3 s, well before the first run ended).
    assert_eq!(stack.command_log.sessions_opened("r1"), 1, "the job was redelivered while it ran");
}
