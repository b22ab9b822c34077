//! Redis behind Sentinel (a primary, two replicas, three Sentinels): jobs in flight when the
//! primary is killed all end, submissions are answered 503 only until the Sentinels promote
//! a replica, and the API, workers and reaper follow the new primary by themselves.

use std::time::Duration;

use naas_shared::redis_conn::Link;
use naas_tests::redis_sentinel::primary_address;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

/// How long the failover may take, from the kill to the first accepted submission:
/// Sentinel's `down-after-milliseconds` (1 s here), its election and the promotion, then
/// naas's lookup (docs/operations.md gives the bound for the production settings).
const FAILOVER_BOUND: Duration = Duration::from_secs(30);

/// 50 submissions at once, each accepted; their job ids.
async fn submit_batch(stack: &Stack, body: &impl Fn(usize) -> Value, from: usize) -> Vec<String> {
    futures::future::join_all((from..from + 50).map(|i| async move {
        stack.submit_command(USER, PASS, &body(i)).await["job_id"].as_str().unwrap().to_owned()
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_primary_is_replaced_and_no_accepted_job_is_lost() {
    let devices = naas_tests::ios_fleet("s", 4, 20);
    let mut stack = Stack::start(StackOptions {
        workers: 2,
        devices,
        redis_sentinel: true,
        settings: |s| {
            naas_tests::fast_recovery(s);
            // Every record on a replica before it counts: none is lost with the primary.
            s.redis.wait_replicas = 1;
        },
        ..Default::default()
    })
    .await;
    stack.add_reaper(|_| {}).await;
    let conn = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let Link::Sentinel(primary) = conn.link() else { panic!("redis.sentinel gives a Sentinel connection") };
    let before = primary.address();
    assert_eq!(Some(before.clone()), primary_address(&stack.redis_sentinels).await);
    assert!(stack.redis.url.ends_with(&format!(":{}", before.rsplit(':').next().unwrap())), "{before}");

    let ports: Vec<u16> = stack.devices.iter().map(|d| d.addr.port()).collect();
    let body = |i: usize| json!({"host": "127.0.0.1", "port": ports[i % ports.len()], "commands": ["show version"]});
    let mut accepted = submit_batch(&stack, &body, 0).await;

    // The primary dies with those jobs in flight.
    let killed_at = tokio::time::Instant::now();
    stack.redis.kill();
    let first_after = loop {
        let response = stack.post("/v2/send-command", USER, PASS, &body(1)).await;
        if response.status() == 202 {
            break response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
        }
        assert_eq!(response.status(), 503, "only 503 while the primary is replaced");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "SERVICE_UNAVAILABLE", "{error}");
        assert!(killed_at.elapsed() < FAILOVER_BOUND, "no submission accepted {FAILOVER_BOUND:?} after the kill");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let failover = killed_at.elapsed();
    accepted.push(first_after);
    let after = primary_address(&stack.redis_sentinels).await.expect("the Sentinels agree on a primary");
    assert_ne!(after, before, "a replica was promoted");
    println!(
        "failover: first submission accepted {} ms after the kill; primary {before} -> {after}",
        failover.as_millis()
    );

    accepted.extend(submit_batch(&stack, &body, 100).await);
    for id in &accepted {
        let doc = stack.result_of(id).await;
        assert_eq!(doc["status"], "finished", "{doc}");
        let response = stack.get(&format!("/v2/jobs/{id}"), USER, PASS).await;
        assert_eq!(response.status(), 200, "{id} is readable from the new primary");
    }
    // A connection made now goes straight to the primary the Sentinels name (the promoted
    // replica; on a loaded machine the Sentinels may since have judged it down too, and
    // promoted the other).
    let fresh = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let Link::Sentinel(fresh) = fresh.link() else { unreachable!() };
    let now = primary_address(&stack.redis_sentinels).await.expect("the Sentinels agree on a primary");
    assert_eq!(fresh.address(), now);
    assert_ne!(now, before);
}
