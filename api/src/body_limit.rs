//! Request bodies are read here, before any handler, up to `api.max_body_bytes`.
//!
//! A body over the limit gets its 413 as an answer the caller can read. Most HTTP/1.1
//! clients (Python's, netmiko-era scripts) send the whole body before they read, so closing
//! the connection under a client still writing shows it a reset or a TLS error, never the
//! 413. Instead the rest of the body is read and dropped, up to [`DRAIN_MAX_BYTES`] within
//! [`DRAIN_MAX_TIME`], and the connection stays usable. A client that sent
//! `Expect: 100-continue` is answered before it sends the body; a body declared beyond the
//! drain bound, or one that does not end within it, gets the 413 with `Connection: close`.
//!
//! A body within the limit must arrive in full within `api.body_read_timeout_secs` of the
//! layer starting to read it (the headers have their own deadline, in hyper): a client that
//! trickles it, or stops half way, gets 408 `REQUEST_TIMEOUT` and the connection closes, so
//! a connection slot and a task are not held for as long as a client cares to dribble.

use std::time::Duration;

use tokio::time::Instant;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use crate::error::ApiError;

/// How much of a body beyond the limit is read and dropped so its 413 arrives intact.
pub const DRAIN_MAX_BYTES: u64 = 64 << 20;
/// How long a body beyond the limit may take to arrive in full.
pub const DRAIN_MAX_TIME: Duration = Duration::from_secs(5);

/// How large a body may be, and how long it may take to arrive.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

impl Bounds {
    pub fn new(settings: &naas_shared::config::ApiSettings) -> Self {
        Self { max_bytes: settings.max_body_bytes, read_timeout: Duration::from_secs(settings.body_read_timeout_secs) }
    }
}

pub async fn layer(State(bounds): State<Bounds>, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let deadline = Instant::now() + bounds.read_timeout;
    let limit = bounds.max_bytes;
    let (parts, body) = request.into_parts();
    let http1 = parts.version < Version::HTTP_2;
    let limit_bytes = limit as u64;
    if let Some(declared) = body.size_hint().exact().filter(|&length| length > limit_bytes) {
        let expects_continue =
            parts.headers.get(header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if expects_continue || declared - limit_bytes > DRAIN_MAX_BYTES {
            return too_large(limit, http1, false);
        }
    }
    let mut stream = body.into_data_stream();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut read = 0usize;
    loop {
        let Ok(next_chunk) = tokio::time::timeout_at(deadline, stream.next()).await else {
            return timed_out(bounds.read_timeout, http1);
        };
        let Some(chunk) = next_chunk else { break };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                return ApiError::MalformedJson(format!("the body could not be read: {error}")).into_response();
            }
        };
        read += chunk.len();
        if read > limit {
            let drained = drain(stream, DRAIN_MAX_BYTES.saturating_sub((read - limit) as u64)).await;
            return too_large(limit, http1, drained);
        }
        chunks.push(chunk);
    }
    let body = match chunks.len() {
        1 => Body::from(chunks.pop().expect("one chunk")),
        _ => Body::from(chunks.concat()),
    };
    next.run(Request::from_parts(parts, body)).await
}

/// Reads and drops the rest of a body: whether it ended within `budget` bytes and
/// [`DRAIN_MAX_TIME`].
async fn drain(mut stream: axum::body::BodyDataStream, mut budget: u64) -> bool {
    let to_the_end = async {
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { return false };
            let Some(left) = budget.checked_sub(chunk.len() as u64) else { return false };
            budget = left;
        }
        true
    };
    tokio::time::timeout(DRAIN_MAX_TIME, to_the_end).await.unwrap_or(false)
}

/// The 408; on HTTP/1.x the connection closes after it (the rest of the body is not read).
fn timed_out(read_timeout: Duration, http1: bool) -> Response {
    let mut response = ApiError::RequestTimeout(read_timeout.as_secs()).into_response();
    if http1 {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The 413; on HTTP/1.x with the body not read to its end, the connection closes after it.
fn too_large(limit: usize, http1: bool, body_read: bool) -> Response {
    let mut response = ApiError::PayloadTooLarge(limit).into_response();
    if http1 && !body_read {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use tower::ServiceExt as _;

    use std::time::Duration;

    use super::Bounds;

    fn app(limit: usize) -> Router {
        let bounds = Bounds { max_bytes: limit, read_timeout: Duration::from_secs(10) };
        Router::new()
            .route("/", post(|body: axum::body::Bytes| async move { body.len().to_string() }))
            .layer(axum::middleware::from_fn_with_state(bounds, super::layer))
    }

    async fn send(limit: usize, request: Request<Body>) -> (StatusCode, Option<String>, String) {
        let response = app(limit).oneshot(request).await.unwrap();
        let status = response.status();
        let connection = response.headers().get("connection").map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, connection, String::from_utf8_lossy(&body).into_owned())
    }

    fn chunked(parts: Vec<&'static [u8]>) -> Body {
        Body::from_stream(futures::stream::iter(parts.into_iter().map(Ok::<_, std::io::Error>)))
    }

    #[tokio::test]
    async fn bodies_within_the_limit_reach_the_handler_whole() {
        let one = Request::post("/").body(Body::from("x".repeat(10))).unwrap();
        assert_eq!(send(10, one).await.2, "10");
        let several = Request::post("/").body(chunked(vec![b"abc", b"def", b"g"])).unwrap();
        assert_eq!(send(10, several).await.2, "7");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_read_to_its_end_and_refused() {
        let over = Request::post("/").body(chunked(vec![b"abcdef", b"ghijkl", b"mn"])).unwrap();
        let (status, connection, body) = send(10, over).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(connection, None, "the body was read to its end: the connection stays usable");
        assert!(body.contains("PAYLOAD_TOO_LARGE"), "{body}");
    }

    #[tokio::test]
    async fn expect_continue_or_a_body_beyond_the_drain_bound_is_refused_at_once() {
        let expecting = Request::post("/")
            .header("content-length", "11")
            .header("expect", "100-continue")
            .body(Body::from("x".repeat(11)))
            .unwrap();
        let (status, connection, _) = send(10, expecting).await;
        assert_eq!((status, connection.as_deref()), (StatusCode::PAYLOAD_TOO_LARGE, Some("close")));

        // A body that never ends is not waited for beyond the bound either.
        let endless = futures::stream::repeat_with(|| Ok::<_, std::io::Error>(vec![0u8; 4 << 20]));
        let request = Request::post("/").body(Body::from_stream(endless)).unwrap();
        let (status, connection, _) = send(10, request).await;
        assert_eq!((status, connection.as_deref()), (StatusCode::PAYLOAD_TOO_LARGE, Some("close")));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_does_not_arrive_in_time_gets_a_408_and_the_connection_closes() {
        let first = futures::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"host\""))]);
        let stalled = futures::StreamExt::chain(first, futures::stream::pending());
        let request = Request::post("/").body(Body::from_stream(stalled)).unwrap();
        let (status, connection, body) = send(1000, request).await;
        assert_eq!((status, connection.as_deref()), (StatusCode::REQUEST_TIMEOUT, Some("close")));
        assert!(body.contains("REQUEST_TIMEOUT"), "{body}");
    }
}
