//! Submitting jobs and reading them back.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use naas_nats::JobMessage;
use naas_shared::domain::JobId;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{DeviceCredentials, JobDocument, JobKind, JobStatus, Outcome};
use naas_shared::store::FromState;
use serde::Serialize;
use serde_json::{Value, json};
use std::future::IntoFuture as _;
use std::time::Duration;
use tracing::Instrument as _;

use crate::auth::{Caller, Realm, Role, authenticate};
use crate::error::ApiError;
use crate::rate_limit::Verdict;
use crate::request_id::RequestId;
use crate::state::AppState;
use crate::submit::{self, Submission};

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
    caller.require_context(submission.context.as_str(), &state, &request_id).await?;
    let device = format!("{}:{}", submission.host, submission.port);
    if let Some(seconds) = state.lockouts.locked_for("device", &device).await.map_err(ApiError::store)? {
        let message = format!("the device is locked out for {seconds} s after repeated login failures");
        return Err(ApiError::Forbidden { code: "DEVICE_LOCKED_OUT", message });
    }
    state.admission.check().await?;
    let job_id = JobId::new();
    let idempotency = match idempotency_key(&headers)? {
        None => None,
        Some(key) => {
            let hash = state.sealer.keyed_hash(&[caller.owner.as_bytes(), key.as_bytes()]);
            match claim(&state, &hash, job_id).await? {
                Some(original) => return replay(&state, original).await,
                None => Some(hash),
            }
        }
    };
    let verdict = match rate_limit(&state, &caller, submission.host.as_str()).await {
        Ok(verdict) => verdict,
        Err(error) => {
            release(&state, idempotency.as_deref()).await;
            return Err(error);
        }
    };
    let mut response = match enqueue(&state, caller, submission, kind, request_id, job_id).await {
        Ok(response) => response,
        Err(Refused::NotQueued(error)) => {
            release(&state, idempotency.as_deref()).await;
            return Err(error);
        }
        Err(Refused::Unconfirmed(error)) => return Err(error),
    };
    if let Some(verdict) = verdict {
        verdict.headers(response.headers_mut());
    }
    Ok(response)
}

/// Counts the submission against the caller's windows, unless the caller's role is exempt
/// or the caller is an HTTP Basic one and `rate_limit.limit_basic` is off.
async fn rate_limit(state: &AppState, caller: &Caller, host: &str) -> Result<Option<Verdict>, ApiError> {
    let Some(limiter) = &state.rate_limiter else { return Ok(None) };
    if caller.credentials.is_some() && !state.settings.rate_limit.limit_basic {
        return Ok(None);
    }
    let role = serde_json::to_value(caller.role).ok();
    if state.settings.rate_limit.exempt_roles.iter().any(|r| role.as_ref().and_then(|v| v.as_str()) == Some(r)) {
        return Ok(None);
    }
    let verdict = limiter.check(&caller.owner, host).await.map_err(ApiError::store)?;
    if !verdict.allowed() {
        state.metrics.inc("naas_rate_limit_rejections_total", &[]);
        let retry_after = verdict.retry_after();
        return Err(ApiError::RateLimited { verdict, retry_after });
    }
    Ok(Some(verdict))
}

