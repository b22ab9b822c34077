//! Bounded under load: the results and events streams keep within their byte limits (the
//! oldest leave first) while every job stays readable from Redis; a full Redis turns
//! submissions into 503 `STORE_FULL` (counted in the API's metrics) without losing an
//! accepted job; an output over the bytes kept per job is cut and marked.

use std::time::Duration;

use futures::StreamExt;
use naas_shared::store::RedisConn;
use naas_tests::{Stack, StackOptions, ios_fleet};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const STREAM_BOUND: i64 = 64 * 1024;
const INLINE_MAX: usize = 4096;
const BIG_OUTPUT: usize = 20_000;

fn job(stack: &Stack, device: usize, command: &str) -> Value {
    let port = stack.devices[device % stack.devices.len()].addr.port();
    json!({"host": "127.0.0.1", "port": port, "commands": [command]})
}

async fn document(stack: &Stack, job_id: &str) -> Value {
    let response = stack.get(&format!("/v2/jobs/{job_id}"), USER, PASS).await;
    assert_eq!(response.status(), 200, "GET /v2/jobs/{job_id}");
    response.json().await.unwrap()
}

async fn redis(stack: &Stack) -> RedisConn {
    naas_shared::store::connect(&stack.settings.redis).await.unwrap()
}

/// `naas_store_full_rejections_total` as the API's `/metrics` shows it.
async fn store_full_rejections(stack: &Stack) -> f64 {
    let text = stack.http.get(stack.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("naas_store_full_rejections_total ")?.parse().ok())
        .unwrap_or_else(|| panic!("no naas_store_full_rejections_total in {text}"))
}

