//! Queueing a validated submission: admission (Redis memory, the device's lockout and the
//! caller's rate limits, asked together), the caller's idempotency key (claim, replay of
//! the job that holds it, release when nothing was queued), then the job's record, its
//! `queued` event and its message.
//!
//! The route handlers parse the request and turn the [`Accepted`] answer (or the error)
//! into the HTTP response; everything between lives here.

use axum::http::HeaderValue;
use naas_nats::JobMessage;
use naas_shared::domain::JobId;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{DeviceCredentials, JobKind, JobStatus, Outcome};
use naas_shared::lockout::Subject;
use serde_json::json;
use std::future::IntoFuture as _;
use std::time::Duration;
use tracing::Instrument as _;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::rate_limit::Verdict;
use crate::state::AppState;
use crate::submit::Submission;

/// A submission taken: a new job, or the original job of a repeated idempotency key.
#[derive(Debug)]
pub struct Accepted {
    pub job_id: JobId,
    /// `queued` for a new job; where the original job is now for a repeated key.
    pub status: JobStatus,
    pub enqueued_at: time::OffsetDateTime,
    /// The longest the job may run once started, in seconds (`None` for a repeated key).
    pub timeout: Option<u64>,
    /// The original job of a repeated idempotency key.
    pub idempotent: bool,
    /// The caller's rate-limit windows after this submission, when they are limited.
    pub rate_limit: Option<Verdict>,
    /// Jobs waiting for a worker when this one was queued ([`crate::queue_position`]);
    /// `None` for a repeated key or when it could not be read.
    pub queue_position: Option<u64>,
}

/// Queues `submission` for `caller`, or answers with the job an earlier submission with
/// the same `idempotency_key` (the raw `X-Idempotency-Key` header) made.
pub async fn submit(
    state: &AppState,
    caller: Caller,
    submission: Submission,
    kind: JobKind,
    request_id: String,
    idempotency_key: Option<&HeaderValue>,
) -> Result<Accepted, ApiError> {
    let host = submission.job.host.as_str();
    let device = Subject::Device(host, submission.job.port);
    state.admission.check().await?;
    let job_id = JobId::new();
    let (idempotency, verdict) = match parse_key(idempotency_key)? {
        None => (None, admit(state, &caller, device, host).await?),
        // A repeated key is answered with its job before the submission is counted.
        Some(key) => {
            locked_out(state, device).await?;
            let hash = state.sealer.keyed_hash(&[caller.owner.as_bytes(), key.as_bytes()]);
            if let Some(original) = claim(state, &hash, job_id).await? {
                return replay(state, original).await;
            }
            match rate_limit(state, &caller, host).await {
                Ok(verdict) => (Some(hash), verdict),
                Err(error) => {
                    release(state, Some(&hash)).await;
                    return Err(error);
                }
            }
        }
    };
    match publish(state, caller, submission, kind, request_id, job_id).await {
        Ok(accepted) => Ok(Accepted { rate_limit: verdict, ..accepted }),
        Err(Refused::NotQueued(error)) => {
            release(state, idempotency.as_deref()).await;
            Err(error)
        }
        Err(Refused::Unconfirmed(error)) => Err(error),
    }
}

/// The device's lockout and the caller's rate limit, asked together: one wait. (Two
/// exchanges: the device's keys and the caller's are in different hash slots of a
/// cluster.) A submission refused for the lockout is taken back out of the windows.
async fn admit(
    state: &AppState,
    caller: &Caller,
    device: Subject<'_>,
    host: &str,
) -> Result<Option<Verdict>, ApiError> {
    let (locked, verdict) = tokio::join!(locked_out(state, device), rate_limit(state, caller, host));
    if let Err(refused) = locked {
        if let (Ok(Some(verdict)), Some(limiter)) = (&verdict, &state.rate_limiter)
            && let Err(error) = limiter.uncount(&caller.owner, host, verdict).await
        {
            tracing::debug!(%error, "cannot take a refused submission out of the rate-limit windows");
        }
        return Err(refused);
    }
    verdict
}

/// Refuses a device locked out after repeated login failures (403 `DEVICE_LOCKED_OUT`).
async fn locked_out(state: &AppState, device: Subject<'_>) -> Result<(), ApiError> {
    match state.lockouts.locked_for(device).await.map_err(ApiError::store)? {
        None => Ok(()),
        Some(seconds) => {
            let message = format!("the device is locked out for {seconds} s after repeated login failures");
            Err(ApiError::Forbidden { code: "DEVICE_LOCKED_OUT", message })
        }
    }
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

/// Records the job as queued, publishes it and waits for JetStream's ack. A publish that
/// fails takes the record back and closes the job's event history; one whose ack is lost
/// keeps both, as the job may be queued.
async fn publish(
    state: &AppState,
    caller: Caller,
    submission: Submission,
    kind: JobKind,
    request_id: String,
    job_id: JobId,
) -> Result<Accepted, Refused> {
    let enqueued_at = naas_shared::now();
    let Submission { job, enable, jump_password, login } = submission;
    let command_count = job.commands.len();
    let timeout = naas_shared::job::job_deadline(
        job.conn_timeout_secs,
        state.settings.worker.prompt_timeout_secs,
        job.read_timeout_secs,
        command_count,
    );
    let mut message = JobMessage::new(job_id, kind, job, request_id.clone(), caller.owner, enqueued_at);
    // Recorded before publishing, so a worker always finds the record it updates.
    let record = message.queued_record();
    let deadline = enqueued_at + Duration::from_secs(state.settings.jobs.queue_timeout_secs);
    let (recorded, queue_position) = tokio::join!(state.store.enqueue(&record, deadline), state.queue_position.take());
    let untake = || {
        if queue_position.is_some() {
            state.queue_position.untake();
        }
    };
    if let Err(error) = recorded {
        untake();
        return Err(Refused::NotQueued(ApiError::store(error)));
    }

    let login = match (caller.credentials, login) {
        (Some(basic), _) => basic,
        (None, Some(body)) => body,
        (None, None) => unreachable!("validation requires credentials in the body without Basic auth"),
    };
    let credentials = DeviceCredentials { enable, jump_password, ..login };
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
            untake();
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

    Ok(Accepted {
        job_id,
        status: JobStatus::Queued,
        enqueued_at,
        timeout: Some(timeout),
        idempotent: false,
        rate_limit: None,
        queue_position,
    })
}

/// `X-Idempotency-Key`: 1-128 visible ASCII characters.
fn parse_key(value: Option<&HeaderValue>) -> Result<Option<String>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    match value.to_str() {
        Ok(key) if (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::Validation(vec![FieldError::new("X-Idempotency-Key", "1-128 visible ASCII characters")])),
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
async fn replay(state: &AppState, original: JobId) -> Result<Accepted, ApiError> {
    let record = state.store.get(original).await.map_err(ApiError::store)?;
    let Some(record) = record else {
        return Err(ApiError::Conflict {
            code: "IDEMPOTENCY_KEY_IN_USE",
            message: "a submission with this idempotency key is still being processed; retry shortly".into(),
        });
    };
    Ok(Accepted {
        job_id: original,
        status: record.doc.status,
        enqueued_at: record.doc.enqueued_at,
        timeout: None,
        idempotent: true,
        rate_limit: None,
        queue_position: None,
    })
}
