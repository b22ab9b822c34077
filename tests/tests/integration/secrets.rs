//! The device password (and command output) never appear in logs, in Redis, or in what
//! NATS stores.

use std::path::{Path, PathBuf};

use async_nats::jetstream;
use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions, logs};
use serde_json::json;

/// Every file below `dir`.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() { pending.push(path) } else { found.push(path) }
        }
    }
    found
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    files_below(dir)
        .into_iter()
        .filter(|p| std::fs::read(p).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)))
        .map(|p| p.display().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_password_never_leaks() {
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let enable = format!("en-{}", uuid::Uuid::new_v4().simple());
    let device = DeviceSpec::cisco_ios("leakcheck", "netops", &password, &enable);
    let mut stack =
        Stack::start(StackOptions { workers: 0, worker_concurrency: 2, devices: vec![device], ..Default::default() })
            .await;
    let port = stack.device("leakcheck").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "enable": enable});
    let accepted = stack.submit_command("netops", &password, &body).await;
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();

    // While queued: the job message in the stream carries sealed credentials only.
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    let queued = jobs.get_raw_message(1).await.expect("the queued job message");
    let raw = String::from_utf8_lossy(&queued.payload).into_owned();
    assert!(raw.contains(&job_id));
    assert!(!raw.contains(&password) && !raw.contains(&enable), "{raw}");
    assert!(queued.headers.get(naas_nats::headers::KEY_ID).is_some());
    assert!(!format!("{:?}", queued.headers).contains(&password));

    stack.add_worker().await;
    let doc = stack.result_of(&job_id).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    let output_marker = "Cisco IOS Software";
    assert!(doc["results"]["show version"].as_str().unwrap().contains(output_marker));

    // Redis: every stored value is sealed.
    let dump = stack.redis_dump().await;
    assert!(!dump.is_empty(), "the job record is in Redis");
    for (key, value) in &dump {
        assert!(!value.contains(&password) && !value.contains(&enable), "{key} holds the password");
        assert!(!value.contains(output_marker), "{key} holds command output in plain text");
    }

    // NATS at rest: neither the password nor the output is readable in the store files.
    let results = jetstream::new(stack.nats_client.clone()).get_stream(topology.results_stream()).await.unwrap();
    assert_eq!(results.get_info().await.unwrap().state.messages, 1);
    let store = stack.nats.store_dir();
    let written: u64 = files_below(&store)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "blk"))
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(written > 0, "the results reached the store files, so their absence below means something");
    assert_eq!(files_containing(&store, password.as_bytes()), Vec::<String>::new());
    assert_eq!(files_containing(&store, enable.as_bytes()), Vec::<String>::new());
    assert_eq!(files_containing(&store, output_marker.as_bytes()), Vec::<String>::new());

    // Logs (debug level, every naas crate plus russh and async-nats).
    let logs = logs::captured();
    assert!(logs.contains(&job_id), "the job was logged at all");
    assert!(!logs.contains(&password) && !logs.contains(&enable), "a secret is in the logs");
}

/// With result sealing on, the result stream holds no readable output: only consumers with
/// the key ring open it, and the API serves the document as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sealed_results_are_unreadable_in_the_stream() {
    let stack = Stack::start(StackOptions { settings: |s| s.jobs.seal_results = true, ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let accepted = stack.submit_command("netops", "s3cret-pw", &body).await;
    let job_id = accepted["job_id"].as_str().unwrap();
    let doc = stack.result_of(job_id).await;
    assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"));
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let results = stack.jetstream().get_stream(topology.results_stream()).await.unwrap();
    let stored = results.get_raw_message(1).await.unwrap();
    let raw = String::from_utf8_lossy(&stored.payload).into_owned();
    assert!(raw.contains(job_id) && raw.contains("sealed"), "{raw}");
    assert!(!raw.contains("Cisco IOS Software"), "output readable in the result stream");
    let served: serde_json::Value =
        stack.get(&format!("/v2/jobs/{job_id}"), "netops", "s3cret-pw").await.json().await.unwrap();
    assert_eq!(served["status"], "finished");
}

/// A record sealed with a key no longer in the ring (or damaged) cannot be shown to anyone:
/// 404 like a job that does not exist, not a 503 blaming Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreadable_job_record_is_not_found() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let accepted = stack.submit_command("netops", "s3cret-pw", &body).await;
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    let path = format!("/v2/jobs/{job_id}");
    assert_eq!(stack.get(&path, "netops", "s3cret-pw").await.status(), 200);

    let mut redis = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let id = naas_shared::domain::JobId::parse(&job_id).unwrap();
    let key = naas_shared::keys::job(&stack.settings.prefix, id);
    let stored: String = redis::cmd("GET").arg(&key).query_async(&mut redis).await.unwrap();
    let (state, _) = stored.split_once('|').unwrap();
    let other_key = format!("{state}|k9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let _: () = redis::cmd("SET").arg(&key).arg(other_key).query_async(&mut redis).await.unwrap();

    let response = stack.get(&path, "netops", "s3cret-pw").await;
    assert_eq!(response.status(), 404);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "NOT_FOUND");
}
