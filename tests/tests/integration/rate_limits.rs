//! Submission rate limits hold across API replicas, with the contract's headers.

use naas_tests::{Stack, StackOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_hold_across_two_replicas() {
    let options = StackOptions {
        workers: 0,
        settings: |s| {
            s.rate_limit.per_caller = 5;
            s.rate_limit.per_caller_device = 3;
            s.rate_limit.limit_basic = true;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let replicas = [stack.api_url.clone(), stack.add_api().await];
    let submit = |n: usize, host: &'static str| {
        let url = format!("{}/v2/send-command", replicas[n % 2]);
        let request = stack.http.post(url).basic_auth("netops", Some("pw"));
        request.json(&json!({"host": host, "commands": ["show clock"]})).send()
    };
    let mut statuses = Vec::new();
    let mut remaining = Vec::new();
    for n in 0..4 {
        let response = submit(n, "r1").await.unwrap();
        statuses.push(response.status().as_u16());
        remaining.push(response.headers()["x-ratelimit-remaining"].to_str().unwrap().to_owned());
        assert_eq!(response.headers()["x-ratelimit-limit"], "5");
        assert!(response.headers().contains_key("x-ratelimit-reset"));
        if response.status() == 429 {
            let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry), "{retry}");
            assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "RATE_LIMITED");
        }
    }
    assert_eq!(statuses, [202, 202, 202, 429], "3 per caller+device");
    assert_eq!(remaining, ["2", "1", "0", "0"]);
    // Another device has its own window, until the caller's total of 5.
    let more: Vec<u16> =
        [submit(0, "r2").await.unwrap(), submit(1, "r2").await.unwrap(), submit(0, "r2").await.unwrap()]
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
    assert_eq!(more, [202, 202, 429], "5 per caller");
    // A refused submission queued nothing: 5 jobs in the stream.
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    assert_eq!(jobs.info().await.unwrap().state.messages, 5);
    // Admins are exempt by default.
    let (_, admin) = stack.api_key("admin", &["*"]).await;
    let body = json!({"host": "r1", "commands": ["show clock"], "username": "u", "password": "p"});
    for _ in 0..5 {
        let response = stack.bearer(reqwest::Method::POST, "/v2/send-command", &admin, Some(&body)).await;
        assert_eq!(response.status(), 202);
    }
}

/// NAAS exempts HTTP Basic callers from its limiter, and NAAS clients submit in bursts: by
/// default a Basic caller is not limited, whatever the windows say.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn basic_callers_are_not_limited_by_default() {
    let options = StackOptions {
        workers: 0,
        settings: |s| {
            s.rate_limit.enabled = true;
            s.rate_limit.per_caller = 5;
            s.rate_limit.per_caller_device = 3;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    for n in 0..100 {
        let request = stack.http.post(stack.url("/v2/send-command")).basic_auth("netops", Some("pw"));
        let response = request.json(&json!({"host": "r1", "commands": ["show clock"]})).send().await.unwrap();
        assert_eq!(response.status(), 202, "submission {n}");
        assert!(!response.headers().contains_key("x-ratelimit-remaining"));
    }
    // An operator key is still limited.
    let (_, operator) = stack.api_key("operator", &["*"]).await;
    let body = json!({"host": "r1", "commands": ["show clock"], "username": "u", "password": "p"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = stack.bearer(reqwest::Method::POST, "/v2/send-command", &operator, Some(&body)).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 429]);
}
