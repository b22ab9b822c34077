//! `GET /v2/jobs/{id}/stream`: Server-Sent Events of one job's progress.

use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

type Events =
    std::pin::Pin<Box<dyn Stream<Item = Result<Event, eventsource_stream::EventStreamError<reqwest::Error>>> + Send>>;

/// The keep-alive comment the API sends while a stream is idle, as it is on the wire.
const KEEPALIVE: &[u8] = b": keep-alive\n";

/// Reads an SSE response as it arrives (parsed by `eventsource-stream`, which drops
/// comments), and notes every keep-alive comment in the raw bytes on their way to it.
struct Reader {
    events: Events,
    keepalives: tokio::sync::mpsc::UnboundedReceiver<()>,
}

impl Reader {
    fn new(response: reqwest::Response) -> Self {
        let (seen, keepalives) = tokio::sync::mpsc::unbounded_channel();
        let bytes = response.bytes_stream().inspect(move |chunk| {
            if chunk.as_ref().is_ok_and(|c| c.windows(KEEPALIVE.len()).any(|w| w == KEEPALIVE)) {
                let _ = seen.send(());
            }
        });
        Self { events: Box::pin(bytes.eventsource()), keepalives }
    }

    /// The next event (name, JSON data), or `None` when the server ended the response.
    async fn next(&mut self) -> Option<(String, Value)> {
        let next = tokio::time::timeout(Duration::from_secs(30), self.events.next())
            .await
            .expect("the stream moves within 30 s")?;
        let event = next.expect("the stream reads");
        Some((event.event, serde_json::from_str(&event.data).expect("JSON data")))
    }

    async fn event(&mut self) -> (String, Value) {
        self.next().await.expect("another event")
    }

    /// Waits for a keep-alive comment; an event meanwhile is a failure.
    async fn keepalive(&mut self) {
        let idle = async {
            tokio::select! {
                _ = self.keepalives.recv() => {}
                event = self.events.next() => panic!("an idle stream sent {event:?}, not a keep-alive"),
            }
        };
        tokio::time::timeout(Duration::from_secs(30), idle).await.expect("a keep-alive within 30 s");
    }
}

async fn open(stack: &Stack, job_id: &str, password: &str) -> reqwest::Response {
    let url = stack.url(&format!("/v2/jobs/{job_id}/stream"));
    stack.http.get(url).basic_auth(USER, Some(password)).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_stream_sends_every_status_then_the_result_and_ends() {
    let options = StackOptions { workers: 0, settings: |s| s.events.sse_keepalive_secs = 1, ..Default::default() };
    let mut stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();

    assert_eq!(open(&stack, &job_id, "another-password").await.status(), 404);
    assert_eq!(stack.http.get(stack.url(&format!("/v2/jobs/{job_id}/stream"))).send().await.unwrap().status(), 401);
    let response = open(&stack, &job_id, PASS).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = Reader::new(response);
    let (name, current) = stream.event().await;
    assert_eq!((name.as_str(), current["status"].as_str()), ("status", Some("queued")), "{current}");
    // Idle: proxies see a keep-alive comment every second.
    stream.keepalive().await;

    stack.add_worker().await;
    let mut seen = Vec::new();
    let result = loop {
        match stream.event().await {
            (name, event) if name == "status" => seen.push(event["status"].as_str().unwrap().to_owned()),
            (name, document) => break (name, document),
        }
    };
    assert_eq!(seen, ["started", "finished"]);
    assert_eq!(result.0, "result");
    assert_eq!(result.1["job_id"], job_id.as_str());
    assert!(result.1["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"), "{}", result.1);
    assert_eq!(stream.next().await, None, "the response ends after the result");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_of_an_ended_job_sends_its_status_and_result() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    let mut stream = Reader::new(open(&stack, &job_id, PASS).await);
    let (name, status) = stream.event().await;
    assert_eq!(
        (name.as_str(), status["status"].as_str(), status["attempt"].as_u64()),
        ("status", Some("finished"), Some(1))
    );
    let (name, document) = stream.event().await;
    assert_eq!((name.as_str(), document["status"].as_str()), ("result", Some("finished")));
    assert_eq!(stream.next().await, None);
    assert_eq!(open(&stack, &uuid::Uuid::new_v4().to_string(), PASS).await.status(), 404);
}

/// `GET` calls Redis has served so far.
async fn redis_gets(stack: &Stack) -> u64 {
    let mut conn = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await.unwrap();
    let line = info.lines().find(|l| l.starts_with("cmdstat_get:")).unwrap_or("cmdstat_get:calls=0,");
    line["cmdstat_get:calls=".len()..].split(',').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_open_streams_cost_no_redis_reads_while_idle() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"]});
    let job_id = stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned();
    // Three connections (an HTTP/2 connection carries at most 200 streams at once).
    let clients: Vec<reqwest::Client> =
        (0..3).map(|_| reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap()).collect();
    let url = stack.url(&format!("/v2/jobs/{job_id}/stream"));
    let mut streams = Vec::new();
    for n in 0..300 {
        let response = clients[n % 3].get(&url).basic_auth(USER, Some(PASS)).send().await.unwrap();
        let mut stream = Reader::new(response);
        assert_eq!(stream.event().await.1["status"], "queued");
        streams.push(stream);
    }
    let before = redis_gets(&stack).await;
    // Idle streams: nothing may touch Redis meanwhile (no polling).
    let idle = tokio::time::Instant::now() + Duration::from_secs(2);
    tokio::time::sleep_until(idle).await;
    assert_eq!(redis_gets(&stack).await, before, "idle streams read nothing");

    stack.add_worker().await;
    let ends = streams.into_iter().map(|mut stream| async move {
        loop {
            let (name, data) = stream.event().await;
            if name == "result" {
                return data["status"].as_str().unwrap().to_owned();
            }
        }
    });
    let statuses = futures::future::join_all(ends).await;
    assert!(statuses.iter().all(|s| s == "finished"), "{statuses:?}");
}
