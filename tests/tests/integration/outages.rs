//! NATS or Redis going away: submissions and /readyz answer 503 (never 500, never a 202 for
//! a job that was not recorded), and everything recovers when they return, without restarts.

use std::time::Duration;

use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_gives_503_and_the_system_recovers() {
    let mut stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let first = stack.submit_command("netops", "s3cret-pw", &body).await;
    assert_eq!(stack.result_of(first["job_id"].as_str().unwrap()).await["status"], "finished");

    stack.redis.kill();
    let refused = stack.post("/v2/send-command", "netops", "s3cret-pw", &body).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.json::<Value>().await.unwrap()["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(stack.http.get(stack.url("/readyz")).send().await.unwrap().status(), 503);

    stack.redis.resume();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let accepted = loop {
        let response = stack.post("/v2/send-command", "netops", "s3cret-pw", &body).await;
        if response.status() == 202 {
            break response.json::<Value>().await.unwrap();
        }
        assert_eq!(response.status(), 503, "only 503 while Redis comes back");
        assert!(tokio::time::Instant::now() < deadline, "the API never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stack.http.get(stack.url("/readyz")).send().await.unwrap().status(), 200);
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "finished", "the worker recovered too: {doc}");
}

/// nats-server restarted on the same store: submissions during the outage get 503, jobs
/// accepted before it are not lost, and the services reconnect by themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nats_restart_loses_no_accepted_job() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let mut accepted = Vec::new();
    for _ in 0..5 {
        accepted.push(stack.submit_command("netops", "s3cret-pw", &body).await["job_id"].as_str().unwrap().to_owned());
    }
    stack.nats.kill();
    let refused = stack.post("/v2/send-command", "netops", "s3cret-pw", &body).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(stack.http.get(stack.url("/readyz")).send().await.unwrap().status(), 503);

    stack.nats.resume();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let response = stack.post("/v2/send-command", "netops", "s3cret-pw", &body).await;
        if response.status() == 202 {
            accepted.push(response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned());
            break;
        }
        assert_eq!(response.status(), 503, "only 503 while NATS comes back");
        assert!(tokio::time::Instant::now() < deadline, "the API never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stack.add_worker().await;
    for id in &accepted {
        assert_eq!(stack.result_of(id).await["status"], "finished", "job {id}");
    }
}

/// A full queue refuses new submissions with 503 and Retry-After, never accepts and drops.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_queue_answers_503() {
    let options = StackOptions { workers: 0, settings: |s| s.nats.max_queued_jobs = 3, ..Default::default() };
    let stack = Stack::start(options).await;
    let body = json!({"host": "r1", "commands": ["show clock"]});
    for _ in 0..3 {
        assert_eq!(stack.post("/v2/send-command", "netops", "pw", &body).await.status(), 202);
    }
    let full = stack.post("/v2/send-command", "netops", "pw", &body).await;
    assert_eq!(full.status(), 503);
    assert!(full.headers().contains_key("retry-after"));
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    assert_eq!(jobs.info().await.unwrap().state.messages, 3);
}

/// Jobs in flight while nats-server and then redis-server restart (same store, same data):
/// submissions during each outage get 503, every accepted job still finishes, and the API,
/// workers and reaper recover without being restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarts_of_nats_and_redis_mid_load_lose_no_accepted_job() {
    let devices = naas_tests::ios_fleet("o", 4, 20);
    let mut stack =
        Stack::start(StackOptions { workers: 2, devices, settings: naas_tests::fast_recovery, ..Default::default() })
            .await;
    stack.add_reaper(|_| {}).await;
    let ports: Vec<u16> = stack.devices.iter().map(|d| d.addr.port()).collect();
    let body = |i: usize| json!({"host": "127.0.0.1", "port": ports[i % ports.len()], "commands": ["show version", "show clock"]});
    let mut accepted = Vec::new();

    for outage in ["nats", "redis", "none"] {
        let batch: Vec<String> =
            futures::future::join_all((0..100).map(|i| {
                let stack = &stack;
                let body = body(i);
                async move {
                    stack.submit_command("netops", "s3cret-pw", &body).await["job_id"].as_str().unwrap().to_owned()
                }
            }))
            .await;
        accepted.extend(batch);
        match outage {
            "nats" => stack.nats.kill(),
            "redis" => stack.redis.kill(),
            _ => break,
        }
        let refused = stack.post("/v2/send-command", "netops", "s3cret-pw", &body(0)).await;
        assert_eq!(refused.status(), 503, "{outage} down");
        assert_eq!(stack.http.get(stack.url("/readyz")).send().await.unwrap().status(), 503);
        match outage {
            "nats" => stack.nats.resume(),
            _ => stack.redis.resume(),
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let response = stack.post("/v2/send-command", "netops", "s3cret-pw", &body(1)).await;
            if response.status() == 202 {
                accepted.push(response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned());
                break;
            }
            assert_eq!(response.status(), 503, "only 503 while {outage} comes back");
            assert!(tokio::time::Instant::now() < deadline, "the API never recovered from the {outage} restart");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    for id in &accepted {
        let doc = stack.result_of(id).await;
        assert_eq!(doc["status"], "finished", "{doc}");
    }
}
