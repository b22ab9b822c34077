//! `X-Request-ID` on every response: the caller's (if it is sane) or a fresh one. The id is
//! put in the request's extensions for handlers and wraps the request in a tracing span.
//! Every response also gets the security headers (HSTS, nosniff, no-store).

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The request id of the request being served.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b))
}

pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span =
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    // A caller's trace continues through the job (W3C trace context).
    let traceparent = request.headers().get("traceparent").and_then(|v| v.to_str().ok());
    naas_shared::telemetry::traces::continue_trace(&span, traceparent);
    let mut response = next.run(request).instrument(span).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(HEADER, value);
    }
    // HTTPS only, and responses may carry device output: never sniffed, never cached.
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sane_ids_are_echoed() {
        assert!(super::acceptable("abc-123"));
        assert!(!super::acceptable(""));
        assert!(!super::acceptable("has space"));
        assert!(!super::acceptable(&"x".repeat(129)));
    }
}
