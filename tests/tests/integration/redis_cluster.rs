//! The whole stack (two API replicas, a worker, a reaper) on a three-primary Redis
//! Cluster: jobs run end to end, rate limits and the circuit breaker stay exact, API key
//! revocation holds, and the keys really are spread over the nodes (so commands are routed
//! by slot, and every script and transaction touches one slot only), the job state too:
//! under load each primary holds its share of the job records.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use naas_shared::keys;
use naas_tests::redis_cluster::node_connection;
use naas_tests::{Stack, StackOptions, ios_fleet};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

/// Node index → keys of this stack's prefix it holds (plain and hash-tagged).
async fn keys_by_node(stack: &Stack) -> Vec<Vec<String>> {
    let prefix = &stack.settings.prefix;
    let mut per_node = Vec::new();
    for node in std::iter::once(&stack.redis).chain(&stack.redis_peers) {
        let mut conn = node_connection(&node.url).await;
        let mut keys: Vec<String> =
            redis::cmd("KEYS").arg(keys::untagged_pattern(prefix)).query_async(&mut conn).await.unwrap();
        let tagged: Vec<String> =
            redis::cmd("KEYS").arg(keys::tagged_pattern(prefix)).query_async(&mut conn).await.unwrap();
        keys.extend(tagged);
        per_node.push(keys);
    }
    per_node
}

