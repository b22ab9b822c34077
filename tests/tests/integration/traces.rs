//! OpenTelemetry: one trace per job, from the caller's request through the API and the NATS
//! message into a worker running as a separate process, exported over OTLP/HTTP to a
//! collector, with every span connected to its parent.

use std::time::Duration;

use naas_tests::collector::{Collector, ReceivedSpan};
use naas_tests::processes::WorkerProcess;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

use crate::reaper::WORKER_EXE;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
/// The caller's own trace and span, continued by naas.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn one<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> &'a ReceivedSpan {
    let found: Vec<&ReceivedSpan> = spans.iter().filter(|s| s.service == service && s.name == name).collect();
    assert_eq!(found.len(), 1, "one {service} span {name}: {spans:#?}");
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_jobs_trace_is_connected_from_the_request_to_the_worker_process() {
    let token = tokio_util::sync::CancellationToken::new();
    let collector = Collector::start(token.clone()).await;
    let mut traces = naas_shared::config::Settings::defaults().tracing;
    traces.otlp_endpoint = collector.endpoint.clone();
    traces.export_interval_ms = 100;
    naas_tests::logs::install_with_traces(&traces, "naas-api");
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.tracing = traces;
    let _worker = WorkerProcess::spawn(WORKER_EXE, &stack.settings, "traced");
    let subject = format!("{}.events.*.*.*.started", stack.settings.prefix);
    let mut started = stack.nats_client.subscribe(subject).await.unwrap();
    stack.nats_client.flush().await.unwrap();

    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version", "show clock"]});
    let request = stack.http.post(stack.url("/v2/send-command")).basic_auth(USER, Some(PASS)).json(&body);
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let response = request.header("traceparent", traceparent).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    let event = tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(&mut started)).await;
    let event = event.expect("the started event").unwrap();
    let carried = event.headers.as_ref().and_then(|h| h.get("traceparent")).map(|v| v.to_string());
    assert!(carried.as_deref().is_some_and(|t| t.contains(CALLER_TRACE)), "events join the trace: {carried:?}");

    let spans = naas_tests::wait::until("the worker's spans", Duration::from_secs(30), || {
        let spans = collector.trace(CALLER_TRACE);
        let done = spans.iter().any(|s| s.service == "naas-worker" && s.name == "result.publish");
        let api = spans.iter().any(|s| s.service == "naas-api" && s.name == "request");
        async move { (done && api).then_some(spans) }
    })
    .await;
    let request = one(&spans, "naas-api", "request");
    assert_eq!(request.parent, CALLER_SPAN, "the caller's trace continues");
    let publish = one(&spans, "naas-api", "job.publish");
    assert_eq!(publish.parent, request.span_id);
    let job = one(&spans, "naas-worker", "job");
    assert_eq!(job.parent, publish.span_id, "the worker process's job span hangs under the API's publish");
    for name in ["queue_wait", "result.store", "result.publish"] {
        assert_eq!(one(&spans, "naas-worker", name).parent, job.span_id, "{name}");
    }
    for name in ["tcp_connect", "handshake", "auth", "shell"] {
        one(&spans, "naas-worker", name);
    }
    let commands = spans.iter().filter(|s| s.service == "naas-worker" && s.name == "command").count();
    assert_eq!(commands, 2, "one span per command");
    // Connected: every span's parent is in the trace, up to the caller's span.
    for span in &spans {
        assert!(
            span.parent == CALLER_SPAN || spans.iter().any(|p| p.span_id == span.parent),
            "{span:?} has its parent in the trace"
        );
    }
    token.cancel();
}
