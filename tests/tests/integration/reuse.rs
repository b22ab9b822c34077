//! Session reuse: later jobs to the same device with the same credentials run on the
//! pooled session; a session is never reused after an error.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn run(stack: &Stack, path: &str, body: Value) -> Value {
    let response = stack.post(path, USER, PASS, &body).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    stack.result_of(accepted["job_id"].as_str().unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequential_jobs_share_one_session_until_an_error() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let show = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    for _ in 0..3 {
        assert_eq!(run(&stack, "/v2/send-command", show.clone()).await["status"], "finished");
    }
    assert_eq!(stack.command_log.sessions_opened("r1"), 1, "one login for three jobs");
    assert_eq!(stack.workers[0].sessions_reused.load(Ordering::Relaxed), 2);
    // Each job came moments after the last: its session was taken without an Enter first.
    assert_eq!(stack.workers[0].sessions_probed.load(Ordering::Relaxed), 0);

    // A rejected config push leaves the session untrusted: the next job logs in again.
    let bad = json!({"host": "127.0.0.1", "port": port, "config": ["not a command"]});
    assert_eq!(run(&stack, "/v2/send-config", bad).await["error_code"], "CONFIG_REJECTED");
    assert_eq!(run(&stack, "/v2/send-command", show.clone()).await["status"], "finished");
    assert_eq!(stack.command_log.sessions_opened("r1"), 2);

    // Different credentials never share a session.
    let other = stack.post("/v2/send-command", USER, "wrong", &show).await.json::<Value>().await.unwrap();
    assert_eq!(stack.result_of(other["job_id"].as_str().unwrap()).await["error_code"], "AUTH_FAILURE");
}

async fn ten_sequential_jobs(stack: &Stack) -> Duration {
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(run(stack, "/v2/send-command", body.clone()).await["status"], "finished");
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reuse_can_be_turned_off() {
    let fresh = Stack::start(StackOptions { settings: |s| s.worker.session_reuse = false, ..Default::default() }).await;
    let fresh_time = ten_sequential_jobs(&fresh).await;
    assert_eq!(fresh.command_log.sessions_opened("r1"), 10);
    assert_eq!(fresh.workers[0].sessions_reused.load(Ordering::Relaxed), 0);
    let pooled = Stack::start(StackOptions::default()).await;
    let pooled_time = ten_sequential_jobs(&pooled).await;
    assert_eq!(pooled.command_log.sessions_opened("r1"), 1);
    // A figure for the reader, not an assertion: timing belongs in the benchmarks.
    eprintln!("10 sequential jobs: fresh sessions {fresh_time:?}, reused session {pooled_time:?}");
}

/// `expect_string` ends a command at a pattern instead of the prompt (a confirmation
/// question); the session is then in an unknown state and never pooled.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expect_string_ends_a_command_at_a_question_and_retires_the_session() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["copy running-config startup-config"],
                      "expect_string": r"Destination filename \[startup-config\]\?"});
    let doc = run(&stack, "/v2/send-command", body).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    let output = doc["results"]["copy running-config startup-config"].as_str().unwrap();
    assert!(output.contains("Destination filename [startup-config]?"), "{output}");
    let show = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    assert_eq!(run(&stack, "/v2/send-command", show).await["status"], "finished");
    assert_eq!(stack.command_log.sessions_opened("r1"), 2, "the questioned session was not reused");
}

/// A device (or a firewall on the way) that dropped an idle session is found out by the
/// next input. A read-only job that took the session without a probe runs again on a fresh
/// one, once; a config push always probes first, so its lines only ever go to a live session.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pooled_session_the_device_dropped_is_replaced_and_the_job_runs_once() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.drop_idle_after_ms = 300;
    let stack = Stack::start(StackOptions { devices: vec![device], ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let show = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    assert_eq!(run(&stack, "/v2/send-command", show.clone()).await["status"], "finished");
    // The session's idle time is what this test is about: longer than the device keeps an
    // idle session, shorter than the worker's "used moments ago".
    tokio::time::sleep(Duration::from_millis(500)).await;
    let doc = run(&stack, "/v2/send-command", show).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert!(doc["results"]["show clock"].as_str().is_some_and(|o| !o.is_empty()), "{doc}");
    assert_eq!(stack.command_log.sessions_opened("r1"), 2, "the dropped session was replaced");
    let worker = &stack.workers[0];
    assert_eq!(worker.sessions_probed.load(Ordering::Relaxed), 0, "the read-only job trusted the recent session");
    assert_eq!(worker.sessions_replaced.load(Ordering::Relaxed), 1, "and found it dropped by the device");
    assert_eq!(worker.sessions_reused.load(Ordering::Relaxed), 0, "the dropped session served no job");
    let shows = stack.command_log.entries_for("r1").iter().filter(|r| r.command == "show clock").count();
    assert_eq!(shows, 2, "each job's command ran once on a live session");

    tokio::time::sleep(Duration::from_millis(500)).await;
    let push = json!({"host": "127.0.0.1", "port": port, "config": ["hostname r1-new"]});
    let doc = run(&stack, "/v2/send-config", push).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert_eq!(stack.command_log.sessions_opened("r1"), 3, "the probe found the session dead");
    let pushed = stack.command_log.entries_for("r1").iter().filter(|r| r.command == "hostname r1-new").count();
    assert_eq!(pushed, 1);
}
