//! Job lifecycle events: followed live with wildcards (everything, one device, one job),
//! replayed from the events stream after the fact, retried and canceled jobs.

use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt;
use naas_tests::servers::closed_port;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

/// Reads events from `messages` until `job_id`'s terminal one; returns (subject, payload).
async fn until_terminal(messages: &mut async_nats::Subscriber, job_id: &str) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .unwrap_or_else(|_| panic!("no terminal event in time; seen {seen:?}"))
            .expect("subscription open");
        let event: Value = serde_json::from_slice(&message.payload).unwrap();
        if event["job_id"] != job_id {
            continue;
        }
        let terminal = ["finished", "failed", "canceled"].contains(&event["status"].as_str().unwrap());
        seen.push((message.subject.to_string(), event));
        if terminal {
            return seen;
        }
    }
}

fn statuses(events: &[(String, Value)]) -> Vec<String> {
    events.iter().map(|(_, e)| format!("{}:{}", e["status"].as_str().unwrap(), e["attempt"])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wildcard_consumers_receive_a_jobs_lifecycle_in_order() {
    let stack = Stack::start(StackOptions::default()).await;
    let prefix = &stack.settings.prefix;
    let mut everything = stack.nats_client.subscribe(format!("{prefix}.events.>")).await.unwrap();
    let mut device = stack.nats_client.subscribe(format!("{prefix}.events.*.127_0_0_1.>")).await.unwrap();
    let mut context = stack.nats_client.subscribe(format!("{prefix}.events.default.>")).await.unwrap();
    let mut elsewhere = stack.nats_client.subscribe(format!("{prefix}.events.*.10_9_9_9.>")).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "tags": ["site:lab1"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();

    let events = until_terminal(&mut everything, &job_id).await;
    assert_eq!(statuses(&events), ["queued:0", "started:1", "finished:1"]);
    for (subject, event) in &events {
        let status = event["status"].as_str().unwrap();
        assert_eq!(subject, &format!("{prefix}.events.default.127_0_0_1.{job_id}.{status}"));
        assert_eq!(event["event_id"], format!("{job_id}:{status}:{}", event["attempt"]));
        assert_eq!((event["host"].as_str(), event["kind"].as_str()), (Some("127.0.0.1"), Some("command")));
        assert_eq!(event["tags"], json!(["site:lab1"]));
        assert!(event["request_id"].is_string() && event["timestamp"].is_string(), "{event}");
        assert!(event.get("results").is_none() && !event.to_string().contains("Cisco IOS"), "no output: {event}");
    }
    assert!(events[2].1["duration_ms"].is_u64() && events[2].1["error_code"].is_null());
    assert_eq!(statuses(&until_terminal(&mut device, &job_id).await), ["queued:0", "started:1", "finished:1"]);
    assert_eq!(statuses(&until_terminal(&mut context, &job_id).await), ["queued:0", "started:1", "finished:1"]);
    // The result document was published before the terminal event.
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    stack.nats_client.flush().await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(200), elsewhere.next()).await.is_err(), "other devices only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consumer_started_after_the_job_ended_replays_it_from_the_stream() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let before = time::OffsetDateTime::now_utc() - Duration::from_secs(1);
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");

    let stream =
        stack.jetstream().get_stream(format!("{}_EVENTS", stack.settings.prefix.to_uppercase())).await.unwrap();
    let replay = |deliver_policy, count: usize| {
        let stream = stream.clone();
        let filter_subject = format!("{}.events.*.*.{job_id}.*", stack.settings.prefix);
        async move {
            let config = pull::OrderedConfig { filter_subject, deliver_policy, ..Default::default() };
            let mut messages = stream.create_consumer(config).await.unwrap().messages().await.unwrap();
            let mut seen = Vec::new();
            while seen.len() < count {
                let message = tokio::time::timeout(Duration::from_secs(10), messages.next()).await.unwrap().unwrap();
                let message = message.unwrap();
                let event: Value = serde_json::from_slice(&message.payload).unwrap();
                seen.push((message.info().unwrap().stream_sequence, event));
            }
            seen
        }
    };
    let all = replay(DeliverPolicy::All, 3).await;
    let names: Vec<&str> = all.iter().map(|(_, e)| e["status"].as_str().unwrap()).collect();
    assert_eq!(names, ["queued", "started", "finished"]);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "stream order: {all:?}");
    let from_time = replay(DeliverPolicy::ByStartTime { start_time: before }, 3).await;
    assert_eq!(from_time, all);
    let from_started = replay(DeliverPolicy::ByStartSequence { start_sequence: all[1].0 }, 2).await;
    assert_eq!(from_started, all[1..], "replay from a sequence starts there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_job_is_queued_again_between_attempts() {
    let stack = Stack::start(StackOptions {
        settings: |s| {
            s.jobs.max_attempts = 2;
            s.circuit_breaker.enabled = false;
        },
        ..Default::default()
    })
    .await;
    let mut events = stack.nats_client.subscribe(format!("{}.events.>", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let body = json!({"host": "127.0.0.1", "port": closed_port(), "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let seen = until_terminal(&mut events, &job_id).await;
    assert_eq!(statuses(&seen), ["queued:0", "started:1", "queued:1", "started:2", "failed:2"]);
    assert_eq!(seen[4].1["error_code"], "CONNECTION_REFUSED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_canceled_job_ends_with_a_canceled_event_once() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let mut events = stack.nats_client.subscribe(format!("{}.events.>", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let request = stack.http.delete(stack.url(&format!("/v2/jobs/{job_id}"))).basic_auth(USER, Some(PASS));
    assert_eq!(request.send().await.unwrap().status(), 204);
    assert_eq!(statuses(&until_terminal(&mut events, &job_id).await), ["queued:0", "canceled:0"]);
    // A worker meeting the canceled job re-publishes its state; the stream drops the copy.
    stack.add_worker().await;
    assert_eq!(stack.result_of(&job_id).await["status"], "canceled");
    let stream = stack.jetstream().get_stream(format!("{}_EVENTS", stack.settings.prefix.to_uppercase())).await;
    let mut stream = stream.unwrap();
    let worker = stack.workers[0].clone();
    naas_tests::wait::until("the worker's re-publication", Duration::from_secs(10), || {
        let handled = worker.jobs_handled.load(std::sync::atomic::Ordering::SeqCst);
        async move { (handled > 0).then_some(()) }
    })
    .await;
    assert_eq!(stream.info().await.unwrap().state.messages, 2, "queued and canceled, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reaper_announces_the_jobs_it_settles() {
    let stack = Stack::start(StackOptions {
        workers: 0,
        settings: |s| {
            s.jobs.queue_timeout_secs = 1;
            s.reaper.interval_secs = 1;
        },
        ..Default::default()
    })
    .await;
    let mut events = stack.nats_client.subscribe(format!("{}.events.>", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    stack.add_reaper(|_| {}).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let seen = until_terminal(&mut events, &job_id).await;
    assert_eq!(statuses(&seen), ["queued:0", "failed:0"]);
    assert_eq!(seen[1].1["error_code"], "ORPHANED", "expired in the queue: {}", seen[1].1);
}
