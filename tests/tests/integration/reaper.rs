//! The reaper settles what dead workers leave behind: a config job ends ORPHANED (never
//! re-run), a read-only job runs again, a job nobody starts expires, a message out of
//! deliveries fails its job. Workers here are real processes killed with SIGKILL.

use std::time::Duration;

use futures::StreamExt;
use naas_shared::job::{JobRecord, JobStatus};
use naas_shared::store::{JobStore, Lease, unix_ms};
use naas_sim::DeviceSpec;
use naas_tests::processes::WorkerProcess;
use naas_tests::{Stack, StackOptions, wait};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
pub const WORKER_EXE: &str = env!("CARGO_BIN_EXE_naas-test-worker");

async fn slow_device_stack() -> Stack {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.latency_ms = 250;
    Stack::start(StackOptions {
        workers: 0,
        devices: vec![device],
        settings: naas_tests::fast_recovery,
        ..Default::default()
    })
    .await
}

async fn audit(stack: &Stack, event: &str) -> async_nats::Subscriber {
    let subscriber = stack.nats_client.subscribe(format!("{}.audit.{event}", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    subscriber
}

async fn next_event(events: &mut async_nats::Subscriber) -> Value {
    let event = tokio::time::timeout(Duration::from_secs(30), events.next()).await.expect("an event in time").unwrap();
    serde_json::from_slice(&event.payload).unwrap()
}

/// Waits until the simulator has seen `count` commands from job lines containing `marker`.
async fn device_saw(stack: &Stack, marker: &str, count: usize) {
    wait::until(&format!("{count} commands with {marker:?}"), Duration::from_secs(20), || async {
        (stack.command_log.entries().iter().filter(|r| r.command.contains(marker)).count() >= count).then_some(())
    })
    .await
}

async fn jobs_left_in_stream(stack: &Stack) -> u64 {
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap().info().await.unwrap().state.messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_workers_config_job_is_orphaned_and_never_rerun() {
    let stack = slow_device_stack().await;
    stack.add_reaper(|_| {}).await;
    let mut orphaned = audit(&stack, "job.orphaned").await;
    let mut worker = WorkerProcess::spawn(WORKER_EXE, &stack.settings, "doomed-worker");
    let lines: Vec<String> = (1..=12).map(|i| format!("ip host orphan-{i} 10.9.9.{i}")).collect();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "config": lines});
    let response = stack.post("/v2/send-config", USER, PASS, &body).await;
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    device_saw(&stack, "orphan-", 2).await;
    worker.kill();

    let event = next_event(&mut orphaned).await;
    assert_eq!(event["job_id"], job_id.as_str(), "{event}");
    assert_eq!(event["worker_name"], "doomed-worker", "{event}");
    assert_eq!(event["action"], "failed", "{event}");
    assert!(event["request_id"].is_string(), "{event}");
    let doc = stack.result_of(&job_id).await;
    assert_eq!(doc["status"], "failed", "{doc}");
    assert_eq!(doc["error_code"], "ORPHANED", "{doc}");

    // Another worker gets the message again, finds the job settled, and only acks it.
    let _survivor = WorkerProcess::spawn(WORKER_EXE, &stack.settings, "survivor");
    wait::until("the job message to leave the stream", Duration::from_secs(30), || async {
        (jobs_left_in_stream(&stack).await == 0).then_some(())
    })
    .await;
    let applied = stack.command_log.entries().into_iter().filter(|r| r.command.contains("orphan-")).count();
    assert!((2..12).contains(&applied), "the push stopped where the worker died: {applied} lines");
    for line in &lines {
        let times = stack.command_log.entries().iter().filter(|r| &r.command == line).count();
        assert!(times <= 1, "{line:?} applied {times} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_workers_read_only_job_runs_again_elsewhere() {
    let stack = slow_device_stack().await;
    stack.add_reaper(|_| {}).await;
    let mut orphaned = audit(&stack, "job.orphaned").await;
    let mut worker = WorkerProcess::spawn(WORKER_EXE, &stack.settings, "doomed-worker");
    let commands: Vec<String> = (1..=8).map(|i| format!("show running-config | include rerun-{i}")).collect();
    let body = json!({"host": "127.0.0.1", "port": stack.device("r1").addr.port(), "commands": commands});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    device_saw(&stack, "rerun-", 2).await;
    worker.kill();

    let event = next_event(&mut orphaned).await;
    assert_eq!((event["job_id"].as_str(), event["action"].as_str()), (Some(job_id.as_str()), Some("requeued")));
    assert_eq!(event["worker_name"], "doomed-worker");
    let _survivor = WorkerProcess::spawn(WORKER_EXE, &stack.settings, "survivor");
    let doc = stack.result_of(&job_id).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert_eq!(doc["attempts"], 2, "{doc}");
    assert_eq!(doc["results"].as_object().unwrap().len(), 8, "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_nobody_starts_expires_and_its_message_is_removed() {
    let stack =
        Stack::start(StackOptions { workers: 0, settings: naas_tests::fast_queue_expiry, ..Default::default() }).await;
    let mut orphaned = audit(&stack, "job.orphaned").await;
    stack.add_reaper(|_| {}).await;
    let body = json!({"host": "127.0.0.1", "port": stack.device("r1").addr.port(), "commands": ["show clock"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let event = next_event(&mut orphaned).await;
    assert_eq!((event["job_id"].as_str(), event["action"].as_str()), (Some(job_id.as_str()), Some("expired")));
    assert!(event["worker_name"].is_null(), "{event}");
    let doc = stack.result_of(&job_id).await;
    assert_eq!((doc["status"].as_str(), doc["error_code"].as_str()), (Some("failed"), Some("ORPHANED")));
    assert!(doc["error"].as_str().unwrap().contains("queue deadline"), "{doc}");
    wait::until("the expired job's message to be removed", Duration::from_secs(20), || async {
        (jobs_left_in_stream(&stack).await == 0).then_some(())
    })
    .await;
    assert!(stack.command_log.entries().is_empty(), "the job never ran");
}

/// A job whose message is out of deliveries while it still looks held: the server's
/// advisory makes the reaper fail it with MAX_DELIVERIES and drop the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_out_of_deliveries_fails_its_job() {
    let mut stack = Stack::start(StackOptions {
        workers: 0,
        settings: |s| {
            naas_tests::fast_recovery(s);
            s.nats.max_deliver = 2;
            s.jobs.max_attempts = 1;
        },
        ..Default::default()
    })
    .await;
    // Sweeps would orphan the job first; this reaper only listens for advisories.
    stack.add_reaper(|s| s.reaper.interval_secs = 3600).await;
    let body = json!({"host": "127.0.0.1", "port": stack.device("r1").addr.port(), "config": ["ip host x 10.0.0.1"]});
    let response = stack.post("/v2/send-config", USER, PASS, &body).await;
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    // A worker that vanished long ago appears to hold it (its lease ends in a second).
    let store = job_store(&stack).await;
    let id = naas_shared::domain::JobId::parse(&job_id).unwrap();
    let mut record: JobRecord = store.get(id).await.unwrap().unwrap();
    record.doc.mark_started(naas_shared::now(), 1);
    let lease =
        Lease { job_id: id, attempt: 1, worker: "ghost".into(), expires_ms: unix_ms(naas_shared::now()) + 1000 };
    assert!(store.start(&record, &lease).await.unwrap());
    stack.add_worker().await;

    let doc = stack.result_of(&job_id).await;
    assert_eq!((doc["status"].as_str(), doc["error_code"].as_str()), (Some("failed"), Some("MAX_DELIVERIES")), "{doc}");
    wait::until("the max-delivered message to be removed", Duration::from_secs(20), || async {
        (jobs_left_in_stream(&stack).await == 0).then_some(())
    })
    .await;
    assert!(stack.command_log.entries().is_empty(), "the job never ran");
    assert_eq!(store.get(id).await.unwrap().unwrap().doc.status, JobStatus::Failed);
}

async fn job_store(stack: &Stack) -> JobStore {
    let sealer = naas_shared::seal::Sealer::from_ring(stack.settings.encryption_key.as_ref().unwrap()).unwrap();
    JobStore::connect(
        &stack.settings.redis,
        &stack.settings.prefix,
        std::sync::Arc::new(sealer),
        Duration::from_secs(600),
    )
    .await
    .unwrap()
}

/// Any number of reapers may run; one leads at a time, and another takes over once the
/// leader stops renewing its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_reaper_leads_and_another_takes_over_when_it_stops() {
    use naas_reaper::leader::Leadership;
    let redis = naas_tests::servers::RedisServer::start();
    let settings = naas_shared::config::RedisSettings {
        url: naas_shared::secret::Secret::new(redis.url.clone()),
        admission_max_memory_percent: 90,
        ca_file: String::new(),
        cluster: false,
        sentinel: String::new(),
        wait_replicas: 0,
    };
    let connection = naas_shared::store::connect(&settings).await.unwrap();
    let lease = Duration::from_millis(600);
    let first = Leadership::new(connection.clone(), "t", "reaper-a".into(), lease);
    let second = Leadership::new(connection, "t", "reaper-b".into(), lease);
    assert!(first.lead().await.unwrap());
    assert!(!second.lead().await.unwrap(), "only one leads");
    assert!(first.lead().await.unwrap(), "the leader renews");
    assert!(!second.lead().await.unwrap());
    // The leader stops (it no longer renews): the other takes over once the lease lapses.
    wait::until("the second reaper to take over", Duration::from_secs(5), || async {
        second.lead().await.unwrap().then_some(())
    })
    .await;
    assert!(!first.lead().await.unwrap(), "the old leader does not act any more");
}
