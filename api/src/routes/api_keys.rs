//! API key administration (admin only): create, list, revoke, rotate. A token is shown
//! once, at creation or rotation; only its record (no token) is stored.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::jobs::json_body;
use crate::auth::keys::ApiKey;
use crate::auth::{Caller, Realm, Role, authenticate};
use crate::error::{ApiError, FieldError};
use crate::request_id::RequestId;
use crate::state::AppState;

const DEFAULT_TTL_SECS: u64 = 30 * 24 * 3600;

async fn admin(state: &AppState, headers: &HeaderMap, request_id: &str) -> Result<Caller, ApiError> {
    let caller = authenticate(headers, state, Realm::KeyAdmin, request_id).await?;
    caller.require(Role::Admin, state, request_id).await?;
    Ok(caller)
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

fn describe(key: &ApiKey) -> Value {
    json!({
        "key_id": key.key_id, "name": key.name, "role": key.role, "contexts": key.contexts,
        "created_at": rfc3339(key.created_at), "expires_at": rfc3339(key.expires_at),
    })
}

/// Issues a token for `key` (with a fresh `jti`), stores the record (replacing the existing
/// one when rotating), answers 201; 404 if a rotated key was revoked meanwhile.
async fn issue(
    state: &AppState,
    mut key: ApiKey,
    rotating: bool,
    request_id: &str,
    created_by: &str,
) -> Result<Response, ApiError> {
    key.jti = uuid::Uuid::new_v4().simple().to_string();
    let now = naas_shared::now().unix_timestamp();
    let token = state.tokens.issue(&key.key_id, key.role, &key.contexts, now, key.expires_at, &key.jti);
    if !state.keys.put(&key, rotating).await.map_err(ApiError::redis)? {
        return Err(ApiError::NotFound);
    }
    let fields = json!({"key_id": key.key_id, "role": key.role, "contexts": key.contexts, "name": key.name, "created_by": created_by});
    state.audit.emit("apikey.created", Some(request_id), fields).await;
    let body = json!({
        "key_id": key.key_id, "token": token, "role": key.role, "contexts": key.contexts,
        "expires_at": rfc3339(key.expires_at),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = admin(&state, &headers, &request_id).await?;
    let body = json_body(&headers, body, state.settings.api.max_body_bytes)?;
    let mut errors = Vec::new();
    let role = match body.get("role").map(|r| serde_json::from_value::<Role>(r.clone())) {
        Some(Ok(role)) => Some(role),
        _ => {
            errors.push(FieldError::new("role", "is required: viewer, operator or admin"));
            None
        }
    };
    let contexts: Vec<String> = match body.get("contexts") {
        None => vec!["*".into()],
        Some(v) => match serde_json::from_value::<Vec<String>>(v.clone()) {
            Ok(list)
                if !list.is_empty()
                    && list.iter().all(|c| c == "*" || naas_shared::domain::Context::parse(c).is_ok()) =>
            {
                list
            }
            _ => {
                errors.push(FieldError::new("contexts", "a non-empty list of context names, or [\"*\"] for all"));
                Vec::new()
            }
        },
    };
    let max_ttl = state.settings.auth.max_key_ttl_secs;
    let ttl = match body.get("ttl_seconds") {
        None => DEFAULT_TTL_SECS.min(max_ttl),
        Some(v) => match v.as_u64().filter(|t| (60..=max_ttl).contains(t)) {
            Some(t) => t,
            None => {
                errors.push(FieldError::new("ttl_seconds", format!("an integer from 60 to {max_ttl}")));
                0
            }
        },
    };
    let name = match body.get("name").and_then(Value::as_str) {
        Some(n) if (1..=64).contains(&n.chars().count()) && !n.chars().any(char::is_control) => n.to_owned(),
        _ => {
            errors.push(FieldError::new("name", "is required: 1-64 printable characters"));
            String::new()
        }
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else { return Err(ApiError::Validation(errors)) };
    let now = naas_shared::now().unix_timestamp();
    let key = ApiKey {
        key_id: uuid::Uuid::new_v4().simple().to_string(),
        name,
        role,
        contexts,
        created_at: now,
        expires_at: now + ttl as i64,
        jti: String::new(),
    };
    issue(&state, key, false, &request_id, &caller.owner).await
}

pub async fn list(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    admin(&state, &headers, &request_id).await?;
    let keys = state.keys.list().await.map_err(ApiError::redis)?;
    Ok(Json(json!({"api_keys": keys.iter().map(describe).collect::<Vec<_>>()})))
}

pub async fn revoke(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let caller = admin(&state, &headers, &request_id).await?;
    if !state.keys.delete(&key_id).await.map_err(ApiError::redis)? {
        return Err(ApiError::NotFound);
    }
    let fields = json!({"key_id": key_id, "revoked_by": caller.owner});
    state.audit.emit("apikey.revoked", Some(&request_id), fields).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = admin(&state, &headers, &request_id).await?;
    let key = state.keys.get(&key_id).await.map_err(ApiError::redis)?.ok_or(ApiError::NotFound)?;
    let issued = issue(&state, key, true, &request_id, &caller.owner).await?;
    let fields = json!({"key_id": key_id, "revoked_by": caller.owner, "reason": "rotated"});
    state.audit.emit("apikey.revoked", Some(&request_id), fields).await;
    Ok(issued)
}
