//! The HTTP surface: which path goes to which handler.

mod api_keys;
mod health;
mod jobs;
mod listing;
mod openapi;
mod stream;
mod structured;
mod v1;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path};
use axum::routing::{delete, get, post};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let body_bounds = crate::body_limit::Bounds::new(&state.settings.api);
    let document: Arc<str> = openapi::document(&state.settings, &state.platforms).into();
    let docs = openapi::DocsFiles::new();
    // NAAS's other read paths for a job go to the same handlers (`openapi::ALIASES`).
    // NAAS v1, deprecated: the v2 handlers behind NAAS's field names and answers.
    let v1 = Router::new()
        .route("/v1/send_command", post(v1::send_command))
        .route("/v1/send_command_structured", post(v1::send_command_structured))
        .route("/v1/send_command_structured/{job_id}", get(v1::get))
        .route("/v1/send_config", post(v1::send_config))
        .route("/v1/send_command/{job_id}", get(v1::get))
        .route("/v1/send_config/{job_id}", get(v1::get))
        .route("/v1/jobs", get(listing::list))
        .route("/v1/jobs/{job_id}", delete(v1::cancel))
        .route_layer(axum::middleware::from_fn(v1::deprecation));
    Router::new()
        .merge(v1)
        .route("/v2/send-command", post(jobs::send_command))
        .route("/v2/send-command-structured", post(structured::send_command_structured))
        .route("/v2/send-command-structured/{job_id}", get(jobs::get))
        .route("/v2/send-config", post(jobs::send_config))
        .route("/v2/jobs", get(listing::list))
        .route("/v2/jobs/{job_id}", get(jobs::get).delete(jobs::cancel))
        .route("/v2/jobs/{job_id}/stream", get(stream::follow))
        .route("/v2/send-config/{job_id}", get(jobs::get))
        .route("/v2/send-command/{job_id}", get(jobs::get))
        .route("/v2/api-keys", post(api_keys::create).get(api_keys::list))
        .route("/v2/api-keys/{key_id}", delete(api_keys::revoke))
        .route("/v2/api-keys/{key_id}/rotate", post(api_keys::rotate))
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .route("/healthcheck", get(health::healthcheck))
        .route("/metrics", get(crate::metrics::scrape))
        .route("/openapi.json", get(move || async move { openapi::openapi_json(&document) }))
        .route("/docs", get(openapi::docs))
        .route("/docs/{file}", get(move |Path(file): Path<String>| async move { openapi::docs_file(&docs, &file) }))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Bodies are read and bounded once, by the layer; the extractors add no limit of their own.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(body_bounds, crate::body_limit::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::layer))
        .layer(axum::middleware::from_fn(crate::request_id::layer))
        .with_state(state)
}
