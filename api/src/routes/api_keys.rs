//! API key administration (admin only): create, list, revoke, rotate. A token is shown
//! once, at creation or rotation; only its record (no token) is stored.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::jobs::json_body;
use crate::auth::keys::{ApiKey, Scopes};
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

/// The body of `POST /v2/api-keys` (validated field by field, every problem named at once).
#[derive(utoipa::ToSchema)]
#[schema(examples(json!({"role": "operator", "contexts": ["default"], "ttl_seconds": 86400, "name": "automation"})))]
#[allow(dead_code)] // Documentation only: the handler checks the body field by field.
pub struct CreateApiKey {
    pub role: Role,
    /// Contexts the key may use; `["*"]` (the default) for all.
    #[schema(min_items = 1, inline, value_type = Option<Vec<KeyContext>>)]
    pub contexts: Option<Vec<String>>,
    /// Lifetime in seconds, at least 60 and at most `auth.max_key_ttl_secs` (default: 30 days
    /// or that maximum, whichever is shorter).
    #[schema(minimum = 60)]
    pub ttl_seconds: Option<u64>,
    /// What the key is for: 1-64 printable characters.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]+$")]
    pub name: String,
    /// Further limits: `{"redact": true}` has the secrets in job results read with the key
    /// replaced by `<redacted>`. Default: none.
    pub scopes: Option<Scopes>,
}

/// A context name, or `*` for all.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = "^(\\*|[A-Za-z0-9_-]{1,64})$", examples("default", "*"))]
pub struct KeyContext(#[allow(dead_code)] String);

/// A new (or rotated) key; the token is shown this once.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(examples(json!({
    "key_id": "9f1c2d3e4b5a69788796a5b4c3d2e1f0", "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI5ZjFjIn0.c2lnbmF0dXJl",
    "role": "operator", "contexts": ["default"], "scopes": {"redact": false}, "expires_at": "2026-02-04T10:00:00Z"
})))]
pub struct ApiKeyCreated {
    pub key_id: String,
    /// The Bearer token (a JWT).
    pub token: String,
    pub role: Role,
    pub contexts: Vec<String>,
    pub scopes: Scopes,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// An API key as listed (never its token).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiKeySummary {
    pub key_id: String,
    pub name: String,
    pub role: Role,
    pub contexts: Vec<String>,
    pub scopes: Scopes,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// `GET /v2/api-keys`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"api_keys": [{
    "key_id": "9f1c2d3e4b5a69788796a5b4c3d2e1f0", "name": "automation", "role": "operator",
    "contexts": ["default"], "scopes": {"redact": false}, "created_at": "2026-01-05T10:00:00Z",
    "expires_at": "2026-02-04T10:00:00Z"
}]})))]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKeySummary>,
}

fn describe(key: &ApiKey) -> ApiKeySummary {
    ApiKeySummary {
        key_id: key.key_id.clone(),
        name: key.name.clone(),
        role: key.role,
        contexts: key.contexts.clone(),
        scopes: key.scopes,
        created_at: rfc3339(key.created_at),
        expires_at: rfc3339(key.expires_at),
    }
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
    if !state.keys.put(&key, rotating).await.map_err(ApiError::store)? {
        return Err(ApiError::NotFound);
    }
    let fields = json!({"key_id": key.key_id, "role": key.role, "contexts": key.contexts, "scopes": key.scopes, "name": key.name, "created_by": created_by});
    state.audit.emit("apikey.created", Some(request_id), fields).await;
    let expires_at = rfc3339(key.expires_at);
    let body = ApiKeyCreated {
        key_id: key.key_id,
        token,
        role: key.role,
        contexts: key.contexts,
        scopes: key.scopes,
        expires_at,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(
    post, path = "/v2/api-keys", tag = "api-keys", operation_id = "create_api_key",
    summary = "Create an API key",
    request_body(content = CreateApiKey, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the token is shown this once.", body = ApiKeyCreated),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 408, response = super::openapi::RequestTimeout),
        (status = 413, response = super::openapi::PayloadTooLarge),
        (status = 415, response = super::openapi::UnsupportedMediaType),
        (status = 422, response = super::openapi::Unprocessable),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = admin(&state, &headers, &request_id).await?;
    let body = json_body(&headers, body)?;
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
    let scopes = match body.get("scopes") {
        None | Some(Value::Null) => Scopes::default(),
        Some(Value::Object(given)) => {
            match given.iter().find(|(name, value)| name.as_str() != "redact" || !value.is_boolean()) {
                None => Scopes { redact: given.get("redact").and_then(Value::as_bool).unwrap_or(false) },
                Some((name, _)) => {
                    let message = if name == "redact" {
                        "redact: true or false".to_owned()
                    } else {
                        format!("unknown scope {name:?}; known: redact")
                    };
                    errors.push(FieldError::new("scopes", message));
                    Scopes::default()
                }
            }
        }
        Some(_) => {
            errors.push(FieldError::new("scopes", "an object, e.g. {\"redact\": true}"));
            Scopes::default()
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
        scopes,
    };
    issue(&state, key, false, &request_id, &caller.owner).await
}

#[utoipa::path(
    get, path = "/v2/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    summary = "List API keys (never their tokens)",
    responses(
        (status = 200, description = "Every key that is not revoked or expired.", body = ApiKeyList),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
) -> Result<Json<ApiKeyList>, ApiError> {
    admin(&state, &headers, &request_id).await?;
    let keys = state.keys.list().await.map_err(ApiError::store)?;
    Ok(Json(ApiKeyList { api_keys: keys.iter().map(describe).collect() }))
}

#[utoipa::path(
    delete, path = "/v2/api-keys/{key_id}", tag = "api-keys", operation_id = "revoke_api_key",
    summary = "Revoke an API key",
    description = "Takes effect on every API replica within a second.",
    params(("key_id" = String, Path, description = "The key's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let caller = admin(&state, &headers, &request_id).await?;
    if !state.keys.delete(&key_id).await.map_err(ApiError::store)? {
        return Err(ApiError::NotFound);
    }
    let fields = json!({"key_id": key_id, "revoked_by": caller.owner});
    state.audit.emit("apikey.revoked", Some(&request_id), fields).await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/v2/api-keys/{key_id}/rotate", tag = "api-keys", operation_id = "rotate_api_key",
    summary = "Rotate an API key",
    description = "Issues a new token for the key (same id, role, contexts and expiry); the old token is revoked.",
    params(("key_id" = String, Path, description = "The key's id.")),
    responses(
        (status = 201, description = "The new token, shown this once.", body = ApiKeyCreated),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn rotate(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = admin(&state, &headers, &request_id).await?;
    let key = state.keys.get(&key_id).await.map_err(ApiError::store)?.ok_or(ApiError::NotFound)?;
    let issued = issue(&state, key, true, &request_id, &caller.owner).await?;
    let fields = json!({"key_id": key_id, "revoked_by": caller.owner, "reason": "rotated"});
    state.audit.emit("apikey.revoked", Some(&request_id), fields).await;
    Ok(issued)
}
