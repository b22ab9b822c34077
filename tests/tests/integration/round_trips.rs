//! Round trips to Redis: one per command, pipeline or script run (a `NOSCRIPT` answer and
//! the reload are their own), counted per operation; what one job costs the API; and what
//! a reaper sweep costs.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use naas_shared::config::Settings;
use naas_shared::secret::Secret;
use naas_shared::store::devices::{Access, Admission, Report, Slot};
use naas_shared::store::{DeviceStore, Op, RoundTrips};
use naas_tests::servers::RedisServer;
use naas_tests::{Stack, StackOptions};
use serde_json::json;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

/// Per operation label, the round trips made since `before` (operations with none left out).
fn since(before: &[(&'static str, u64)], now: &RoundTrips) -> BTreeMap<&'static str, u64> {
    now.totals()
        .into_iter()
        .zip(before)
        .map(|((op, now), (_, then))| (op, now - then))
        .filter(|(_, made)| *made > 0)
        .collect()
}

#[tokio::test]
async fn a_command_a_pipeline_and_a_script_run_are_one_round_trip_each() {
    let redis = RedisServer::start();
    let mut settings = Settings::defaults();
    settings.redis.url = Secret::new(redis.url.clone());
    let conn = naas_shared::store::connect(&settings.redis).await.unwrap();
    let round_trips = conn.round_trips();
    assert_eq!(round_trips.total(), 0, "connecting is not counted");

    let mut ping = conn.op(Op::Ping);
    let _: String = redis::cmd("PING").query_async(&mut ping).await.unwrap();
    let _: () = redis::pipe()
        .set("a", 1)
        .ignore()
        .incr("a", 1)
        .ignore()
        .get("a")
        .ignore()
        .query_async(&mut ping)
        .await
        .unwrap();
    let _: () = redis::pipe().atomic().set("b", 1).ignore().del("b").ignore().query_async(&mut ping).await.unwrap();
    assert_eq!(round_trips.get(Op::Ping), 3, "one command, one pipeline, one MULTI..EXEC");

    // A script's first run on a server: EVALSHA answers NOSCRIPT, SCRIPT LOAD, EVALSHA.
    let devices = DeviceStore::new(conn.clone(), "rt");
    let slot = |job| Slot {
        host: "10.0.0.1",
        port: 22,
        job,
        access: Access::Shared,
        limit: 4,
        lease: Duration::from_secs(30),
    };
    assert_eq!(devices.admit(&slot("job-1"), None).await.unwrap(), Admission::Taken);
    assert_eq!(round_trips.get(Op::DeviceAdmit), 3);
    assert_eq!(devices.admit(&slot("job-2"), None).await.unwrap(), Admission::Taken);
    assert_eq!(round_trips.get(Op::DeviceAdmit), 4, "then one EVALSHA");
    devices.release(&slot("job-1"), &Report::NOTHING).await.unwrap();
    assert_eq!(round_trips.get(Op::DeviceRelease), 3, "a script of its own");
    assert_eq!(round_trips.get(Op::Other), 0, "every repository call is labelled");
    assert_eq!(round_trips.total(), 10);
}

/// The round trips one submission by HTTP Basic costs an API of its own, built with
/// `adjust` applied to the stack's settings.
async fn api_round_trips(stack: &Stack, adjust: fn(&mut Settings)) -> BTreeMap<&'static str, u64> {
    let mut settings = stack.settings.clone();
    adjust(&mut settings);
    // The rate-limit script's first run on this server (NOSCRIPT, SCRIPT LOAD) is not the
    // job's: load it beforehand.
    let conn = naas_shared::store::connect(&settings.redis).await.unwrap();
    let _: String =
        naas_shared::scripts::RATE_LIMIT_CHECK.prepare_invoke().load_async(&mut conn.clone()).await.unwrap();
    let api = naas_api::build(settings).await.expect("API builds");
    let url = format!("https://{}/v2/send-command", api.local_addr());
    let round_trips = api.round_trips();
    tokio::spawn(api.run_until_stopped(stack.token.clone()));

    let before = round_trips.totals();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let response = stack.http.post(&url).basic_auth(USER, Some(PASS)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = response.json().await.unwrap();
    let result = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(result["status"], "finished", "{result}");
    since(&before, &round_trips)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_job_costs_the_api_these_round_trips() {
    let stack = Stack::start(StackOptions::default()).await;
    // Two waits: admission, then the record. `memory` is the admission check, made at
    // most every `admission::RECHECK` (each API's first submission makes it); the device's
    // lockout (`lockout.check`) and the caller's rate limit are asked together, in one
    // wait (the device's keys and the caller's are in different slots of a cluster).
    let unlimited = api_round_trips(&stack, |_| {}).await;
    println!("round trips of the API for one job, Basic caller not limited: {unlimited:?}");
    let expected = BTreeMap::from([("job.enqueue", 1), ("lockout.check", 1), ("memory", 1)]);
    assert_eq!(unlimited, expected);

    let limited = api_round_trips(&stack, |s| {
        s.rate_limit.enabled = true;
        s.rate_limit.limit_basic = true;
    })
    .await;
    println!("round trips of the API for one job, Basic caller limited: {limited:?}");
    let expected = BTreeMap::from([("caller.rate_limit", 1), ("job.enqueue", 1), ("lockout.check", 1), ("memory", 1)]);
    assert_eq!(limited, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_job_costs_the_worker_these_round_trips() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    // The only worker, so that its counts are this job's alone.
    let worker = naas_worker::build(stack.settings.clone()).await.expect("worker builds");
    let round_trips = worker.round_trips();
    tokio::spawn(worker.run_until_stopped(stack.token.clone()));

    // The scripts' first runs on this server (NOSCRIPT, SCRIPT LOAD) are not this job's.
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let warm_up = stack.submit_command(USER, PASS, &body).await;
    assert_eq!(stack.result_of(warm_up["job_id"].as_str().unwrap()).await["status"], "finished");
    // The device's release runs alongside the recording of a result, so it may still be on
    // its way when the result arrives; it is a job's last round trip. One per job here.
    let released = |jobs: u64| {
        let round_trips = &round_trips;
        naas_tests::wait::until("the device's release", Duration::from_secs(10), move || async move {
            (round_trips.get(Op::DeviceRelease) >= jobs).then_some(())
        })
    };
    released(1).await;

    let before = round_trips.totals();
    let accepted = stack.submit_command(USER, PASS, &body).await;
    let result = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(result["status"], "finished", "{result}");
    released(2).await;

    // Four waits: the record and the device's admission (lockout, circuit, slot) sent
    // together; the start; the end of the job sent together with the device's release
    // (slot, circuit, login failures). No lease renewal: the job is shorter than a third
    // of its lease.
    let made = since(&before, &round_trips);
    println!("round trips of the worker for one job: {made:?}");
    let expected = BTreeMap::from([
        ("device.admit", 1),
        ("device.release", 1),
        ("job.get", 1),
        ("job.start", 1),
        ("job.transition", 1),
    ]);
    assert_eq!(made, expected);
}

/// The reaper's look at the job state is one script run per job bucket and sweep, however
/// many jobs the buckets hold and whether the sweep settles some: its cost does not grow
/// with the job state, and nothing scans it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reaper_sweep_costs_one_round_trip_per_job_bucket() {
    let stack =
        Stack::start(StackOptions { workers: 0, settings: naas_tests::fast_queue_expiry, ..Default::default() }).await;
    let reaper = naas_reaper::build(stack.settings.clone()).await.expect("reaper builds");
    let round_trips = reaper.round_trips();
    tokio::spawn(reaper.run_until_stopped(stack.token.clone()));
    // A sweep prunes device slots (its SCAN) after it has looked at the jobs, and the next
    // starts an interval (1 s) later: read the counts once the SCAN is counted.
    let after_a_sweep = || async {
        let scans = round_trips.get(Op::Scan);
        naas_tests::wait::until("a reaper sweep", Duration::from_secs(10), || async {
            (round_trips.get(Op::Scan) > scans).then_some(())
        })
        .await;
        (round_trips.get(Op::LeaderTake), round_trips.get(Op::JobExpired))
    };
    // The first sweep loads the script (NOSCRIPT, load, run).
    after_a_sweep().await;
    let (takes, expired) = after_a_sweep().await;

    // Jobs nobody starts, in every bucket: each expires in the queue a second later.
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let results = stack.jetstream().get_stream(topology.results_stream()).await.unwrap();
    let config = async_nats::jetstream::consumer::pull::OrderedConfig::default();
    let mut results = results.create_consumer(config).await.unwrap().messages().await.unwrap();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let jobs = 64;
    let ids: Vec<String> = futures::stream::iter(0..jobs)
        .map(|_| async { stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned() })
        .buffer_unordered(8)
        .collect()
        .await;
    let buckets: HashSet<_> =
        ids.iter().map(|id| naas_shared::keys::Bucket::of(naas_shared::domain::JobId::parse(id).unwrap())).collect();
    assert!(buckets.len() >= 12, "64 jobs fill most buckets: {}", buckets.len());
    for _ in 0..jobs {
        let message = tokio::time::timeout(Duration::from_secs(30), results.next()).await.unwrap().unwrap().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(doc["error_code"], "ORPHANED", "{doc}");
    }
    let (takes_now, expired_now) = after_a_sweep().await;

    let sweeps = takes_now - takes;
    assert!(sweeps >= 2, "{sweeps} sweeps");
    assert_eq!(
        expired_now - expired,
        sweeps * naas_shared::keys::Bucket::COUNT as u64,
        "job.expired round trips over {sweeps} sweeps"
    );
}
