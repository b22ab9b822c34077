//! Liveness, readiness and the NAAS-shaped health check.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn livez() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready only while both NATS and Redis answer.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.nats.connection_state() != async_nats::connection::State::Connected {
        return Err(ApiError::Unavailable { what: "NATS", cause: "not connected".into() });
    }
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(json!({"status": "ready"}))),
        Ok(Err(e)) => Err(ApiError::redis(e)),
        Err(_) => Err(ApiError::redis("ping timed out")),
    }
}

pub async fn healthcheck() -> Json<Value> {
    Json(json!({"status": "OK", "version": env!("CARGO_PKG_VERSION")}))
}
