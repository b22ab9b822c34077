//! Running one delivered job: start it under a lease, drive the device, record and publish
//! the outcome. Returns what happened; `ack` decides the disposition.
//!
//! Fencing: a job moves `queued → started` only from the attempt count it was read at,
//! and settles only from the attempt it started, so two deliveries of one job (a duplicate,
//! or a redelivery after a worker died) can never both run it or overwrite each other.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use naas_nats::{Audit, Events, JobMessage, Topology, headers};
use naas_shared::config::Settings;
use naas_shared::domain::JobId;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{JobDocument, JobRecord, JobStatus, Outcome};
use naas_shared::platform::Platforms;
use naas_shared::seal::Sealer;
use naas_shared::store::devices::Report;
use naas_shared::store::{FromState, JobStore, Lease, unix_ms};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument as _;

use crate::WorkerStats;
use crate::ack::{self, Handled};
use crate::cancel::Cancels;
use crate::device_access::{Admission, Claim, DeviceAccess, announce, wait_for_device};
use crate::execute::{Ran, execute};
use crate::session::host_keys::HostKeys;
use crate::session::pool::SessionPool;

/// Everything a job task needs, shared by all of a worker's tasks.
pub struct JobContext {
    pub settings: Settings,
    pub name: String,
    pub jetstream: jetstream::Context,
    pub topology: Topology,
    pub store: JobStore,
    pub sealer: Arc<Sealer>,
    pub platforms: Platforms,
    /// The TextFSM templates index for send-command-structured, if configured.
    pub templates: Option<Arc<naas_textfsm::Library>>,
    pub audit: Audit,
    pub events: Events,
    pub host_keys: Arc<HostKeys>,
    /// Idle sessions for reuse; `None` when reuse is off.
    pub pool: Option<Arc<SessionPool>>,
    /// Admission to devices and release (slots, circuit breakers, device lockouts).
    pub devices: DeviceAccess,
    pub cancels: Cancels,
    pub stats: Arc<WorkerStats>,
    pub metrics: Arc<naas_shared::metrics::Metrics>,
}

impl JobContext {
    /// How long a lease lasts unless renewed: the message's ack wait, so a dead worker's
    /// job and its message come back at about the same time.
    fn lease_ttl(&self) -> Duration {
        Duration::from_secs(self.settings.nats.ack_wait_secs.max(1))
    }
}

/// The worker's concurrency slot held by a job task while it drives a device; not held
/// while the job waits for its device, so waiting jobs never occupy a slot.
pub struct RunSlot {
    pub permit: Option<OwnedSemaphorePermit>,
    pub semaphore: Arc<Semaphore>,
}

impl RunSlot {
    pub async fn take(&mut self) {
        if self.permit.is_none() {
            self.permit = Some(self.semaphore.clone().acquire_owned().await.expect("the semaphore is never closed"));
        }
    }
}

pub async fn handle(ctx: &JobContext, message: &jetstream::Message, slot: &mut RunSlot) -> Handled {
    let job = match JobMessage::decode(&message.payload) {
        Ok(job) => job,
        Err(error) => {
            let id = message.headers.as_ref().and_then(|h| h.get(headers::MSG_ID)).map(|v| v.to_string());
            tracing::error!(%error, job.id = id.as_deref(), "undecodable job message; discarding it");
            if let Some(job_id) = id.as_deref().and_then(|id| JobId::parse(id).ok()) {
                fail_unreadable(ctx, job_id).await;
            }
            return Handled::Poison;
        }
    };
    let span =
        tracing::info_span!("job", job.id = %job.job_id, request_id = job.request_id.as_str(), device.host = %job.host);
    let traceparent = message.headers.as_ref().and_then(|h| h.get(headers::TRACEPARENT)).map(|v| v.as_str());
    naas_shared::telemetry::traces::continue_trace(&span, traceparent);
    let job = crate::phases::recording(ctx.metrics.clone(), run(ctx, message, job, slot));
    job.instrument(span).await
}

