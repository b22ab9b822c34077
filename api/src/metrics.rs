//! The API's metrics: requests by route and status, submissions, rate-limit and full-store
//! rejections, open job streams; served on `GET /metrics` with the queue backlog.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use naas_shared::metrics::{CONTENT_TYPE, Def, counter, gauge, histogram};

use crate::state::AppState;

pub const CATALOGUE: &[Def] = &[
    counter("naas_http_requests_total", "HTTP requests answered, by route template, method and status code."),
    histogram(
        "naas_http_request_duration_seconds",
        "Time to answer an HTTP request (to its headers), by route template.",
    ),
    counter("naas_jobs_submitted_total", "Jobs accepted (202), by kind."),
    counter("naas_rate_limit_rejections_total", "Submissions refused by a rate limit (429)."),
    counter("naas_store_full_rejections_total", "Submissions refused because the job store is full (503 STORE_FULL)."),
    gauge("naas_job_streams_open", "Open GET /v2/jobs/{id}/stream responses."),
    gauge(
        crate::tls::EXPIRY_METRIC,
        "When the served TLS certificate expires (Unix time, seconds), by source (configured, generated).",
    ),
];

/// Counts and times every request under its route template (never its concrete path, so
/// job ids do not become labels).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let metrics = &state.metrics;
    metrics.inc("naas_http_requests_total", &[("route", &route), ("method", &method), ("status", &status)]);
    metrics.observe("naas_http_request_duration_seconds", &[("route", &route)], started.elapsed());
    response
}

/// `GET /metrics` (Prometheus text format).
#[utoipa::path(
    get, path = "/metrics", tag = "operations", operation_id = "metrics",
    summary = "Prometheus metrics",
    description = "The API's metrics and the queue backlog, in the Prometheus text format (docs/metrics.md).",
    responses((status = 200, description = "The metrics.", content_type = "text/plain", body = String)),
)]
pub async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    naas_nats::backlog::record_backlog(&state.jetstream, &state.topology, &state.metrics).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], state.metrics.render())
}
