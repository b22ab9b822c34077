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