async fn run(ctx: &JobContext, message: &jetstream::Message, job: JobMessage, slot: &mut RunSlot) -> Handled {
    // Opened first (no Redis): a job whose credentials cannot be opened is not admitted to
    // its device.
    let credentials = job.open_credentials(&ctx.sealer, message.headers.as_ref());
    let claim = Claim::of(&job);
    // The record and the device's admission in one wait: both are needed before any
    // decision, and neither depends on the other. Admission takes the device slot, so it
    // is made holding a worker slot.
    let admitting = credentials.is_ok();
    // This worker's jobs for the device go first come, first served; the turn is held
    // until the device is released.
    let turn = match admitting {
        true => Some(ctx.devices.turn(&claim, slot).await),
        false => None,
    };
    let admit = async {
        match admitting {
            true => Some(ctx.devices.admit(&claim, ctx.lease_ttl()).await),
            false => None,
        }
    };
    let (stored, admitted) = tokio::join!(ctx.store.get(job.job_id), admit);
    // A slot taken for a job this delivery then does not run goes back at once (one held
    // already may be another delivery's, running the job).
    let taken = matches!(admitted, Some(Ok(Admission::Taken | Admission::Trial)));
    let claimed = &claim;
    let unclaim = || async move {
        if taken {
            ctx.devices.release(claimed, &Report::NOTHING).await;
        }
    };
    let mut record = match stored {
        Ok(Some(record)) => record,
        Ok(None) => job.queued_record(),
        Err(error) => {
            tracing::warn!(%error, "cannot read the job record; will retry");
            unclaim().await;
            return Handled::NotRecorded;
        }
    };
    match record.doc.status {
        status if status.is_terminal() => {
            unclaim().await;
            return republish(ctx, &record).await;
        }
        JobStatus::Started => {
            unclaim().await;
            return held_elsewhere(ctx, job.job_id).await;
        }
        _ => {}
    }
    let queued_at = FromState::Attempt(JobStatus::Queued, record.doc.attempts);
    let credentials = match credentials {
        Ok(credentials) => credentials,
        // Sealed with a key this worker does not have yet (a key ring rolling out): another
        // worker, or this one after its update, can open it.
        Err(naas_nats::MessageError::Credentials(naas_shared::seal::SealError::UnknownKey(kid))) => {
            tracing::warn!(key_id = kid.as_str(), "job sealed with a key this worker does not hold; handing it back");
            return Handled::Retry(Duration::from_secs(5));
        }
        Err(error) => {
            tracing::error!(%error, "job credentials cannot be opened");
            let failure =
                JobFailure::new(ErrorCode::Internal, "the job's credentials could not be opened by the worker");
            return settle(ctx, &mut record, queued_at, Outcome::failed(failure)).await;
        }
    };
    let first = match admitted.expect("admission is asked for once the credentials open") {
        Ok(admission) => admission,
        Err(error) => {
            tracing::warn!(%error, "cannot admit the job to its device; will retry");
            return Handled::NotRecorded;
        }
    };
    let admission = match wait_for_device(ctx, &claim, ctx.lease_ttl(), slot, first).await {
        Ok(admission) => admission,
        Err(error) => {
            tracing::warn!(%error, "cannot take a device slot; will retry");
            return Handled::NotRecorded;
        }
    };
    match admission {
        Admission::LockedOut(secs) => {
            let message = format!("the device is locked out for {secs} s after repeated login failures");
            let failure = JobFailure::new(ErrorCode::DeviceLockedOut, message);
            return settle(ctx, &mut record, queued_at, Outcome::failed(failure)).await;
        }
        Admission::Open => {
            let message = format!(
                "the device's circuit is open after repeated connection failures; it is tried again within {} s",
                ctx.settings.circuit_breaker.timeout_secs
            );
            let failure = JobFailure::new(ErrorCode::CircuitOpen, message);
            return settle(ctx, &mut record, queued_at, Outcome::failed(failure)).await;
        }
        Admission::Trial => tracing::info!("circuit half-open: this job is the trial"),
        Admission::Taken | Admission::Held | Admission::Busy => {}
    }
    let fresh = admission != Admission::Held;
    let attempt = record.doc.attempts + 1;
    record.doc.mark_started(naas_shared::now(), attempt);
    let mut lease = Lease { job_id: job.job_id, attempt, worker: ctx.name.clone(), expires_ms: 0 };
    lease.expires_ms = unix_ms(naas_shared::now()) + ctx.lease_ttl().as_millis() as u64;
    let outcome = match ctx.store.start(&record, &lease).await {
        Ok(true) => {
            tracing::info!(attempt, "job started");
            crate::metrics::started(&ctx.metrics, &record.doc);
            let _running = naas_shared::metrics::Held::new(&ctx.metrics, "naas_jobs_in_flight");
            // Boxed: the device dialogue's state machine is by far the largest part of a job's
            // future, and up to four times `worker.concurrency` jobs are held (most waiting
            // for a permit or a device) while only `concurrency` of them run it.
            let work = ctx.cancels.run(job.job_id, Box::pin(execute(ctx, &job, &credentials)));
            // The `started` event is confirmed while the device work goes on, not before it;
            // the terminal event is only published after both.
            let (_, ran) = tokio::join!(ctx.events.emit(&record), with_lease(ctx, &mut lease, &claim, work));
            ran.unwrap_or_else(|| Ran { outcome: Cancels::canceled(), tried: false })
        }
        Ok(false) => {
            // Canceled while queued, or another delivery started it first.
            if fresh {
                ctx.devices.release(&claim, &Report::NOTHING).await;
            }
            slot.permit = None;
            return settled_elsewhere(ctx, job.job_id).await;
        }
        Err(error) => {
            tracing::warn!(%error, "cannot mark the job started; will retry");
            if fresh {
                ctx.devices.release(&claim, &Report::NOTHING).await;
            }
            return Handled::NotRecorded;
        }
    };
    // The device goes back (slot, circuit, login failures: one script) while the outcome
    // is parsed and recorded; the worker slot with it.
    let report = ctx.devices.report(&outcome.outcome, outcome.tried);
    let permit = slot.permit.take();
    let release = async {
        let released = ctx.devices.release(&claim, &report).await;
        // The next of this worker's jobs for the device goes now, not once this one is
        // recorded.
        drop(turn);
        drop(permit);
        announce(ctx, &job, released).await;
    };
    let (_, handled) = tokio::join!(release, record_outcome(ctx, &job, &mut record, attempt, outcome.outcome));
    handled
}

