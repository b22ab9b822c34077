//! Submitting jobs and reading them back.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use naas_shared::domain::JobId;
use naas_shared::job::{JobDocument, JobKind, JobStatus};
use naas_shared::store::FromState;
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::{Realm, Role, authenticate};
use crate::enqueue;
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::state::AppState;
use crate::submit;

/// Reads a JSON body (already read and bounded by `body_limit::layer`), mapping transport
/// problems to their contract status codes.
pub(super) fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let body = body.map_err(|rejection| ApiError::MalformedJson(rejection.body_text()))?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// `POST /v2/send-command`: queues show commands for a device.
#[utoipa::path(
    post, path = "/v2/send-command", tag = "jobs", operation_id = "send_command",
    summary = "Run commands on a device",
    description = "Queues a job that runs `commands` on the device and records each output. Role: operator. \
                   With Bearer auth the device login comes in the body (`username`, `password`).",
    request_body(content = super::openapi::SendCommandRequest, content_type = "application/json"),
    params(super::openapi::IdempotencyKey),
    responses(
        (status = 202, description = "Queued (or, for a repeated idempotency key, the original job).",
            body = JobAccepted,
            headers(
                ("Location" = String, description = "The job: `/v2/jobs/{job_id}`."),
                ("X-RateLimit-Limit" = u64, description = "Submissions allowed per window (callers subject to rate limits)."),
                ("X-RateLimit-Remaining" = u64, description = "Submissions left in the window."),
                ("X-RateLimit-Reset" = u64, description = "When the window next frees a slot (Unix seconds)."),
            ),
            links(("job" = (operation_id = "get_job", parameters(("job_id" = "$response.body#/job_id")))))),
        super::openapi::SubmissionErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn send_command(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    submit(state, request_id, headers, body, JobKind::Command, false).await
}

/// `POST /v2/send-config`: queues configuration lines for a device.
#[utoipa::path(
    post, path = "/v2/send-config", tag = "jobs", operation_id = "send_config",
    summary = "Push configuration to a device",
    description = "Queues a job that enters configuration mode, sends `config` line by line (recording which line \
                   failed and why), then commits and/or saves as asked. Role: operator.",
    request_body(content = super::openapi::SendConfigRequest, content_type = "application/json"),
    params(super::openapi::IdempotencyKey),
    responses(
        (status = 202, description = "Queued (or, for a repeated idempotency key, the original job).",
            body = JobAccepted,
            headers(
                ("Location" = String, description = "The job: `/v2/jobs/{job_id}`."),
                ("X-RateLimit-Limit" = u64, description = "Submissions allowed per window (callers subject to rate limits)."),
                ("X-RateLimit-Remaining" = u64, description = "Submissions left in the window."),
                ("X-RateLimit-Reset" = u64, description = "When the window next frees a slot (Unix seconds)."),
            ),
            links(("job" = (operation_id = "get_job", parameters(("job_id" = "$response.body#/job_id")))))),
        super::openapi::SubmissionErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn send_config(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    submit(state, request_id, headers, body, JobKind::Config, false).await
}

/// Authenticates, authorises and validates a submission, then queues it. `structured`:
/// a send-command whose outputs are parsed with TextFSM (send-command-structured). A
/// refusal for a full job store is counted, whether the admission check or Redis itself
/// refused.
pub(super) async fn submit(
    state: AppState,
    request_id: String,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    kind: JobKind,
    structured: bool,
) -> Result<Response, ApiError> {
    let metrics = state.metrics.clone();
    let outcome = admit(state, request_id, headers, body, kind, structured).await;
    if matches!(outcome, Err(ApiError::StoreFull)) {
        metrics.inc("naas_store_full_rejections_total", &[]);
    }
    outcome
}

async fn admit(
    state: AppState,
    request_id: String,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    kind: JobKind,
    structured: bool,
) -> Result<Response, ApiError> {
    let caller = authenticate(&headers, &state, Realm::Jobs, &request_id).await?;
    caller.require(Role::Operator, &state, &request_id).await?;
    let value = json_body(&headers, body)?;
    let in_body = caller.credentials.is_none();
    let settings = &state.settings;
    let (platforms, jobs, webhooks) = (&state.platforms, &settings.jobs, &settings.webhooks);
    let mut problems = caller.credentials.as_ref().map(submit::basic_login_problems).unwrap_or_default();
    let submission = match structured {
        true => submit::parse_structured(&value, platforms, jobs, webhooks, in_body),
        false => submit::parse(&value, kind, platforms, jobs, webhooks, in_body),
    };
    let submission = match submission {
        Ok(submission) if problems.is_empty() => submission,
        Ok(_) => return Err(ApiError::Validation(problems)),
        Err(errors) => {
            problems.extend(errors);
            return Err(ApiError::Validation(problems));
        }
    };
    caller.require_context(submission.job.context.as_str(), &state, &request_id).await?;
    let key = headers.get("x-idempotency-key");
    let taken = enqueue::submit(&state, caller, submission, kind, request_id, key).await?;
    let mut response = accepted(&taken);
    if let Some(verdict) = taken.rate_limit {
        verdict.headers(response.headers_mut());
    }
    Ok(response)
}

/// The 202 body of a submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(examples(json!({
    "job_id": "0b6f3c2e-8a4d-4e55-9a51-3f1b2c7d9e10", "status": "queued", "enqueued_at": "2026-01-05T10:00:00Z",
    "timeout": 180, "idempotent": false, "deduplicated": false, "queue_position": 0
})))]
pub struct JobAccepted {
    pub job_id: JobId,
    /// `queued` for a new job; where the original job is now for a repeated idempotency key.
    pub status: JobStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub enqueued_at: time::OffsetDateTime,
    /// The longest the job may run once started, in seconds (null for a repeated key).
    #[schema(minimum = 0)]
    pub timeout: Option<u64>,
    /// The answer is the original job of a repeated `X-Idempotency-Key`.
    pub idempotent: bool,
    /// Same as `idempotent` (the NAAS v2 name).
    pub deduplicated: bool,
    /// Jobs waiting for a worker when this one was queued: approximate (read at most every
    /// 500 ms, plus this API replica's own submissions since); null for a repeated key or
    /// when it could not be read.
    #[schema(minimum = 0)]
    pub queue_position: Option<u64>,
}

