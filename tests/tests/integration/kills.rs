//! Fault tests: many jobs while worker processes are killed with SIGKILL at random
//! moments. Every accepted job must end terminal, none lost; every orphan must be
//! announced; and no config line may ever reach a device twice.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use naas_tests::processes::WorkerProcess;
use naas_tests::{Stack, StackOptions, fast_recovery, ios_fleet};
use serde_json::{Value, json};

use crate::reaper::WORKER_EXE;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const DEVICES: usize = 8;
const KILLS: usize = 3;

async fn fleet_stack() -> Stack {
    let devices = ios_fleet("k", DEVICES, 15);
    Stack::start(StackOptions {
        workers: 0,
        devices,
        settings: |s| {
            fast_recovery(s);
            s.worker.concurrency = 16;
        },
        ..Default::default()
    })
    .await
}

/// What a run produced: each job's terminal document, and the `job.orphaned` events.
struct Run {
    docs: HashMap<String, Value>,
    orphaned: Vec<Value>,
}

/// Submits every `(path, body)`, kills a random worker process `KILLS` times at random
/// points of progress (starting a replacement each time), and waits for every result.
async fn run_with_kills(stack: &Stack, submissions: Vec<(&'static str, Value)>) -> Run {
    let prefix = &stack.settings.prefix;
    let topology = naas_nats::Topology::new(prefix);
    let results_stream = stack.jetstream().get_stream(topology.results_stream()).await.unwrap();
    let config = async_nats::jetstream::consumer::pull::OrderedConfig::default();
    let mut results = results_stream.create_consumer(config).await.unwrap().messages().await.unwrap();
    let mut orphan_events = stack.nats_client.subscribe(format!("{prefix}.audit.job.orphaned")).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    stack.add_reaper(|_| {}).await;
    let mut workers: Vec<WorkerProcess> =
        (1..=2).map(|i| WorkerProcess::spawn(WORKER_EXE, &stack.settings, &format!("w{i}"))).collect();

    let total = submissions.len();
    let job_ids: HashSet<String> = futures::stream::iter(submissions)
        .map(|(path, body)| async move {
            let response = stack.post(path, USER, PASS, &body).await;
            assert_eq!(response.status(), 202);
            response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned()
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(job_ids.len(), total);

    let random = uuid::Uuid::new_v4().as_u128();
    let mut kill_at: Vec<usize> =
        (0..KILLS).map(|k| total / 10 + ((random >> (k * 20)) as usize % (total * 6 / 10))).collect();
    kill_at.sort_unstable();
    eprintln!("killing a worker after {kill_at:?} of {total} results");
    let mut docs = HashMap::new();
    let mut next_worker = workers.len() + 1;
    let give_up = tokio::time::Instant::now() + Duration::from_secs(240);
    while docs.len() < total {
        let Ok(message) = tokio::time::timeout_at(give_up, results.next()).await else {
            for id in job_ids.iter().filter(|id| !docs.contains_key(*id)) {
                let doc: Value = stack.get(&format!("/v2/jobs/{id}"), USER, PASS).await.json().await.unwrap();
                eprintln!("never ended: {doc}");
            }
            let mut stream = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
            eprintln!("jobs stream: {:?}", stream.info().await.unwrap().state);
            let consumer: async_nats::jetstream::consumer::PullConsumer =
                stream.get_consumer(&topology.workers_consumer()).await.unwrap();
            eprintln!("consumer: {:?}", consumer.cached_info());
            panic!("only {} of {total} jobs ended", docs.len());
        };
        let message = message.unwrap().unwrap();
        let doc: Value = serde_json::from_slice(&message.payload).unwrap();
        let id = doc["job_id"].as_str().unwrap().to_owned();
        assert!(job_ids.contains(&id), "a result for an unknown job {id}");
        docs.insert(id, doc);
        if kill_at.first().is_some_and(|&at| docs.len() >= at) {
            kill_at.remove(0);
            let victim = busy_worker(stack, &workers).await.unwrap_or((random as usize + docs.len()) % workers.len());
            eprintln!("SIGKILL {} after {} results", workers[victim].name, docs.len());
            workers[victim].kill();
            workers[victim] = WorkerProcess::spawn(WORKER_EXE, &stack.settings, &format!("w{next_worker}"));
            next_worker += 1;
        }
    }
    assert!(kill_at.is_empty(), "every kill happened");
    let mut orphaned = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), orphan_events.next()).await {
        orphaned.push(serde_json::from_slice(&event.payload).unwrap());
    }
    Run { docs, orphaned }
}

/// A worker process that holds a job lease right now (it is driving a device).
async fn busy_worker(stack: &Stack, workers: &[WorkerProcess]) -> Option<usize> {
    let mut redis = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let mut holders: Vec<String> = Vec::new();
    for bucket in naas_shared::keys::Bucket::all() {
        let in_bucket: Vec<String> = redis::cmd("HVALS")
            .arg(naas_shared::keys::lease_holders(&stack.settings.prefix, bucket))
            .query_async(&mut redis)
            .await
            .unwrap();
        holders.extend(in_bucket);
    }
    workers.iter().position(|w| holders.iter().any(|h| h.ends_with(&format!("|{}", w.name))))
}

/// Every job that lost a worker mid-run (a second attempt, or ORPHANED) was announced.
fn assert_orphans_announced(run: &Run) {
    let announced: HashSet<&str> = run.orphaned.iter().map(|e| e["job_id"].as_str().unwrap()).collect();
    for event in &run.orphaned {
        assert!(run.docs.contains_key(event["job_id"].as_str().unwrap()), "an event for an unknown job: {event}");
        assert!(event["worker_name"].as_str().is_some_and(|w| w.starts_with('w')), "{event}");
    }
    for (id, doc) in &run.docs {
        let lost_a_worker = doc["attempts"].as_u64().unwrap() > 1 || doc["error_code"] == "ORPHANED";
        assert!(!lost_a_worker || announced.contains(id.as_str()), "orphan without an event: {doc}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_read_only_jobs_survive_three_worker_kills() {
    let stack = fleet_stack().await;
    let submissions = (0..1000)
        .map(|i| {
            let port = stack.devices[i % DEVICES].addr.port();
            let commands = ["show version", "show clock"];
            ("/v2/send-command", json!({"host": "127.0.0.1", "port": port, "commands": commands}))
        })
        .collect();
    let run = run_with_kills(&stack, submissions).await;
    assert_orphans_announced(&run);
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for doc in run.docs.values() {
        let outcome = match doc["status"].as_str().unwrap() {
            "finished" => "finished".to_owned(),
            status => format!("{status}/{}", doc["error_code"].as_str().unwrap_or("-")),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    eprintln!("outcomes: {outcomes:?}; orphan events: {}", run.orphaned.len());
    for (outcome, count) in &outcomes {
        assert!(outcome == "finished" || outcome == "failed/ORPHANED", "{count} jobs ended {outcome}");
    }
    assert!(!run.orphaned.is_empty(), "the kills interrupted running jobs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_config_jobs_never_apply_a_line_twice_through_worker_kills() {
    let stack = fleet_stack().await;
    let line = |job: usize, n: usize| format!("ip host kill-{job}-{n} 10.{}.{}.{n}", job / 250, job % 250);
    let submissions = (0..200)
        .map(|job| {
            let port = stack.devices[job % DEVICES].addr.port();
            let lines: Vec<String> = (1..=3).map(|n| line(job, n)).collect();
            ("/v2/send-config", json!({"host": "127.0.0.1", "port": port, "config": lines}))
        })
        .collect();
    let run = run_with_kills(&stack, submissions).await;
    assert_orphans_announced(&run);
    let mut applied: HashMap<String, usize> = HashMap::new();
    for record in stack.command_log.entries() {
        if record.command.starts_with("ip host kill-") {
            *applied.entry(record.command).or_default() += 1;
        }
    }
    let twice: Vec<_> = applied.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "lines applied more than once: {twice:?}");
    let mut orphaned = 0;
    for doc in run.docs.values() {
        assert_eq!(doc["attempts"], 1, "a config job never runs twice: {doc}");
        match (doc["status"].as_str(), doc["error_code"].as_str()) {
            (Some("finished"), _) => {
                let lines = doc["results"]["lines"].as_array().unwrap();
                for entry in lines {
                    assert_eq!(applied.get(entry["line"].as_str().unwrap()), Some(&1), "{doc}");
                }
            }
            (Some("failed"), Some("ORPHANED")) => orphaned += 1,
            _ => panic!("unexpected outcome: {doc}"),
        }
    }
    eprintln!("config jobs orphaned: {orphaned} of 200; lines applied: {}", applied.len());
    assert!(orphaned > 0, "the kills interrupted running pushes");
}