/// What a job that ran leaves: its structured results parsed, then requeued for another
/// attempt or settled.
async fn record_outcome(
    ctx: &JobContext,
    job: &JobMessage,
    record: &mut JobRecord,
    attempt: u32,
    mut outcome: Outcome,
) -> Handled {
    if job.structured.is_some()
        && outcome.failure.is_none()
        && let Some(results) = outcome.results.take()
    {
        let (records, parsed) = crate::structured::parse(ctx.templates.clone(), job, results)
            .instrument(tracing::info_span!("structured.parse"))
            .await;
        outcome.results = Some(records);
        record.doc.parsed = Some(parsed);
    }

    if outcome.failure.as_ref().is_some_and(|f| f.code == ErrorCode::HostKeyMismatch) {
        let fields = json!({"job_id": job.job_id.to_string(), "host": job.host.as_str(), "port": job.port});
        ctx.audit.emit("device.host_key_mismatch", Some(&job.request_id), fields).await;
    }
    let code = outcome.failure.as_ref().map(|f| f.code);
    if let Some(pause) = ack::retry(job.kind, code, attempt, ctx.settings.jobs.max_attempts) {
        return requeue(ctx, record, attempt, pause, code).await;
    }
    settle(ctx, record, FromState::Attempt(JobStatus::Started, attempt), outcome).await
}

/// Runs `work` while renewing the job's lease (so the reaper knows this worker is alive)
/// and its device slot (so a dead worker's slot frees itself within one lease).
async fn with_lease<T>(
    ctx: &JobContext,
    lease: &mut Lease,
    claim: &Claim,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let ttl = ctx.lease_ttl();
    let every = ttl / 3;
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = beat.tick() => {
                lease.expires_ms = unix_ms(naas_shared::now()) + ttl.as_millis() as u64;
                match ctx.devices.renew(claim, ttl).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("the device slot lapsed and the device is busy; the job runs on"),
                    Err(error) => tracing::warn!(%error, "cannot renew the device slot"),
                }
                match ctx.store.renew(lease).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("the job's lease was lost; its outcome will not be recorded by this worker"),
                    Err(error) => tracing::warn!(%error, "cannot renew the job's lease"),
                }
            }
        }
    }
}

/// Puts a read-only job that could not reach its device back in the queue for another
/// attempt after `pause`.
async fn requeue(
    ctx: &JobContext,
    record: &mut JobRecord,
    attempt: u32,
    pause: Duration,
    code: Option<ErrorCode>,
) -> Handled {
    record.doc.status = JobStatus::Queued;
    record.doc.started_at = None;
    let deadline = naas_shared::now() + Duration::from_secs(ctx.settings.jobs.queue_timeout_secs);
    match ctx.store.requeue(record, attempt, deadline).await {
        Ok(true) => {
            tracing::info!(attempt, error_code = ?code, retry_in_ms = pause.as_millis() as u64, "device unreachable; job requeued");
            ctx.events.emit(record).await;
            ctx.metrics.inc("naas_job_retries_total", &[("error_code", code.map_or("none", |c| c.as_str()))]);
            Handled::Retry(pause)
        }
        Ok(false) => settled_elsewhere(ctx, record.doc.job_id).await,
        Err(error) => {
            tracing::warn!(%error, "cannot requeue the job; the reaper will once its lease expires");
            Handled::NotRecorded
        }
    }
}

