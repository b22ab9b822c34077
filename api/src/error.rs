//! The one place where errors become HTTP responses.
//!
//! Every non-2xx body is `{"status", "error", "code"}` (+ `fields` on 422). Handlers return
//! `Result<_, ApiError>`; nothing else builds an error response. Internal causes are logged
//! here, once, and never shown to the caller.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use naas_shared::store::StoreError;
use serde::Serialize;

/// One field of a request that failed validation, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(examples(json!({"field": "host", "message": "host must be an IPv4/IPv6 address or an RFC 1123 host name"})))]
pub struct FieldError {
    /// The body field (or query parameter, or header) at fault.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("request body did not arrive within {0} s")]
    RequestTimeout(u64),
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    #[error("rate limit reached; retry in {retry_after} s")]
    RateLimited { verdict: crate::rate_limit::Verdict, retry_after: u64 },
    #[error("{what} is unavailable")]
    Unavailable { what: &'static str, cause: String },
    /// The job store (Redis) has no room for more jobs: its `maxmemory` is (nearly) reached.
    /// The jobs already accepted still settle; room comes back as records expire.
    #[error("the job store is full; retry later")]
    StoreFull,
}

/// Seconds a caller refused with `STORE_FULL` is asked to wait.
pub const STORE_FULL_RETRY_AFTER_SECS: u64 = 10;

/// Every non-2xx body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"status": 404, "error": "not found", "code": "NOT_FOUND"})))]
pub struct ErrorBody {
    /// The HTTP status code, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong, for a human (never credentials or device output).
    pub error: String,
    /// What went wrong, for a program: `AUTH_REQUIRED`, `AUTH_INVALID_TOKEN`, `RBAC_DENIED`,
    /// `CONTEXT_DENIED`, `LOCKED_OUT`, `DEVICE_LOCKED_OUT`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`,
    /// `JOB_ALREADY_ENDED`, `IDEMPOTENCY_KEY_IN_USE`, `REQUEST_TIMEOUT`, `PAYLOAD_TOO_LARGE`,
    /// `UNSUPPORTED_MEDIA_TYPE`, `MALFORMED_JSON`, `VALIDATION_FAILED`, `RATE_LIMITED`,
    /// `SERVICE_UNAVAILABLE`, `STORE_FULL`.
    #[schema(value_type = String, pattern = "^[A-Z][A-Z0-9_]*$")]
    pub code: &'static str,
    /// Every field that failed validation (422 `VALIDATION_FAILED` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub fields: Option<Vec<FieldError>>,
}

impl ApiError {
    /// The one answer to a store failure, the same in every handler: 503
    /// `SERVICE_UNAVAILABLE` while Redis is unavailable; 503 `STORE_FULL` when Redis refused
    /// a write for lack of memory; 404 for a record that can no longer be opened (sealed
    /// with a key since removed from the ring, or damaged), which no caller can be shown to
    /// own, logged for the operator without its contents.
    pub fn store(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => Self::Unavailable { what: "Redis", cause: cause.to_string() },
            StoreError::Full(cause) => {
                tracing::warn!(error = %cause, "redis refused a write for lack of memory; answering 503 STORE_FULL");
                Self::StoreFull
            }
            unreadable @ (StoreError::Sealed(_) | StoreError::Malformed(_)) => {
                tracing::warn!(error = %unreadable, "a stored record cannot be read: answering 404");
                Self::NotFound
            }
        }
    }

    /// 409 for acting on a job that already ended.
    pub fn ended(message: impl Into<String>) -> Self {
        Self::Conflict { code: "JOB_ALREADY_ENDED", message: message.into() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "AUTH_REQUIRED"),
            Self::InvalidToken(_) => (StatusCode::UNAUTHORIZED, "AUTH_INVALID_TOKEN"),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Self::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            Self::MalformedJson(_) => (StatusCode::UNPROCESSABLE_ENTITY, "MALFORMED_JSON"),
            Self::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Self::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            Self::StoreFull => (StatusCode::SERVICE_UNAVAILABLE, "STORE_FULL"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Unauthenticated(why) => format!("authentication required: {why}"),
            Self::Validation(fields) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                format!("request validation failed: {}", names.join(", "))
            }
            Self::Unavailable { what, cause } => {
                tracing::warn!(what, cause = cause.as_str(), "dependency unavailable; answering 503");
                self.to_string()
            }
            other => other.to_string(),
        };
        let fields = match &self {
            Self::Validation(f) => Some(f.clone()),
            _ => None,
        };
        let body = ErrorBody { status: status.as_u16(), error: message, code, fields };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            Self::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"naas\""));
            }
            Self::InvalidToken(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
            }
            Self::Unavailable { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            Self::StoreFull => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(STORE_FULL_RETRY_AFTER_SECS));
            }
            Self::RateLimited { verdict, retry_after } => {
                verdict.headers(headers);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            _ => {}
        }
        response
    }
}