/// The 202 answer to a submission (its rate-limit headers aside).
fn accepted(taken: &enqueue::Accepted) -> Response {
    let enqueue::Accepted { job_id, status, enqueued_at, timeout, idempotent, queue_position, .. } = *taken;
    let body =
        JobAccepted { job_id, status, enqueued_at, timeout, idempotent, deduplicated: idempotent, queue_position };
    (StatusCode::ACCEPTED, [(header::LOCATION, format!("/v2/jobs/{job_id}"))], Json(body)).into_response()
}

/// `GET /v2/jobs/{job_id}`. A job the caller may not see is indistinguishable from one that
/// does not exist.
#[utoipa::path(
    get, path = "/v2/jobs/{job_id}", tag = "jobs", operation_id = "get_job",
    summary = "A job's status and results",
    description = "Role: viewer. A job the caller may not see (another caller's, unless admin) is 404, as is one \
                   that does not exist or has expired.",
    params(("job_id" = JobId, Path, description = "The job's id.")),
    responses(
        (status = 200, description = "The job document.", body = JobDocument),
        super::openapi::JobReadErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(job_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<JobDocument>, ApiError> {
    let caller = authenticate(&headers, &state, Realm::Jobs, &request_id).await?;
    let job_id = JobId::parse(&job_id).map_err(|_| ApiError::NotFound)?;
    let record = state.store.get(job_id).await.map_err(ApiError::store)?;
    match record {
        Some(record) if caller.may_see(&record) => {
            Ok(Json(crate::redaction::for_caller(&caller, &state.platforms, record.doc)))
        }
        _ => Err(ApiError::NotFound),
    }
}

/// Cancels a job: a queued job never runs, a running one is interrupted; a job that already
/// ended is a conflict (409).
#[utoipa::path(
    delete, path = "/v2/jobs/{job_id}", tag = "jobs", operation_id = "cancel_job",
    summary = "Cancel a job",
    description = "A queued job never runs; a running one is interrupted. Role: operator (own jobs; admin: any).",
    params(("job_id" = JobId, Path, description = "The job's id.")),
    responses(
        (status = 204, description = "Canceled."),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(job_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let caller = authenticate(&headers, &state, Realm::Jobs, &request_id).await?;
    caller.require(Role::Operator, &state, &request_id).await?;
    let job_id = JobId::parse(&job_id).map_err(|_| ApiError::NotFound)?;
    let mut record = match state.store.get(job_id).await.map_err(ApiError::store)? {
        Some(record) if caller.may_see(&record) => record,
        _ => return Err(ApiError::NotFound),
    };
    if record.doc.status.is_terminal() {
        return Err(ApiError::ended(format!("the job already ended ({:?})", record.doc.status).to_lowercase()));
    }
    let was = record.doc.status;
    let canceled_at = naas_shared::now();
    record.doc.cancel(canceled_at);
    if !state.store.transition(&record, &[FromState::Any(was)]).await.map_err(ApiError::store)? {
        // It moved on meanwhile (started, or ended): try once more from where it is now.
        match state.store.get(job_id).await.map_err(ApiError::store)? {
            Some(current) if current.doc.status == JobStatus::Started => {
                record = current;
                record.doc.cancel(canceled_at);
                if !state
                    .store
                    .transition(&record, &[FromState::Any(JobStatus::Started)])
                    .await
                    .map_err(ApiError::store)?
                {
                    return Err(ApiError::ended("the job already ended"));
                }
            }
            _ => return Err(ApiError::ended("the job already ended")),
        }
    }
    state.events.emit(&record).await;
    state.metrics.job_settled("canceled", None);
    if let Err(error) = state.nats.publish(state.topology.cancel_subject(job_id), bytes::Bytes::new()).await {
        tracing::warn!(%error, "cannot announce the cancellation; the job's worker will find it when it ends");
    }
    let by = state.sealer.keyed_hash(&[caller.owner.as_bytes()]);
    let fields = json!({"job_id": job_id.to_string(), "cancelled_by_hash": by, "was": was});
    state.audit.emit("job.cancelled", Some(&request_id), fields).await;
    tracing::info!(job.id = %job_id, "job canceled");
    Ok(StatusCode::NO_CONTENT)
}