async fn keyslot(stack: &Stack, key: &str) -> i64 {
    let mut conn = node_connection(&stack.redis.url).await;
    redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).query_async(&mut conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_run_end_to_end_with_keys_spread_over_the_nodes() {
    let stack = Stack::start(StackOptions {
        redis_cluster: true,
        devices: ios_fleet("r", 4, 0),
        settings: |s| {
            s.reaper.interval_secs = 1;
            s.worker.host_key_policy = naas_shared::config::HostKeyPolicy::Tofu;
        },
        ..Default::default()
    })
    .await;
    stack.add_reaper(|_| {}).await;
    assert_eq!(stack.redis_peers.len(), 2);
    let conn = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    assert!(conn.is_cluster(), "several URLs mean a cluster");
    assert_eq!(conn.primaries().await.unwrap().len(), 3);

    // One job per device, read back from the store (GET) and the results stream.
    let mut submitted = Vec::new();
    for device in &stack.devices {
        let body = json!({"host": "127.0.0.1", "port": device.addr.port(), "commands": ["show version", "show clock"]});
        submitted.push(stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned());
    }
    for job_id in &submitted {
        let published = stack.result_of(job_id).await;
        assert_eq!(published["status"], "finished", "{published}");
        let response = stack.get(&format!("/v2/jobs/{job_id}"), USER, PASS).await;
        assert_eq!(response.status(), 200);
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc["status"], "finished", "{doc}");
        assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS"), "{doc}");
        assert_eq!(doc["attempts"], 1);
    }
    let listing: Value = stack.get("/v2/jobs?status=finished", USER, PASS).await.json().await.unwrap();
    let listed: HashSet<&str> =
        listing["jobs"].as_array().unwrap().iter().map(|j| j["job_id"].as_str().unwrap()).collect();
    assert_eq!(listed, submitted.iter().map(String::as_str).collect(), "{listing}");

    // A job canceled while queued (the compare-and-set script on the cluster).
    let port = stack.devices[0].addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    let doomed = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    let canceled = stack.http.delete(stack.url(&format!("/v2/jobs/{doomed}"))).basic_auth(USER, Some(PASS)).send();
    let status = canceled.await.unwrap().status().as_u16();
    assert!(status == 204 || status == 409, "cancel: {status}");

    // An API key works on every replica until it is revoked, then on none.
    let replicas = [stack.api_url.clone(), stack.add_api().await];
    let (key_id, token) = stack.api_key("viewer", &["*"]).await;
    for replica in &replicas {
        let response = stack.http.get(format!("{replica}/v2/jobs")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let revoked = stack
        .http
        .delete(stack.url(&format!("/v2/api-keys/{key_id}")))
        .basic_auth("admin", Some(naas_tests::ADMIN_SECRET));
    assert_eq!(revoked.send().await.unwrap().status(), 204);
    for replica in &replicas {
        let response = stack.http.get(format!("{replica}/v2/jobs")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }

    // The reaper leads on the cluster too.
    let leader = keys::reaper_leader(&stack.settings.prefix);
    naas_tests::wait::until("the reaper's leader lease", Duration::from_secs(10), || {
        let (stack, leader) = (&stack, &leader);
        async move { keys_by_node(stack).await.iter().flatten().any(|k| k == leader).then_some(()) }
    })
    .await;

    // A job's record shares its bucket's slot with the bucket's indexes (its scripts touch
    // record and indexes together); the buckets sit mid-range of their sixteenth of the
    // slots; everything else spreads, so more than one node holds this stack's keys.
    let per_node = keys_by_node(&stack).await;
    let all: Vec<&String> = per_node.iter().flatten().collect();
    let prefix = &stack.settings.prefix;
    for job_id in &submitted {
        let id = naas_shared::domain::JobId::parse(job_id).unwrap();
        let (record, listed) = (keys::job(prefix, id), keys::jobs(prefix, keys::Bucket::of(id)));
        assert!(all.contains(&&record) && all.contains(&&listed), "{record}, {listed}: {all:?}");
        assert_eq!(keyslot(&stack, &record).await, keyslot(&stack, &listed).await, "{record}");
    }
    let bucket_slots: HashSet<i64> = keys::Bucket::all().map(|b| b.index() as i64 * 1024 + 512).collect();
    let job_state: Vec<&&String> = all.iter().filter(|k| keys::matches(&keys::job_state_pattern(prefix), k)).collect();
    for key in &job_state {
        assert!(bucket_slots.contains(&keyslot(&stack, key).await), "{key}");
    }
    let nodes_used = per_node.iter().filter(|keys| !keys.is_empty()).count();
    assert!(nodes_used >= 2, "keys on {nodes_used} node(s) only: {per_node:?}");
    let (host_keys, circuits) = (keys::host_keys_pattern(prefix), keys::circuits_pattern(prefix));
    let hostkeys = all.iter().filter(|k| keys::matches(&host_keys, k)).count();
    assert_eq!(hostkeys, 4, "one remembered host key per device: {all:?}");
    // SCAN through the connection walks every node.
    let mut scanned = conn.scan_match(&keys::untagged_pattern(prefix)).await.unwrap();
    scanned.extend(conn.scan_match(&keys::tagged_pattern(prefix)).await.unwrap());
    let scanned: HashSet<&String> = scanned.iter().collect();
    // (Host keys and circuits stay; slot sets and windows come and go with the jobs.)
    let stored: HashSet<&String> =
        all.iter().copied().filter(|k| keys::matches(&host_keys, k) || keys::matches(&circuits, k)).collect();
    assert_eq!(stored.len(), 8, "{stored:?}");
    assert!(stored.is_subset(&scanned), "scan missed {:?}", stored.difference(&scanned).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_hold_on_a_cluster_across_two_replicas() {
    let options = StackOptions {
        workers: 0,
        redis_cluster: true,
        settings: |s| {
            s.rate_limit.per_caller = 5;
            s.rate_limit.per_caller_device = 3;
            s.rate_limit.limit_basic = true;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let replicas = [stack.api_url.clone(), stack.add_api().await];
    let submit = |n: usize, caller: &str, host: &str| {
        let url = format!("{}/v2/send-command", replicas[n % 2]);
        let request = stack.http.post(url).basic_auth(caller, Some("pw"));
        request.json(&json!({"host": host, "commands": ["show clock"]})).send()
    };
    // Callers (owners) hash to different slots: each has its own exact windows.
    let callers = ["alice", "bob", "carol", "dave", "erin", "frank"];
    for caller in callers {
        let mut statuses = Vec::new();
        for n in 0..4 {
            let response = submit(n, caller, "r1").await.unwrap();
            statuses.push(response.status().as_u16());
            assert_eq!(response.headers()["x-ratelimit-limit"], "5");
            if response.status() == 429 {
                let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&retry), "{retry}");
                assert_eq!(response.json::<Value>().await.unwrap()["code"], "RATE_LIMITED");
            }
        }
        assert_eq!(statuses, [202, 202, 202, 429], "{caller}: 3 per caller+device");
        let mut more = Vec::new();
        for n in 0..3 {
            more.push(submit(n, caller, "r2").await.unwrap().status().as_u16());
        }
        assert_eq!(more, [202, 202, 429], "{caller}: 5 per caller");
    }
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    assert_eq!(jobs.info().await.unwrap().state.messages, 5 * callers.len() as u64, "refusals queue nothing");

    // Each caller's two windows share a slot (one script checks both); callers spread.
    let per_node = keys_by_node(&stack).await;
    let pattern = keys::rate_limits_pattern(&stack.settings.prefix);
    let windows: Vec<&String> = per_node.iter().flatten().filter(|k| keys::matches(&pattern, k)).collect();
    assert_eq!(windows.len(), 3 * callers.len(), "{windows:?}");
    let mut slots = HashSet::new();
    for key in &windows {
        let owner_tag = key.split_once('{').unwrap().1.split('}').next().unwrap().to_owned();
        slots.insert((owner_tag, keyslot(&stack, key).await));
    }
    assert_eq!(slots.len(), callers.len(), "one slot per caller: {slots:?}");
    let nodes_used = per_node.iter().filter(|keys| keys.iter().any(|k| keys::matches(&pattern, k))).count();
    assert!(nodes_used >= 2, "rate windows on {nodes_used} node(s) only: {per_node:?}");
}

async fn run(stack: &Stack, port: u16) -> Value {
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    stack.result_of(&job_id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_breaker_opens_fails_fast_and_closes_on_a_cluster() {
    let stack = Stack::start(StackOptions {
        redis_cluster: true,
        workers: 2,
        settings: |s| {
            s.circuit_breaker.threshold = 3;
            s.circuit_breaker.timeout_secs = 2;
            s.jobs.max_attempts = 1;
        },
        ..Default::default()
    })
    .await;
    let prefix = &stack.settings.prefix;
    // Counted in Redis whichever of the two workers ran each job.
    let port = crate::breaker::opens_fails_fast_and_closes(&stack, 3).await;

    // The circuit lives in its device's own slot, wherever that is.
    let circuit = keys::circuit(prefix, "127.0.0.1", port);
    let per_node = keys_by_node(&stack).await;
    let holders: Vec<usize> = (0..per_node.len()).filter(|&i| per_node[i].contains(&circuit)).collect();
    assert_eq!(holders.len(), 1, "{per_node:?}");
    let mut node =
        node_connection(&std::iter::once(&stack.redis).chain(&stack.redis_peers).nth(holders[0]).unwrap().url).await;
    let state: Option<String> = redis::cmd("HGET").arg(&circuit).arg("state").query_async(&mut node).await.unwrap();
    assert_eq!(state.as_deref(), Some("closed"));
    // Every circuit expires (cool-down + 1 day), also one a single job created.
    let first_seen = keys::circuit(prefix, "127.0.0.1", stack.device("r1").addr.port());
    assert_eq!(run(&stack, stack.device("r1").addr.port()).await["status"], "finished");
    let conn = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    for key in [&circuit, &first_seen] {
        let ttl_ms: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn.clone()).await.unwrap();
        assert!(ttl_ms > 86_400_000, "{key}: PTTL {ttl_ms}");
    }
}

/// Jobs and devices of the load that checks the spread of the job state.
const LOAD_JOBS: usize = 3_000;
const LOAD_DEVICES: usize = 300;

/// Node index → how many keys matching `pattern` it holds, counted with SCAN.
async fn scan_count_by_node(stack: &Stack, pattern: &str) -> Vec<usize> {
    let mut counts = Vec::new();
    for node in std::iter::once(&stack.redis).chain(&stack.redis_peers) {
        let mut conn = node_connection(&node.url).await;
        let (mut cursor, mut count) = (0u64, 0);
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .unwrap();
            count += keys.len();
            if next == 0 {
                break;
            }
            cursor = next;
        }
        counts.push(count);
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_load_each_primary_holds_its_share_of_the_job_records() {
    let stack = Stack::start(StackOptions {
        redis_cluster: true,
        workers: 2,
        worker_concurrency: 32,
        devices: ios_fleet("d", LOAD_DEVICES, 0),
        settings: |s| {
            s.rate_limit.enabled = false;
            s.reaper.interval_secs = 1;
        },
        ..Default::default()
    })
    .await;
    stack.add_reaper(|_| {}).await;
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let results = stack.jetstream().get_stream(topology.results_stream()).await.unwrap();
    let config = async_nats::jetstream::consumer::pull::OrderedConfig::default();
    let mut results = results.create_consumer(config).await.unwrap().messages().await.unwrap();

    let started = std::time::Instant::now();
    let ports: Vec<u16> = stack.devices.iter().map(|d| d.addr.port()).collect();
    let submitted: HashSet<String> = futures::stream::iter(0..LOAD_JOBS)
        .map(|n| {
            let body = json!({"host": "127.0.0.1", "port": ports[n % ports.len()], "commands": ["show clock"]});
            let stack = &stack;
            async move { stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned() }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(submitted.len(), LOAD_JOBS);
    let mut finished = 0;
    while finished < LOAD_JOBS {
        let message = tokio::time::timeout(Duration::from_secs(120), results.next())
            .await
            .unwrap_or_else(|_| panic!("{finished} of {LOAD_JOBS} jobs ended"))
            .unwrap()
            .unwrap();
        let doc: Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(doc["status"], "finished", "{doc}");
        assert!(submitted.contains(doc["job_id"].as_str().unwrap()), "{doc}");
        finished += 1;
    }
    eprintln!("{LOAD_JOBS} jobs over {LOAD_DEVICES} devices ran in {:?}", started.elapsed());

    let records = scan_count_by_node(&stack, &keys::jobs_pattern(&stack.settings.prefix)).await;
    assert_eq!(records.iter().sum::<usize>(), LOAD_JOBS, "{records:?}");
    let shares: Vec<f64> = records.iter().map(|&n| n as f64 / LOAD_JOBS as f64).collect();
    eprintln!("job records per primary: {records:?} ({shares:.3?})");
    assert!(shares.iter().all(|share| (0.25..=0.42).contains(share)), "{records:?}");

    // Walking the job state stays one request per bucket on the cluster.
    let sealer = naas_shared::seal::Sealer::from_ring(stack.settings.encryption_key.as_ref().unwrap()).unwrap();
    let store = naas_shared::store::JobStore::connect(
        &stack.settings.redis,
        &stack.settings.prefix,
        std::sync::Arc::new(sealer),
        stack.settings.result_ttl(),
    )
    .await
    .unwrap();
    let round_trips = store.connection().round_trips();
    let now_ms = naas_shared::store::unix_ms(naas_shared::now());
    assert_eq!(store.expired(now_ms, 10).await.unwrap(), Default::default(), "every job ended");
    let mut cursor = naas_shared::store::ListCursor::default();
    let newest = store.list_ids(None, &mut cursor, 100).await.unwrap();
    assert_eq!(newest.len(), 100);
    assert!(newest.iter().all(|id| submitted.contains(&id.to_string())));
    assert_eq!(round_trips.get(naas_shared::store::Op::JobList), keys::Bucket::COUNT as u64);
}