async fn config_set(conn: &mut RedisConn, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG").arg("SET").arg(name).arg(value).query_async(conn).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_stay_within_their_bounds_while_every_job_stays_readable() {
    let mut devices = ios_fleet("r", 4, 0);
    for device in &mut devices {
        device.output_size = BIG_OUTPUT;
    }
    let options = StackOptions {
        devices,
        settings: |s| {
            s.rate_limit.enabled = false;
            s.nats.results_max_bytes = STREAM_BOUND;
            s.events.max_bytes = STREAM_BOUND;
            s.nats.result_inline_max_bytes = INLINE_MAX;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut results = stack.nats_client.subscribe(topology.results_wildcard()).await.unwrap();
    stack.nats_client.flush().await.unwrap();

    // Half small outputs, half outputs five times the inline limit.
    const JOBS: usize = 150;
    let mut ids = Vec::new();
    for n in 0..JOBS {
        let command = if n % 2 == 0 { "show version" } else { "show tech-support" };
        let accepted = stack.submit_command(USER, PASS, &job(&stack, n, command)).await;
        ids.push((accepted["job_id"].as_str().unwrap().to_owned(), command));
    }
    let mut omitted = 0;
    for _ in 0..JOBS {
        let message = tokio::time::timeout(Duration::from_secs(60), results.next())
            .await
            .expect("every job's result within 60 s")
            .unwrap();
        assert!(message.payload.len() <= INLINE_MAX, "a result message of {} bytes", message.payload.len());
        let flagged = message.headers.as_ref().and_then(|h| h.get(naas_nats::results::RESULTS_OMITTED));
        omitted += usize::from(flagged.is_some());
    }
    assert_eq!(omitted, JOBS / 2, "every large output left out of its result message, no small one");

    let js = stack.jetstream();
    for name in [topology.results_stream(), topology.events_stream()] {
        let info = js.get_stream(&name).await.unwrap().info().await.unwrap().clone();
        assert_eq!(info.config.max_bytes, STREAM_BOUND, "{name}");
        assert!(info.state.bytes <= STREAM_BOUND as u64, "{name} holds {} bytes", info.state.bytes);
        assert!(info.state.first_sequence > 1, "{name}: the oldest messages left to keep within the bound");
    }
    // The API serves every job, the oldest (gone from the streams) as well, whole.
    for (id, command) in &ids {
        let doc = document(&stack, id).await;
        assert_eq!(doc["status"], "finished", "{doc}");
        let output = doc["results"][command].as_str().unwrap();
        if *command == "show tech-support" {
            assert!(output.len() > BIG_OUTPUT * 9 / 10, "{id}: {} bytes served", output.len());
        }
        assert!(doc.get("results_truncated").is_none(), "{doc}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nearly_full_redis_refuses_submissions_and_still_settles_the_accepted_jobs() {
    let options = StackOptions {
        devices: ios_fleet("r", 2, 300),
        settings: |s| s.rate_limit.enabled = false,
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    assert_eq!(stack.settings.redis.admission_max_memory_percent, 90);
    let mut conn = redis(&stack).await;
    // In flight (each takes the device's 300 ms latency per exchange) when Redis fills up.
    let mut accepted = Vec::new();
    for n in 0..4 {
        accepted.push(stack.submit_command(USER, PASS, &job(&stack, n, "show version")).await["job_id"].clone());
    }
    // Filled with small values (a large one would sit in the query buffer, which counts
    // as used memory), then bounded so that the fill is 95 % of maxmemory: past the
    // admission's 90 %, with room for the jobs in flight.
    let fillers: Vec<String> = (0..256).map(|n| format!("{}:filler:{n}", stack.settings.prefix)).collect();
    for key in &fillers {
        let _: () = redis::cmd("SET").arg(key).arg(vec![b'x'; 64 * 1024]).query_async(&mut conn).await.unwrap();
    }
    let used = conn.memory().await.unwrap().expect("one server").used;
    config_set(&mut conn, "maxmemory-policy", "noeviction").await;
    config_set(&mut conn, "maxmemory", &(used * 100 / 95).to_string()).await;

    let stack = &stack;
    let refused =
        naas_tests::wait::until("a submission refused with STORE_FULL", Duration::from_secs(5), || async move {
            let response = stack.post("/v2/send-command", USER, PASS, &job(stack, 0, "show version")).await;
            if response.status() == 202 {
                return None; // the admission's last look at Redis was still fresh
            }
            let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            Some((response.status(), retry_after, response.json::<Value>().await.unwrap()))
        })
        .await;
    assert_eq!(refused.0, 503, "{}", refused.2);
    assert_eq!(refused.2["code"], "STORE_FULL", "{}", refused.2);
    assert_eq!(refused.2["status"], 503);
    assert_eq!(refused.1.as_deref(), Some("10"));
    assert!(store_full_rejections(stack).await >= 1.0, "the refusal is counted");

    // What was accepted before still runs and settles within the headroom.
    for id in &accepted {
        let doc = stack.result_of(id.as_str().unwrap()).await;
        assert_eq!(doc["status"], "finished", "{doc}");
        assert_eq!(document(stack, id.as_str().unwrap()).await["status"], "finished");
    }

    // Memory frees: submissions are taken again.
    let _: () = redis::cmd("DEL").arg(&fillers).query_async(&mut conn).await.unwrap();
    let job_id = naas_tests::wait::until("a submission accepted again", Duration::from_secs(5), || async move {
        let response = stack.post("/v2/send-command", USER, PASS, &job(stack, 1, "show version")).await;
        (response.status() == 202).then_some(())?;
        Some(response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned())
    })
    .await;
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
}

/// With no headroom kept (`admission_max_memory_percent = 100`) Redis's own refusal is
/// what the caller meets: still 503 `STORE_FULL`, never a 500, and no job half-made.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_refusing_writes_for_lack_of_memory_is_store_full() {
    let options = StackOptions {
        settings: |s| {
            s.redis.admission_max_memory_percent = 100;
            s.rate_limit.enabled = false;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let mut conn = redis(&stack).await;
    config_set(&mut conn, "maxmemory-policy", "noeviction").await;
    let used = conn.memory().await.unwrap().expect("one server").used;
    config_set(&mut conn, "maxmemory", &(used / 2).to_string()).await;

    let before = stack.redis_dump().await.len();
    let plain = stack.post("/v2/send-command", USER, PASS, &job(&stack, 0, "show version")).await;
    let keyed = stack
        .http
        .post(stack.url("/v2/send-command"))
        .basic_auth(USER, Some(PASS))
        .header("X-Idempotency-Key", "store-full-1")
        .json(&job(&stack, 0, "show version"))
        .send()
        .await
        .unwrap();
    for response in [plain, keyed] {
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "10");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "STORE_FULL", "{body}");
    }
    assert_eq!(stack.redis_dump().await.len(), before, "nothing half-written");
    assert_eq!(store_full_rejections(&stack).await, 2.0, "both refusals counted");

    config_set(&mut conn, "maxmemory", "0").await;
    let accepted = stack.submit_command(USER, PASS, &job(&stack, 0, "show version")).await;
    assert_eq!(stack.result_of(accepted["job_id"].as_str().unwrap()).await["status"], "finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_over_the_bytes_kept_per_job_is_cut_and_marked() {
    let mut device = naas_sim::DeviceSpec::cisco_ios("r1", USER, PASS, PASS);
    device.output_size = 50_000;
    let options = StackOptions {
        devices: vec![device],
        settings: |s| s.jobs.max_stored_output_bytes = 10_000,
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let body = json!({
        "host": "127.0.0.1", "port": stack.device("r1").addr.port(),
        "commands": ["show version", "show tech-support", "show clock"],
    });
    let accepted = stack.submit_command(USER, PASS, &body).await;
    let id = accepted["job_id"].as_str().unwrap();
    assert_eq!(stack.result_of(id).await["status"], "finished");
    let doc = document(&stack, id).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert_eq!(doc["results_truncated"], true, "{doc}");
    let version = doc["results"]["show version"].as_str().unwrap();
    assert!(version.contains("Cisco IOS Software") && !version.contains("truncated"), "kept whole: {version}");
    let tech = doc["results"]["show tech-support"].as_str().unwrap();
    let marker = marker_of(tech).expect("the cut output ends with the marker");
    assert!(tech.len() - marker.len() <= 10_000, "{} bytes kept", tech.len());
    let clock = doc["results"]["show clock"].as_str().unwrap();
    assert!(marker_of(clock).is_some_and(|m| m == clock), "nothing left of later outputs: {clock}");

    let small = stack.submit_command(USER, PASS, &job(&stack, 0, "show version")).await;
    let small = small["job_id"].as_str().unwrap();
    assert_eq!(stack.result_of(small).await["status"], "finished");
    assert!(document(&stack, small).await.get("results_truncated").is_none(), "only set when something was cut");
}

/// The truncation marker at the end of `output`, if there is one.
fn marker_of(output: &str) -> Option<&str> {
    let start = output.rfind("\n[naas: output truncated, ")?;
    let marker = &output[start..];
    marker.ends_with(" bytes not kept]").then_some(marker)
}

/// What one job costs where it stays (the per-job figures of the sizing table in
/// docs/operations.md): its Redis record, and its share of the results and events streams.
/// Printed, and held to what the table assumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_per_job_is_what_the_sizing_assumes() {
    let mut devices = ios_fleet("r", 4, 0);
    for device in &mut devices {
        device.output_size = 100 * 1024;
    }
    let options = StackOptions { devices, settings: |s| s.rate_limit.enabled = false, ..Default::default() };
    let stack = Stack::start(options).await;
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut conn = redis(&stack).await;
    const JOBS: usize = 100;
    let mut figures = Vec::new();
    for (command, record_bound) in [("show version", 4 * 1024), ("show tech-support", 200 * 1024)] {
        let js = stack.jetstream();
        let stream_bytes = |name: String| {
            let js = js.clone();
            async move { js.get_stream(name).await.unwrap().info().await.unwrap().state.bytes }
        };
        let (results0, events0) =
            (stream_bytes(topology.results_stream()).await, stream_bytes(topology.events_stream()).await);
        let used0 = conn.memory().await.unwrap().unwrap().used;
        let mut ids = Vec::new();
        for n in 0..JOBS {
            ids.push(
                stack.submit_command(USER, PASS, &job(&stack, n, command)).await["job_id"].as_str().unwrap().to_owned(),
            );
        }
        for id in &ids {
            assert_eq!(stack.result_of(id).await["status"], "finished");
        }
        let used = conn.memory().await.unwrap().unwrap().used.saturating_sub(used0) / JOBS as u64;
        let key = naas_shared::keys::job(&stack.settings.prefix, naas_shared::domain::JobId::parse(&ids[0]).unwrap());
        let record: u64 = redis::cmd("MEMORY").arg("USAGE").arg(&key).query_async(&mut conn).await.unwrap();
        let results = (stream_bytes(topology.results_stream()).await - results0) / JOBS as u64;
        let events = (stream_bytes(topology.events_stream()).await - events0) / JOBS as u64;
        println!(
            "{command}: Redis record {record} B (used_memory +{used} B/job); NATS results {results} B/job, events {events} B/job"
        );
        assert!(record <= record_bound, "{command}: a record of {record} bytes");
        assert!(results <= 4096, "{command}: {results} bytes of results stream per job");
        assert!(events <= 4096, "{command}: {events} bytes of events stream per job");
        figures.push(record);
    }
    assert!(figures[1] > 100 * 1024, "the large output is kept whole: {figures:?}");
}
