//! Webhooks: a job's terminal document POSTed, signed, to a local HTTPS receiver; retried
//! with backoff while the receiver fails; refused for private targets unless allowed.

use std::time::Duration;

use naas_shared::secret::Secret;
use naas_tests::receiver::{Received, Receiver};
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const SIGNING_SECRET: &str = "webhook-signing-secret-for-tests";

async fn next(receiver: &mut Receiver) -> Received {
    tokio::time::timeout(Duration::from_secs(30), receiver.requests.recv()).await.expect("a delivery in time").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_arrives_signed_and_is_retried_after_the_receiver_failed_twice() {
    let token = tokio_util::sync::CancellationToken::new();
    let mut receiver = Receiver::start(2, token.clone()).await;
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.webhooks.signing_secret = Some(Secret::new(SIGNING_SECRET.into()));
    stack.settings.webhooks.allow_private = true;
    stack.settings.webhooks.retry_delays_ms = vec![200, 400, 800];
    stack.settings.webhooks.ca_file = receiver.ca_file.display().to_string();
    let api = stack.add_api().await;
    stack.add_worker().await;

    let port = stack.device("r1").addr.port();
    let webhook_url = format!("https://127.0.0.1:{}/hooks/naas?token=receiver-token", receiver.port);
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "webhook_url": webhook_url});
    let response = stack.http.post(format!("{api}/v2/send-command")).basic_auth(USER, Some(PASS)).json(&body);
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();

    let attempts = [next(&mut receiver).await, next(&mut receiver).await, next(&mut receiver).await];
    for (n, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.uri.path_and_query().unwrap().as_str(), "/hooks/naas?token=receiver-token");
        assert_eq!(attempt.header("x-naas-attempt"), (n + 1).to_string());
        assert_eq!(attempt.header("x-naas-delivery"), format!("{job_id}:finished:1"), "stable across retries");
        assert_eq!(attempt.header("x-naas-event"), "job.finished");
        assert_eq!(attempt.header("content-type"), "application/json");
        let expected = naas_shared::webhook::signature(SIGNING_SECRET.as_bytes(), &attempt.body);
        assert_eq!(attempt.header("x-naas-signature"), expected);
        assert!(attempt.header("x-naas-signature").starts_with("sha256=") && expected.len() == 7 + 64);
        let text = String::from_utf8_lossy(&attempt.body);
        let headers = format!("{:?}", attempt.headers);
        for secret in [PASS, SIGNING_SECRET] {
            assert!(!text.contains(secret) && !headers.contains(secret), "no credentials or keys are sent");
        }
        let doc: Value = serde_json::from_slice(&attempt.body).unwrap();
        assert_eq!((doc["job_id"].as_str(), doc["status"].as_str()), (Some(job_id.as_str()), Some("finished")));
        assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"));
    }
    let gaps = [attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at];
    assert!(gaps[0] >= Duration::from_millis(200) && gaps[1] >= Duration::from_millis(400), "backoff: {gaps:?}");
    // Delivered on the third attempt: nothing more comes.
    let more = tokio::time::timeout(Duration::from_millis(1500), receiver.requests.recv()).await;
    assert!(more.is_err(), "no delivery after a 200");
    token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn private_webhook_targets_are_refused_unless_allowed() {
    let token = tokio_util::sync::CancellationToken::new();
    let mut receiver = Receiver::start(0, token.clone()).await;
    let options = StackOptions {
        workers: 0,
        settings: |s| s.webhooks.signing_secret = Some(Secret::new(SIGNING_SECRET.into())),
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let stack = &stack;
    let submit = |webhook_url: String| {
        let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "webhook_url": webhook_url});
        async move { stack.post("/v2/send-command", USER, PASS, &body).await }
    };
    for refused in [
        format!("https://127.0.0.1:{}/hook", receiver.port),
        "https://10.20.30.40/hook".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://[::1]/hook".to_owned(),
        "http://hooks.example.com/hook".to_owned(),
        "https://user:pw@hooks.example.com/hook".to_owned(),
    ] {
        let response = submit(refused.clone()).await;
        assert_eq!(response.status(), 422, "{refused}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["fields"][0]["field"], "webhook_url", "{refused}: {error}");
    }

    // A name is checked when it resolves, at delivery: `localhost` is loopback.
    let mut settings = stack.settings.clone();
    settings.worker.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    settings.webhooks.ca_file = receiver.ca_file.display().to_string();
    let worker = naas_worker::build(settings).await.unwrap();
    let metrics = format!("http://{}/metrics", worker.metrics_addr().unwrap());
    tokio::spawn(worker.run_until_stopped(stack.token.clone()));
    let response = submit(format!("https://localhost:{}/hook", receiver.port)).await;
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    naas_tests::wait::until("the refused delivery", Duration::from_secs(20), || {
        let (http, url) = (stack.http.clone(), metrics.clone());
        async move {
            let text = http.get(url).send().await.ok()?.text().await.ok()?;
            text.contains(r#"naas_webhook_deliveries_total{outcome="refused"} 1"#).then_some(())
        }
    })
    .await;
    assert!(receiver.requests.try_recv().is_err(), "nothing reached the loopback receiver");
    token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_is_given_up_after_its_last_retry() {
    let token = tokio_util::sync::CancellationToken::new();
    let mut receiver = Receiver::start(usize::MAX, token.clone()).await;
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let mut settings = stack.settings.clone();
    settings.webhooks.signing_secret = Some(Secret::new(SIGNING_SECRET.into()));
    settings.webhooks.allow_private = true;
    settings.webhooks.retry_delays_ms = vec![50, 50];
    settings.webhooks.ca_file = receiver.ca_file.display().to_string();
    settings.worker.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let api = naas_api::build(settings.clone()).await.unwrap();
    let api_url = format!("https://{}", api.local_addr());
    tokio::spawn(api.run_until_stopped(stack.token.clone()));
    let worker = naas_worker::build(settings).await.unwrap();
    let metrics = format!("http://{}/metrics", worker.metrics_addr().unwrap());
    tokio::spawn(worker.run_until_stopped(stack.token.clone()));

    let port = stack.device("r1").addr.port();
    let webhook_url = format!("https://127.0.0.1:{}/hook", receiver.port);
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "webhook_url": webhook_url});
    let request = stack.http.post(format!("{api_url}/v2/send-command")).basic_auth(USER, Some(PASS)).json(&body);
    assert_eq!(request.send().await.unwrap().status(), 202);
    naas_tests::wait::until("the delivery given up", Duration::from_secs(20), || {
        let (http, url) = (stack.http.clone(), metrics.clone());
        async move {
            let text = http.get(url).send().await.ok()?.text().await.ok()?;
            text.contains(r#"naas_webhook_deliveries_total{outcome="given_up"} 1"#).then_some(())
        }
    })
    .await;
    let mut attempts = Vec::new();
    while let Ok(received) = receiver.requests.try_recv() {
        attempts.push(received.header("x-naas-attempt").to_owned());
    }
    assert_eq!(attempts, ["1", "2", "3"], "the first try and two retries, then no more");
    token.cancel();
}