/// Records the terminal `outcome` (if the job is still where `from` says), publishes it,
/// and emits `job.completed`. Redis hiccups are retried here, within the message's ack
/// wait, rather than by running the job again.
async fn settle(ctx: &JobContext, record: &mut JobRecord, from: FromState, outcome: Outcome) -> Handled {
    record.doc.settle(outcome, naas_shared::now());
    record.doc.bound_results(ctx.settings.jobs.max_stored_output_bytes);
    let mut pause = Duration::from_millis(250);
    let give_up = tokio::time::Instant::now() + ctx.lease_ttl();
    let written = loop {
        match ctx.store.transition(record, &[from]).instrument(tracing::info_span!("result.store")).await {
            Ok(written) => break written,
            Err(error) if tokio::time::Instant::now() + pause < give_up => {
                tracing::warn!(%error, "cannot store the job's result yet; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(4));
            }
            Err(error) => {
                tracing::warn!(%error, "cannot store the job's result; the reaper will settle it");
                return Handled::NotRecorded;
            }
        }
    };
    if !written {
        // Canceled while it ran, or settled by the reaper after this worker lost its lease.
        return settled_elsewhere(ctx, record.doc.job_id).await;
    }
    log_outcome(&record.doc);
    crate::metrics::settled(&ctx.metrics, &record.doc);
    if publish(ctx, record).await.is_err() {
        return Handled::NotRecorded;
    }
    let fields = json!({"job_id": record.doc.job_id.to_string(), "status": record.doc.status, "duration_ms": record.doc.duration_ms});
    ctx.audit.emit("job.completed", Some(&record.request_id), fields).await;
    Handled::Settled
}

/// A job message nobody can read: its job fails (`INTERNAL`) instead of staying queued.
async fn fail_unreadable(ctx: &JobContext, job_id: JobId) {
    let Ok(Some(mut record)) = ctx.store.get(job_id).await else { return };
    if record.doc.status == JobStatus::Queued {
        let failure = JobFailure::new(ErrorCode::Internal, "the job's message could not be read by the worker");
        let from = FromState::Attempt(JobStatus::Queued, record.doc.attempts);
        settle(ctx, &mut record, from, Outcome::failed(failure)).await;
    }
}

/// The job moved on without this delivery: publish it if it ended, else leave it to
/// whoever holds it (or to a later delivery if it was requeued).
async fn settled_elsewhere(ctx: &JobContext, job_id: JobId) -> Handled {
    match ctx.store.get(job_id).await {
        Ok(Some(record)) if record.doc.status.is_terminal() => republish(ctx, &record).await,
        Ok(Some(record)) if record.doc.status == JobStatus::Started => held_elsewhere(ctx, job_id).await,
        Ok(Some(_)) => Handled::Retry(Duration::from_secs(1)),
        _ => Handled::NotRecorded,
    }
}

/// Another delivery runs the job: look again once its lease could have expired and the
/// reaper had a chance to settle it.
async fn held_elsewhere(ctx: &JobContext, job_id: JobId) -> Handled {
    let now = unix_ms(naas_shared::now());
    let lease_left = match ctx.store.lease_expiry(job_id).await {
        Ok(Some(expires)) => Duration::from_millis(expires.saturating_sub(now)),
        _ => Duration::ZERO,
    };
    let pause = lease_left + Duration::from_secs(ctx.settings.reaper.interval_secs.max(1));
    tracing::info!(pause_ms = pause.as_millis() as u64, "job held by another delivery; looking again later");
    Handled::HeldElsewhere(pause.min(Duration::from_secs(120)))
}

async fn republish(ctx: &JobContext, record: &JobRecord) -> Handled {
    tracing::info!(status = ?record.doc.status, "job already settled; re-publishing its result");
    match publish(ctx, record).await {
        Ok(()) => Handled::AlreadySettled,
        Err(()) => Handled::NotRecorded,
    }
}

async fn publish(ctx: &JobContext, record: &JobRecord) -> Result<(), ()> {
    let sealer = ctx.settings.jobs.seal_results.then_some(ctx.sealer.as_ref());
    let inline_max_bytes = ctx.settings.nats.result_inline_max_bytes;
    naas_nats::publish_settled(&ctx.jetstream, &ctx.topology, &ctx.events, record, sealer, inline_max_bytes)
        .instrument(tracing::info_span!("result.publish"))
        .await
        .map_err(|error| tracing::warn!(error, "cannot publish the job's result; will retry"))
}

fn log_outcome(doc: &JobDocument) {
    match doc.error_code {
        None => tracing::info!(duration_ms = doc.duration_ms, "job finished"),
        // The message is for the caller; it may quote config lines, so it is not logged.
        Some(code) => tracing::info!(duration_ms = doc.duration_ms, error_code = %code, "job failed"),
    }
}
