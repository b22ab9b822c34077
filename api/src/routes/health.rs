//! Liveness, readiness and the NAAS-shaped health check.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /livez` and `GET /readyz`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Probe {
    #[schema(examples("ok", "ready"))]
    pub status: &'static str,
}

/// `GET /healthcheck`, shaped as NAAS answers it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"status": "OK", "version": "0.1.0"})))]
pub struct Health {
    pub status: &'static str,
    /// The naas version.
    pub version: &'static str,
}

#[utoipa::path(
    get, path = "/livez", tag = "operations", operation_id = "livez",
    summary = "Liveness: the process serves requests",
    responses((status = 200, description = "Alive.", body = Probe, example = json!({"status": "ok"}))),
)]
pub async fn livez() -> Json<Probe> {
    Json(Probe { status: "ok" })
}

/// Ready only while both NATS and Redis answer.
#[utoipa::path(
    get, path = "/readyz", tag = "operations", operation_id = "readyz",
    summary = "Readiness: NATS and Redis answer",
    responses(
        (status = 200, description = "Ready.", body = Probe, example = json!({"status": "ready"})),
        (status = 503, response = super::openapi::Unavailable),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Probe>, ApiError> {
    if state.nats.connection_state() != async_nats::connection::State::Connected {
        return Err(ApiError::Unavailable { what: "NATS", cause: "not connected".into() });
    }
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(Probe { status: "ready" })),
        Ok(Err(e)) => Err(ApiError::store(e)),
        Err(_) => Err(ApiError::Unavailable { what: "Redis", cause: "ping timed out".into() }),
    }
}

#[utoipa::path(
    get, path = "/healthcheck", tag = "operations", operation_id = "healthcheck",
    summary = "Health check (NAAS shape)",
    responses((status = 200, description = "Healthy.", body = Health)),
)]
pub async fn healthcheck() -> Json<Health> {
    Json(Health { status: "OK", version: env!("CARGO_PKG_VERSION") })
}
