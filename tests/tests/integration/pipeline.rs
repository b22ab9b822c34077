//! A job travels the whole way: HTTPS → API → JetStream → worker → SSH → Redis + NATS.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use naas_sim::DeviceSpec;
use naas_tests::servers::closed_port;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

fn show_version(stack: &Stack, hostname: &str) -> Value {
    let device = stack.device(hostname);
    json!({"host": "127.0.0.1", "port": device.addr.port(), "commands": ["show version"]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_runs_end_to_end_and_reads_back() {
    let stack = Stack::start(StackOptions::default()).await;
    let response = stack.post("/v2/send-command", USER, PASS, &show_version(&stack, "r1")).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(response.headers().contains_key("x-request-id"));
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v2/jobs/{job_id}"));
    assert_eq!(accepted["status"], "queued");
    assert_eq!(accepted["idempotent"], false);

    let published = stack.result_of(&job_id).await;
    assert_eq!(published["status"], "finished", "{published}");

    for path in [location.clone(), format!("/v2/send-command/{job_id}")] {
        let response = stack.get(&path, USER, PASS).await;
        assert_eq!(response.status(), 200);
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc["status"], "finished");
        assert_eq!(doc["kind"], "command");
        assert_eq!(doc["platform"], "cisco_ios");
        assert_eq!(doc["attempts"], 1);
        let output = doc["results"]["show version"].as_str().expect("show version output");
        assert!(output.contains("Cisco IOS Software"), "{output}");
        assert!(!output.contains("show version"), "echo must be stripped: {output}");
        assert!(!output.trim_end().ends_with('#'), "prompt must be stripped: {output}");
        for field in ["started_at", "finished_at", "duration_ms", "enqueued_at"] {
            assert!(!doc[field].is_null(), "{field} is set");
        }
    }
    // Another caller cannot see the job: 404, exactly like a job that does not exist.
    assert_eq!(stack.get(&location, USER, "another-password").await.status(), 404);
    assert_eq!(stack.get(&format!("/v2/jobs/{}", uuid::Uuid::new_v4()), USER, PASS).await.status(), 404);
    assert_eq!(stack.http.get(stack.url(&location)).send().await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_result_arrives_on_the_nats_result_subject() {
    let stack = Stack::start(StackOptions::default()).await;
    let subject = format!("{}.results.default.*", stack.settings.prefix);
    let mut live = stack.nats_client.subscribe(subject).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let accepted = stack.submit_command(USER, PASS, &show_version(&stack, "r1")).await;
    let job_id = accepted["job_id"].as_str().unwrap();
    let message = tokio::time::timeout(Duration::from_secs(30), live.next()).await.expect("result in time").unwrap();
    assert_eq!(message.subject.as_str(), format!("{}.results.default.{job_id}", stack.settings.prefix));
    let doc: Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(doc["job_id"], job_id);
    assert_eq!(doc["status"], "finished");
    assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_password_fails_with_auth_failure() {
    let stack = Stack::start(StackOptions::default()).await;
    let accepted = stack.submit_command(USER, "wrong-password", &show_version(&stack, "r1")).await;
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["error_code"], "AUTH_FAILURE");
    assert_eq!(doc["error_retryable"], false);
    assert!(doc["results"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_enable_secret_fails_with_auth_failure() {
    let stack = Stack::start(StackOptions::default()).await;
    let mut body = show_version(&stack, "r1");
    body["enable"] = json!("not-the-secret");
    let accepted = stack.submit_command(USER, PASS, &body).await;
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["error_code"], "AUTH_FAILURE", "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_closed_port_fails_fast_with_connection_refused() {
    let stack = Stack::start(StackOptions::default()).await;
    let body = json!({"host": "127.0.0.1", "port": closed_port(), "commands": ["show version"], "conn_timeout": 3});
    let started = Instant::now();
    let accepted = stack.submit_command(USER, PASS, &body).await;
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["error_code"], "CONNECTION_REFUSED");
    assert_eq!(doc["error_retryable"], true);
    assert!(doc["duration_ms"].as_u64().unwrap() < 3000, "{doc}");
    assert!(started.elapsed() < Duration::from_secs(3 + 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_the_consumer_and_never_run_a_job_twice() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 30;
    let options = StackOptions { workers: 2, worker_concurrency: 2, devices: vec![device], ..Default::default() };
    let stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let jobs = 16;
    let mut ids = Vec::new();
    for n in 0..jobs {
        let command = format!("show running-config | include marker-{n}");
        let body = json!({"host": "127.0.0.1", "port": port, "commands": [command]});
        ids.push(stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        assert_eq!(stack.result_of(id).await["status"], "finished");
    }
    let per_worker: Vec<u64> =
        stack.workers.iter().map(|w| w.jobs_started.load(std::sync::atomic::Ordering::SeqCst)).collect();
    assert_eq!(per_worker.iter().sum::<u64>(), jobs, "{per_worker:?}");
    assert!(per_worker.iter().all(|&n| n > 0), "both workers took jobs: {per_worker:?}");
    let mut runs: HashMap<String, usize> = HashMap::new();
    for record in stack.command_log.entries() {
        if record.command.contains("marker-") {
            *runs.entry(record.command).or_default() += 1;
        }
    }
    assert_eq!(runs.len(), jobs as usize, "{runs:?}");
    assert!(runs.values().all(|&n| n == 1), "a job ran twice: {runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pipeline_runs_over_tls_with_credentials_to_nats_and_redis() {
    let stack = Stack::start(StackOptions { nats_tls: true, redis_tls: true, ..Default::default() }).await;
    assert!(stack.settings.nats.url.starts_with("tls://"));
    assert!(stack.settings.redis.url.expose().starts_with("rediss://"));
    let accepted = stack.submit_command(USER, PASS, &show_version(&stack, "r1")).await;
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "finished", "{doc}");

    let mut wrong = stack.settings.nats.clone();
    wrong.password = Some(naas_shared::secret::Secret::new("wrong".into()));
    wrong.connect_timeout_secs = 2;
    assert!(naas_nats::connect(&wrong, "intruder").await.is_err(), "a wrong NATS password is refused");
    let mut untrusted = stack.settings.nats.clone();
    untrusted.ca_file = String::new();
    untrusted.connect_timeout_secs = 2;
    assert!(naas_nats::connect(&untrusted, "intruder").await.is_err(), "the server certificate is verified");
    let mut no_password = stack.settings.redis.clone();
    no_password.url = naas_shared::secret::Secret::new(no_password.url.expose().replace("redis-pw-for-tests", "wrong"));
    assert!(naas_shared::store::connect(&no_password).await.is_err(), "a wrong Redis password is refused");
}

/// A worker without the key a job was sealed with (a key ring rolling out) hands the job
/// back instead of failing it; a worker holding the key runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_without_the_jobs_key_hands_it_back() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let mut outdated = stack.settings.clone();
    outdated.encryption_key = Some(naas_shared::seal::Sealer::generate_ring());
    outdated.worker.name = "outdated".into();
    let worker = naas_worker::build(outdated).await.unwrap();
    let outdated_stats = worker.stats();
    let stop = stack.token.child_token();
    tokio::spawn(worker.run_until_stopped(stop.clone()));

    let accepted = stack.submit_command(USER, PASS, &show_version(&stack, "r1")).await;
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    naas_tests::wait::until("the outdated worker to see the job", Duration::from_secs(10), || async {
        (outdated_stats.jobs_handled.load(std::sync::atomic::Ordering::SeqCst) >= 1).then_some(())
    })
    .await;
    let doc: Value = stack.get(&format!("/v2/jobs/{job_id}"), USER, PASS).await.json().await.unwrap();
    assert_eq!(doc["status"], "queued", "handed back, not failed: {doc}");
    stop.cancel();
    stack.add_worker().await;
    let doc = stack.result_of(&job_id).await;
    assert_eq!(doc["status"], "finished", "{doc}");
}

/// A job message nobody can read is terminated (never redelivered) and its job fails
/// `INTERNAL` instead of staying queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreadable_job_message_fails_its_job_and_is_not_redelivered() {
    let mut stack =
        Stack::start(StackOptions { workers: 0, settings: |s| s.nats.duplicate_window_secs = 1, ..Default::default() })
            .await;
    let accepted = stack.submit_command(USER, PASS, &show_version(&stack, "r1")).await;
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let jetstream = stack.jetstream();
    jetstream.get_stream(topology.jobs_stream()).await.unwrap().purge().await.unwrap();
    // The same job id again (once the de-duplication window has passed), with a body no
    // worker can decode.
    let subject = format!("{}.jobs.default.command", stack.settings.prefix);
    naas_tests::wait::until("a non-duplicate publish", Duration::from_secs(10), || async {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", job_id.as_str());
        let ack = jetstream.publish_with_headers(subject.clone(), headers, "{not json".into()).await.unwrap();
        (!ack.await.unwrap().duplicate).then_some(())
    })
    .await;
    stack.add_worker().await;
    let doc = stack.result_of(&job_id).await;
    assert_eq!((doc["status"].as_str(), doc["error_code"].as_str()), (Some("failed"), Some("INTERNAL")), "{doc}");
    naas_tests::wait::until("the message to be terminated", Duration::from_secs(10), || async {
        let mut stream = jetstream.get_stream(topology.jobs_stream()).await.unwrap();
        (stream.info().await.unwrap().state.messages == 0).then_some(())
    })
    .await;
    assert!(stack.command_log.entries().is_empty());
}

/// `queue_position` counts the jobs waiting for a worker ahead of the new one: exact while
/// one API queues and no worker takes jobs; a repeated idempotency key has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_position_counts_the_jobs_waiting_ahead() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let body = show_version(&stack, "r1");
    let mut jobs = Vec::new();
    for expected in 0..4u64 {
        let accepted = stack.submit_command(USER, PASS, &body).await;
        assert_eq!(accepted["queue_position"], expected, "{accepted}");
        jobs.push(accepted["job_id"].as_str().unwrap().to_owned());
    }
    let v1 = stack.post("/v1/send_command", USER, PASS, &body).await;
    assert_eq!(v1.status(), 202);
    let v1: Value = v1.json().await.unwrap();
    assert_eq!(v1["queue_position"], 4, "{v1}");
    jobs.push(v1["job_id"].as_str().unwrap().to_owned());

    let repeat = || {
        stack.http.post(stack.url("/v2/send-command")).basic_auth(USER, Some(PASS)).header("X-Idempotency-Key", "q-1")
    };
    let first: Value = repeat().json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["queue_position"], 5, "{first}");
    jobs.push(first["job_id"].as_str().unwrap().to_owned());
    let again: Value = repeat().json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!((again["idempotent"].clone(), again["queue_position"].clone()), (json!(true), Value::Null), "{again}");

    stack.add_worker().await;
    for job_id in &jobs {
        assert_eq!(stack.result_of(job_id).await["status"], "finished");
    }
}
