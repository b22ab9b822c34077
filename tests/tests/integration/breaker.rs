//! The per-device circuit breaker: opens after consecutive connection failures, fails fast
//! while open (the device is not even tried), lets one trial through after the cool-down,
//! and closes when the device answers again.

use std::time::Duration;

use futures::StreamExt;
use naas_sim::{DeviceSpec, SimSettings};
use naas_tests::servers::closed_port;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn run(stack: &Stack, port: u16) -> Value {
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "timeout": 5});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    stack.result_of(&job_id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_breaker_opens_fails_fast_half_opens_and_closes() {
    let stack = Stack::start(StackOptions {
        settings: |s| {
            s.circuit_breaker.threshold = 2;
            s.circuit_breaker.timeout_secs = 2;
            s.jobs.max_attempts = 1;
        },
        ..Default::default()
    })
    .await;
    opens_fails_fast_and_closes(&stack, 2).await;
}

/// The breaker's whole cycle on a closed port that later answers, with the stack's
/// `circuit_breaker.threshold` = `threshold` and a short cool-down: `threshold` refused
/// connections open it (`circuit.opened` with the count), a job then fails with
/// `CIRCUIT_OPEN` without trying the device, one trial after the cool-down succeeds and
/// closes it (`circuit.closed`), and the next job runs normally. Returns the port.
pub(crate) async fn opens_fails_fast_and_closes(stack: &Stack, threshold: u64) -> u16 {
    let prefix = &stack.settings.prefix;
    let mut opened = stack.nats_client.subscribe(format!("{prefix}.audit.circuit.opened")).await.unwrap();
    let mut closed = stack.nats_client.subscribe(format!("{prefix}.audit.circuit.closed")).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let port = closed_port();

    for _ in 0..threshold {
        let doc = run(stack, port).await;
        assert_eq!(doc["error_code"], "CONNECTION_REFUSED", "{doc}");
    }
    let event = tokio::time::timeout(Duration::from_secs(5), opened.next()).await.expect("circuit.opened").unwrap();
    let event: Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!((event["host"].as_str(), event["port"].as_u64()), (Some("127.0.0.1"), Some(u64::from(port))), "{event}");
    assert_eq!(event["failure_count"], threshold);

    // The device comes back, but the circuit is open: jobs fail at once without trying it.
    let mut device = DeviceSpec::cisco_ios("r9", USER, PASS, PASS);
    device.port = port;
    let fleet =
        naas_sim::build(SimSettings { listen: "127.0.0.1".parse().unwrap(), devices: vec![device] }).await.unwrap();
    let log = fleet.command_log();
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    tokio::spawn(fleet.run_until_stopped(stop));
    let doc = run(stack, port).await;
    assert_eq!((doc["error_code"].as_str(), doc["error_retryable"].as_bool()), (Some("CIRCUIT_OPEN"), Some(true)));
    assert_eq!(log.sessions_opened("r9"), 0, "an open circuit never tries the device");

    // After the cool-down one trial goes through; it succeeds and the circuit closes.
    let give_up = tokio::time::Instant::now() + Duration::from_secs(20);
    let finished = loop {
        let doc = run(stack, port).await;
        if doc["status"] == "finished" {
            break doc;
        }
        assert_eq!(doc["error_code"], "CIRCUIT_OPEN", "{doc}");
        assert!(tokio::time::Instant::now() < give_up, "the circuit never half-opened");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(finished["results"]["show version"].as_str().unwrap().contains("Cisco IOS"));
    let event = tokio::time::timeout(Duration::from_secs(5), closed.next()).await.expect("circuit.closed").unwrap();
    let event: Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!(event["port"].as_u64(), Some(u64::from(port)), "{event}");
    assert_eq!(log.sessions_opened("r9"), 1, "only the trial reached the device");
    assert_eq!(run(stack, port).await["status"], "finished");
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authentication_failures_do_not_open_the_breaker() {
    let stack = Stack::start(StackOptions {
        settings: |s| {
            s.circuit_breaker.threshold = 1;
            s.lockout.device_failures = 100;
        },
        ..Default::default()
    })
    .await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    for _ in 0..2 {
        let job_id = stack.submit_command(USER, "wrong", &body).await["job_id"].as_str().unwrap().to_owned();
        assert_eq!(stack.result_of(&job_id).await["error_code"], "AUTH_FAILURE");
    }
    assert_eq!(run(&stack, port).await["status"], "finished");
}

/// A read-only job retries a refused connection with backoff, and its last attempt's
/// failure stands; a config job is never retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_only_jobs_retry_connection_failures_config_jobs_do_not() {
    let stack = Stack::start(StackOptions {
        settings: |s| {
            s.jobs.max_attempts = 3;
            s.circuit_breaker.enabled = false;
        },
        ..Default::default()
    })
    .await;
    let port = closed_port();
    let doc = run(&stack, port).await;
    assert_eq!((doc["error_code"].as_str(), doc["attempts"].as_u64()), (Some("CONNECTION_REFUSED"), Some(3)), "{doc}");
    let body = json!({"host": "127.0.0.1", "port": port, "config": ["ip host x 10.0.0.1"]});
    let response = stack.post("/v2/send-config", USER, PASS, &body).await;
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    let doc = stack.result_of(&job_id).await;
    assert_eq!((doc["error_code"].as_str(), doc["attempts"].as_u64()), (Some("CONNECTION_REFUSED"), Some(1)), "{doc}");
}