/// Records the job as queued, publishes it (waiting for JetStream's ack) and answers 202.
async fn enqueue(
    state: &AppState,
    caller: Caller,
    submission: Submission,
    kind: JobKind,
    request_id: String,
    job_id: JobId,
) -> Result<Response, Refused> {
    let enqueued_at = naas_shared::now();
    let command_count = submission.commands.len();
    let timeout = naas_shared::job::job_deadline(
        submission.conn_timeout_secs,
        state.settings.worker.prompt_timeout_secs,
        submission.read_timeout_secs,
        command_count,
    );
    let mut message = JobMessage {
        job_id,
        kind,
        context: submission.context,
        host: submission.host,
        port: submission.port,
        platform: submission.platform,
        commands: submission.commands,
        config: submission.config,
        ssh_key: submission.ssh_key,
        legacy_ssh: submission.legacy_ssh,
        jump_host: submission.jump_host,
        expect_string: submission.expect_string,
        structured: submission.structured,
        read_timeout_secs: submission.read_timeout_secs,
        conn_timeout_secs: submission.conn_timeout_secs,
        tags: submission.tags,
        request_id: request_id.clone(),
        owner: caller.owner,
        webhook_url: submission.webhook_url,
        enqueued_at,
        credentials: String::new(),
    };
    // Recorded before publishing, so a worker always finds the record it updates.
    let record = message.queued_record();
    let deadline = enqueued_at + Duration::from_secs(state.settings.jobs.queue_timeout_secs);
    state.store.enqueue(&record, deadline).await.map_err(|e| Refused::NotQueued(ApiError::store(e)))?;

    let login = match (caller.credentials, submission.login) {
        (Some(basic), _) => basic,
        (None, Some(body)) => body,
        (None, None) => unreachable!("validation requires credentials in the body without Basic auth"),
    };
    let credentials = DeviceCredentials { enable: submission.enable, jump_password: submission.jump_password, ..login };
    let key_id = message.seal_credentials(&state.sealer, &credentials);
    let (mut headers, payload) = message.encode(&key_id);
    let subject = state.topology.job_subject(&message.context, kind);
    // Announced before the job message goes out, so no worker's `started` can overtake it;
    // its ack is awaited together with the job's.
    let announced = state.events.send(&record).await;
    // The worker's part of the job's trace hangs under this span.
    let publishing = tracing::info_span!("job.publish", job.id = %job_id);
    if let Some(traceparent) = publishing.in_scope(naas_shared::telemetry::traces::traceparent) {
        headers.insert(naas_nats::headers::TRACEPARENT, traceparent.as_str());
    }
    let sent = state.jetstream.publish_with_headers(subject, headers, payload).instrument(publishing.clone()).await;
    let announced = naas_nats::Events::confirm(announced, &record);
    let sent = match sent {
        Ok(ack) => Ok(tokio::join!(ack.into_future().instrument(publishing), announced).0),
        Err(error) => {
            announced.await;
            Err(error)
        }
    };
    match sent {
        Ok(confirmed) => {
            if let Err(error) = confirmed {
                // Sent, but the stream's answer was lost: the job may be queued. Its record
                // and idempotency key stay, so a retry with the key finds this job instead of
                // making a second one; if the message was lost, the job expires in the queue.
                tracing::warn!(job.id = %job_id, %error, "job publish unconfirmed; keeping its record");
                return Err(Refused::Unconfirmed(ApiError::Unavailable {
                    what: "NATS JetStream",
                    cause: error.to_string(),
                }));
            }
        }
        Err(error) => {
            if let Err(error) = state.store.delete(job_id).await {
                tracing::warn!(job.id = %job_id, %error, "could not remove the record of an unpublished job");
            }
            // Its `queued` event is out: close its history for event consumers.
            let mut withdrawn = record;
            let failure = JobFailure::new(ErrorCode::Internal, "the job could not be queued");
            withdrawn.doc.settle(Outcome::failed(failure), naas_shared::now());
            state.events.emit(&withdrawn).await;
            return Err(Refused::NotQueued(ApiError::Unavailable { what: "NATS JetStream", cause: error.to_string() }));
        }
    }
    tracing::info!(job.id = %job_id, device.host = %message.host, platform = message.platform.as_str(), "job queued");
    state.metrics.inc("naas_jobs_submitted_total", &[("kind", kind.as_str())]);
    state
        .audit
        .emit(
            "job.submitted",
            Some(&request_id),
            json!({"job_id": job_id.to_string(), "host": message.host.as_str(), "platform": message.platform, "command_count": command_count}),
        )
        .await;

    Ok(accepted(job_id, JobStatus::Queued, enqueued_at, Some(timeout), false))
}

/// The 202 body of a submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(examples(json!({
    "job_id": "0b6f3c2e-8a4d-4e55-9a51-3f1b2c7d9e10", "status": "queued", "enqueued_at": "2026-01-05T10:00:00Z",
    "timeout": 180, "idempotent": false, "deduplicated": false
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
}

/// The 202 answer to a submission.
fn accepted(
    job_id: JobId,
    status: JobStatus,
    enqueued_at: time::OffsetDateTime,
    timeout: Option<u64>,
    idempotent: bool,
) -> Response {
    let body = JobAccepted { job_id, status, enqueued_at, timeout, idempotent, deduplicated: idempotent };
    (StatusCode::ACCEPTED, [(header::LOCATION, format!("/v2/jobs/{job_id}"))], Json(body)).into_response()
}

/// `X-Idempotency-Key`: 1-128 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("x-idempotency-key") else { return Ok(None) };
    match value.to_str() {
        Ok(key) if (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::Validation(vec![crate::error::FieldError::new(
            "X-Idempotency-Key",
            "1-128 visible ASCII characters",
        )])),
    }
}

/// Claims an idempotency key for 24 h; returns the job that already holds it, if any.
async fn claim(state: &AppState, hash: &str, job_id: JobId) -> Result<Option<JobId>, ApiError> {
    state.callers.claim_idempotency(hash, job_id).await.map_err(ApiError::store)
}

async fn release(state: &AppState, hash: Option<&str>) {
    if let Some(hash) = hash
        && let Err(error) = state.callers.release_idempotency(hash).await
    {
        tracing::debug!(%error, "cannot free an idempotency key; it expires in 24 h");
    }
}

/// Why a submission was not accepted: for sure not queued, or perhaps queued.
enum Refused {
    NotQueued(ApiError),
    Unconfirmed(ApiError),
}

/// The answer for a repeated idempotency key: the original job, as it stands; 409 while
/// the original submission is still being recorded (or its record is gone).
async fn replay(state: &AppState, original: JobId) -> Result<Response, ApiError> {
    let record = state.store.get(original).await.map_err(ApiError::store)?;
    let Some(record) = record else {
        return Err(ApiError::Conflict {
            code: "IDEMPOTENCY_KEY_IN_USE",
            message: "a submission with this idempotency key is still being processed; retry shortly".into(),
        });
    };
    Ok(accepted(original, record.doc.status, record.doc.enqueued_at, None, true))
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
        Some(record) if caller.may_see(&record) => Ok(Json(record.doc)),
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
    record.doc.status = JobStatus::Canceled;
    record.doc.finished_at = Some(naas_shared::now());
    record.doc.error = Some("canceled by the caller".into());
    if !state.store.transition(&record, &[FromState::Any(was)]).await.map_err(ApiError::store)? {
        // It moved on meanwhile (started, or ended): try once more from where it is now.
        match state.store.get(job_id).await.map_err(ApiError::store)? {
            Some(current) if current.doc.status == JobStatus::Started => {
                record.doc.started_at = current.doc.started_at;
                record.doc.attempts = current.doc.attempts;
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
