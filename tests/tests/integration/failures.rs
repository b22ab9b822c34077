//! Every failure maps to one contract error code; each is provoked here.

use naas_sim::DeviceSpec;
use naas_tests::faults::{Blackhole, not_ssh};
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn outcome(stack: &Stack, body: Value) -> Value {
    let accepted = stack.submit_command(USER, PASS, &body).await;
    stack.result_of(accepted["job_id"].as_str().unwrap()).await
}

fn r1(stack: &Stack, extra: Value) -> Value {
    let mut body = json!({"host": "127.0.0.1", "port": stack.device("r1").addr.port(), "commands": ["show version"]});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_silent_host_fails_with_connection_timeout_within_conn_timeout() {
    let stack = Stack::start(StackOptions::default()).await;
    let hole = Blackhole::new().await;
    let doc =
        outcome(&stack, json!({"host": "127.0.0.1", "port": hole.port, "commands": ["x"], "conn_timeout": 1})).await;
    assert_eq!(doc["error_code"], "CONNECTION_TIMEOUT", "{doc}");
    assert_eq!(doc["error_retryable"], true);
    let took = doc["duration_ms"].as_u64().unwrap();
    assert!((900..2500).contains(&took), "took {took} ms for a 1 s connect timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_that_does_not_speak_ssh_fails_with_ssh_negotiation() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = not_ssh(stack.token.clone()).await;
    let doc = outcome(&stack, json!({"host": "127.0.0.1", "port": port, "commands": ["x"]})).await;
    assert_eq!(doc["error_code"], "SSH_NEGOTIATION", "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unrecognised_prompt_fails_with_prompt_not_detected() {
    let options = StackOptions { settings: |s| s.worker.prompt_timeout_secs = 1, ..Default::default() };
    let stack = Stack::start(options).await;
    // An IOS device driven as Junos: its prompt never matches user@host>.
    let doc = outcome(&stack, r1(&stack, json!({"platform": "juniper_junos"}))).await;
    assert_eq!(doc["error_code"], "PROMPT_NOT_DETECTED", "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_command_fails_with_read_timeout() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 1500;
    let stack = Stack::start(StackOptions { devices: vec![device], ..Default::default() }).await;
    let doc = outcome(&stack, r1(&stack, json!({"read_timeout": 1}))).await;
    assert_eq!(doc["error_code"], "READ_TIMEOUT", "{doc}");
    assert_eq!(doc["error_retryable"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_over_the_limit_fails_with_output_too_large() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.output_size = 256 * 1024;
    let options = StackOptions {
        devices: vec![device],
        settings: |s| s.worker.output_limit_bytes = 32 * 1024,
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let doc = outcome(&stack, r1(&stack, json!({"commands": ["show tech-support"]}))).await;
    assert_eq!(doc["error_code"], "OUTPUT_TOO_LARGE", "{doc}");
    assert_eq!(doc["error_retryable"], false);
    // Under the limit, the same output arrives whole.
    let doc = outcome(&stack, r1(&stack, json!({"commands": ["show version", "show tech-support | count"]}))).await;
    assert_eq!(doc["status"], "finished", "{doc}");
}

async fn device_on(port: u16) -> (tokio_util::sync::CancellationToken, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let mut device = DeviceSpec::cisco_ios("r9", USER, PASS, PASS);
    device.port = port;
    let fleet = naas_sim::build(naas_sim::SimSettings { listen: "127.0.0.1".parse().unwrap(), devices: vec![device] })
        .await
        .unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(fleet.run_until_stopped(token.clone()));
    (token, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_host_key_fails_with_host_key_mismatch_under_tofu() {
    use futures::StreamExt;
    let options = StackOptions {
        settings: |s| s.worker.host_key_policy = naas_shared::config::HostKeyPolicy::Tofu,
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let port = naas_tests::servers::free_port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});

    let (first, running) = device_on(port).await;
    assert_eq!(outcome(&stack, body.clone()).await["status"], "finished", "first key is trusted");
    assert_eq!(outcome(&stack, body.clone()).await["status"], "finished", "same key again");
    first.cancel();
    running.await.unwrap().unwrap();

    // Same address, new host key (a replaced device, or someone in the middle).
    let (second, _running) = device_on(port).await;
    let mut audit =
        stack.nats_client.subscribe(format!("{}.audit.device.host_key_mismatch", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let doc = outcome(&stack, body).await;
    assert_eq!(doc["error_code"], "HOST_KEY_MISMATCH", "{doc}");
    assert_eq!(doc["error_retryable"], false);
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), audit.next()).await.unwrap().unwrap();
    let event: Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!(event["port"], port);
    assert!(event["request_id"].is_string());
    second.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_host_key_fails_under_strict() {
    let options = StackOptions {
        settings: |s| {
            s.worker.host_key_policy = naas_shared::config::HostKeyPolicy::Strict;
            s.worker.known_hosts_file = "/dev/null".into();
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let doc = outcome(&stack, r1(&stack, json!({}))).await;
    assert_eq!(doc["error_code"], "HOST_KEY_MISMATCH", "{doc}");
}

/// Output larger than one NATS message (the test server allows 8 MB): the job finishes,
/// the API serves the whole output, and the result message goes without it, flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_larger_than_a_nats_message_is_served_by_the_api() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.output_size = 9 * 1024 * 1024;
    let options = StackOptions {
        devices: vec![device],
        settings: |s| s.jobs.max_stored_output_bytes = 16 * 1024 * 1024,
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut results = stack.nats_client.subscribe(topology.results_wildcard()).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let job = r1(&stack, json!({"commands": ["show tech-support"]}));
    let job_id = stack.submit_command(USER, PASS, &job).await["job_id"].as_str().unwrap().to_owned();
    let message = tokio::time::timeout(std::time::Duration::from_secs(60), futures::StreamExt::next(&mut results))
        .await
        .expect("a result message")
        .unwrap();
    let flag = message.headers.as_ref().and_then(|h| h.get(naas_nats::results::RESULTS_OMITTED)).map(|v| v.to_string());
    assert_eq!(flag.as_deref(), Some("too-large"));
    let published: Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!((published["status"].as_str(), published["results"].is_null()), (Some("finished"), true));
    let doc: Value = stack.get(&format!("/v2/jobs/{job_id}"), USER, PASS).await.json().await.unwrap();
    let served = doc["results"]["show tech-support"].as_str().unwrap().len();
    assert!(served > 8 * 1024 * 1024, "the API has it all: {served} bytes");
}
