//! Running one delivered job: open its credentials, mark it started, drive the device,
//! record and publish the outcome. Returns what happened; `ack` decides the disposition.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream;
use naas_nats::{Audit, JobMessage, Topology, headers};
use naas_shared::config::Settings;
use naas_shared::domain::JobId;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{DeviceCredentials, JobDocument, JobKind, JobRecord, JobStatus, Outcome, command_results};
use naas_shared::lockout::Lockouts;
use naas_shared::platform::Platforms;
use naas_shared::seal::Sealer;
use naas_shared::store::JobStore;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::WorkerStats;
use crate::ack::Handled;
use crate::cancel::Cancels;
use crate::device_slots::{Access, DeviceSlots};
use crate::session::host_keys::HostKeys;
use crate::session::pool::SessionPool;
use crate::session::{DeviceSession, JumpHost, Target};

/// Everything a job task needs, shared by all of a worker's tasks.
pub struct JobContext {
    pub settings: Settings,
    pub name: String,
    pub jetstream: jetstream::Context,
    pub topology: Topology,
    pub store: JobStore,
    pub sealer: Arc<Sealer>,
    pub platforms: Platforms,
    pub audit: Audit,
    pub host_keys: Arc<HostKeys>,
    /// Idle sessions for reuse; `None` when reuse is off.
    pub pool: Option<Arc<SessionPool>>,
    pub slots: DeviceSlots,
    pub lockouts: Lockouts,
    pub cancels: Cancels,
    pub stats: Arc<WorkerStats>,
}

/// The worker's concurrency slot held by a job task; given back while the job waits for
/// its device, so waiting jobs never occupy a slot.
pub struct RunSlot {
    pub permit: Option<OwnedSemaphorePermit>,
    pub semaphore: Arc<Semaphore>,
}

pub async fn handle(ctx: &JobContext, message: &jetstream::Message, delivery: u32, slot: &mut RunSlot) -> Handled {
    let job = match JobMessage::decode(&message.payload) {
        Ok(job) => job,
        Err(error) => {
            let id = message.headers.as_ref().and_then(|h| h.get(headers::MSG_ID)).map(|v| v.to_string());
            tracing::error!(%error, job.id = id.as_deref(), "undecodable job message; discarding it");
            return Handled::Poison;
        }
    };
    let span =
        tracing::info_span!("job", job.id = %job.job_id, request_id = job.request_id.as_str(), device.host = %job.host);
    tracing::Instrument::instrument(run(ctx, message, job, delivery, slot), span).await
}

async fn run(
    ctx: &JobContext,
    message: &jetstream::Message,
    job: JobMessage,
    delivery: u32,
    slot: &mut RunSlot,
) -> Handled {
    let mut record = match ctx.store.get(job.job_id).await {
        Ok(Some(record)) => record,
        Ok(None) => job.queued_record(),
        Err(error) => {
            tracing::warn!(%error, "cannot read the job record; will retry");
            return Handled::NotRecorded;
        }
    };
    if record.doc.status.is_terminal() {
        tracing::info!(status = ?record.doc.status, "job already settled; re-publishing its result");
        return match publish_result(ctx, &record).await {
            Ok(()) => Handled::AlreadySettled,
            Err(()) => Handled::NotRecorded,
        };
    }

    let device = format!("{}:{}", job.host, job.port);
    let locked = match ctx.lockouts.locked_for("device", &device).await {
        Ok(locked) => locked,
        Err(error) => {
            tracing::warn!(%error, "cannot read the device lockout; will retry");
            return Handled::NotRecorded;
        }
    };
    let outcome = match job.open_credentials(&ctx.sealer, message.headers.as_ref()) {
        Ok(_) if locked.is_some() => Outcome::failed(JobFailure::new(
            ErrorCode::DeviceLockedOut,
            format!("the device is locked out for {} s after repeated login failures", locked.unwrap_or(0)),
        )),
        Ok(credentials) => {
            let access = if job.kind == JobKind::Config { Access::Exclusive } else { Access::Shared };
            let lease = deadline(ctx, &job) + Duration::from_secs(30);
            if let Err(error) = wait_for_device(ctx, &job, access, lease, slot).await {
                tracing::warn!(%error, "cannot take a device slot; will retry");
                return Handled::NotRecorded;
            }
            record.doc.mark_started(naas_shared::now(), delivery);
            let outcome = match ctx.store.transition(&record, &[JobStatus::Queued, JobStatus::Started]).await {
                Ok(true) => {
                    tracing::info!(attempt = delivery, "job started");
                    Ok(ctx.cancels.run(job.job_id, execute(ctx, &job, &credentials)).await)
                }
                Ok(false) => Err(None),
                Err(error) => Err(Some(error)),
            };
            ctx.slots.release(job.host.as_str(), job.port, &job.job_id.to_string(), access).await;
            match outcome {
                Ok(outcome) => outcome,
                // Canceled while queued: it never runs.
                Err(None) => return settled_elsewhere(ctx, job.job_id).await,
                Err(Some(error)) => {
                    tracing::warn!(%error, "cannot mark the job started; will retry");
                    return Handled::NotRecorded;
                }
            }
        }
        Err(error) => {
            tracing::error!(%error, "job credentials cannot be opened");
            Outcome::failed(JobFailure::new(
                ErrorCode::Internal,
                "the job's credentials could not be opened by the worker",
            ))
        }
    };
    if outcome.failure.as_ref().is_some_and(|f| f.code == ErrorCode::HostKeyMismatch) {
        let fields = json!({"job_id": job.job_id.to_string(), "host": job.host.as_str(), "port": job.port});
        ctx.audit.emit("device.host_key_mismatch", Some(&job.request_id), fields).await;
    }
    track_device_logins(ctx, &job, &device, &outcome).await;
    record.doc.settle(outcome, naas_shared::now());
    match ctx.store.transition(&record, &[JobStatus::Queued, JobStatus::Started]).await {
        Ok(true) => {}
        // Canceled while it ran: the cancellation stands.
        Ok(false) => return settled_elsewhere(ctx, job.job_id).await,
        Err(error) => {
            tracing::warn!(%error, "cannot store the job's result; will retry");
            return Handled::NotRecorded;
        }
    }
    log_outcome(&record.doc);
    if publish_result(ctx, &record).await.is_err() {
        return Handled::NotRecorded;
    }
    ctx.audit
        .emit(
            "job.completed",
            Some(&record.request_id),
            json!({"job_id": record.doc.job_id.to_string(), "status": record.doc.status, "duration_ms": record.doc.duration_ms}),
        )
        .await;
    Handled::Settled
}

/// Counts logins the device itself refused (not a jump host, not a missing key), and
/// locks the device out after too many; a job that got past login clears the count.
async fn track_device_logins(ctx: &JobContext, job: &JobMessage, device: &str, outcome: &Outcome) {
    let refused_by_device = |f: &JobFailure| {
        f.code == ErrorCode::AuthFailure
            && (f.message.starts_with("the device") || f.message.starts_with("the enable secret"))
    };
    let result = match &outcome.failure {
        Some(failure) if refused_by_device(failure) => {
            match ctx.lockouts.failed("device", device, ctx.settings.lockout.device()).await {
                Ok(Some(count)) => {
                    tracing::warn!(failure_count = count, "device locked out after repeated login failures");
                    let fields = json!({"host": job.host.as_str(), "port": job.port, "failure_count": count});
                    ctx.audit.emit("device.locked_out", Some(&job.request_id), fields).await;
                    Ok(())
                }
                other => other.map(|_| ()),
            }
        }
        Some(failure) if failure.code != ErrorCode::ConfigRejected => Ok(()),
        _ => ctx.lockouts.succeeded("device", device).await,
    };
    if let Err(error) = result {
        tracing::warn!(%error, "cannot update the device's login failure count");
    }
}

/// A private key from the key store, by file name (the API only lets plain names through).
fn load_key(dir: &str, name: &str) -> Result<Arc<russh::keys::PrivateKey>, JobFailure> {
    let missing = || JobFailure::new(ErrorCode::AuthFailure, format!("the key store has no usable key named {name:?}"));
    if dir.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(missing());
    }
    russh::keys::load_secret_key(std::path::Path::new(dir).join(name), None).map(Arc::new).map_err(|error| {
        tracing::warn!(%error, key = name, "cannot load a key from the key store");
        missing()
    })
}

/// The job reached a terminal state elsewhere (it was canceled): publish that state.
async fn settled_elsewhere(ctx: &JobContext, job_id: JobId) -> Handled {
    match ctx.store.get(job_id).await {
        Ok(Some(record)) if record.doc.status.is_terminal() => {
            tracing::info!(status = ?record.doc.status, "job settled elsewhere");
            match publish_result(ctx, &record).await {
                Ok(()) => Handled::AlreadySettled,
                Err(()) => Handled::NotRecorded,
            }
        }
        _ => Handled::NotRecorded,
    }
}

/// Takes a slot on the device (shared for read-only jobs, exclusive for config pushes).
/// While the device is busy the job stays `queued` and gives its worker slot back (its
/// message is kept alive by the progress acks every job sends).
async fn wait_for_device(
    ctx: &JobContext,
    job: &JobMessage,
    access: Access,
    lease: Duration,
    slot: &mut RunSlot,
) -> redis::RedisResult<()> {
    let (host, port, id) = (job.host.as_str(), job.port, job.job_id.to_string());
    if ctx.slots.try_acquire(host, port, &id, access, lease).await? {
        return Ok(());
    }
    tracing::debug!(?access, "device busy; waiting without a worker slot");
    slot.permit = None;
    let mut pause = Duration::from_millis(50);
    loop {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
        if ctx.slots.try_acquire(host, port, &id, access, lease).await? {
            break;
        }
    }
    slot.permit = Some(slot.semaphore.clone().acquire_owned().await.expect("the semaphore is never closed"));
    Ok(())
}

/// The longest a job may take: connect, log in, reach the prompt, then every line plus
/// entering/leaving config mode and saving, each with its own timeout.
fn deadline(ctx: &JobContext, job: &JobMessage) -> Duration {
    let conn = Duration::from_secs(job.conn_timeout_secs);
    let prompt = Duration::from_secs(ctx.settings.worker.prompt_timeout_secs);
    let read = Duration::from_secs(job.read_timeout_secs);
    conn * 2 + prompt * 2 + read * (job.commands.len() as u32 + 4)
}

/// Drives the device within the job's overall deadline.
async fn execute(ctx: &JobContext, job: &JobMessage, credentials: &DeviceCredentials) -> Outcome {
    let Some(platform) = ctx.platforms.get(&job.platform) else {
        let message = format!("platform {:?} is not known to this worker", job.platform);
        return Outcome::failed(JobFailure::new(ErrorCode::Internal, message));
    };
    let worker = &ctx.settings.worker;
    let ssh_key = match &job.ssh_key {
        None => None,
        Some(name) => match load_key(&worker.ssh_key_dir, name) {
            Ok(key) => Some(key),
            Err(failure) => return Outcome::failed(failure),
        },
    };
    let jump_spec = job.jump_host.as_ref().or_else(|| ctx.settings.jump_hosts.get(job.context.as_str()));
    let jump = match jump_spec {
        None => None,
        Some(spec) => Some(JumpHost {
            host: spec.host.as_str().to_owned(),
            port: spec.port,
            username: spec.username.clone(),
            key: match spec.ssh_key.as_deref().map(|name| load_key(&worker.ssh_key_dir, name)).transpose() {
                Ok(key) => key,
                Err(failure) => return Outcome::failed(failure),
            },
        }),
    };
    let prompt_timeout = Duration::from_secs(worker.prompt_timeout_secs);
    let read_timeout = Duration::from_secs(job.read_timeout_secs);
    let target = Target {
        host: job.host.as_str(),
        port: job.port,
        platform: platform.clone(),
        conn_timeout: Duration::from_secs(job.conn_timeout_secs),
        prompt_timeout,
        output_limit: worker.output_limit_bytes,
        host_keys: ctx.host_keys.clone(),
        legacy_ssh: job.legacy_ssh || platform.file.legacy_ssh,
        jump,
        ssh_key,
    };
    let deadline = deadline(ctx, job);
    let pool_key = ctx.pool.as_ref().map(|_| SessionPool::key(&ctx.sealer, &target, credentials));
    let work = async {
        let pooled = match (&ctx.pool, &pool_key) {
            (Some(pool), Some(key)) => pool.checkout(key, prompt_timeout.min(Duration::from_secs(5))).await,
            _ => None,
        };
        let mut session = match pooled {
            Some(session) => {
                ctx.stats.sessions_reused.fetch_add(1, Ordering::Relaxed);
                session
            }
            None => match DeviceSession::open(&target, credentials).await {
                Ok(session) => {
                    ctx.stats.sessions_opened.fetch_add(1, Ordering::Relaxed);
                    session
                }
                Err(failure) => return Outcome::failed(failure),
            },
        };
        let outcome = match job.kind {
            JobKind::Command => run_commands(&mut session, job, read_timeout).await.into(),
            JobKind::Config => {
                let comment = format!("naas job {}", job.job_id);
                session.configure(job.commands.as_slice(), &job.config, &comment, read_timeout).await
            }
        };
        match (&ctx.pool, pool_key, &outcome.failure) {
            (Some(pool), Some(key), None) => pool.checkin(key, session).await,
            _ => session.close().await,
        }
        outcome
    };
    tokio::time::timeout(deadline, work).await.unwrap_or_else(|_| {
        let message = format!("the job did not finish within its deadline of {} s", deadline.as_secs());
        Outcome::failed(JobFailure::new(ErrorCode::ReadTimeout, message))
    })
}

async fn run_commands(session: &mut DeviceSession, job: &JobMessage, timeout: Duration) -> Result<Value, JobFailure> {
    let expect = match job.expect_string.as_deref().map(regex::Regex::new).transpose() {
        Ok(expect) => expect,
        Err(_) => return Err(JobFailure::new(ErrorCode::Internal, "expect_string is not a valid pattern")),
    };
    let mut outputs = Vec::with_capacity(job.commands.len());
    for command in job.commands.as_slice() {
        let output = match &expect {
            Some(expect) => session.run_until(command, expect, timeout).await?,
            None => session.run(command, timeout).await?,
        };
        outputs.push((command.clone(), output));
    }
    Ok(command_results(outputs))
}

async fn publish_result(ctx: &JobContext, record: &JobRecord) -> Result<(), ()> {
    let subject = ctx.topology.result_subject(&record.context, record.doc.job_id);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(headers::MSG_ID, format!("{}:result", record.doc.job_id).as_str());
    headers.insert(headers::REQUEST_ID, record.request_id.as_str());
    let sealer = ctx.settings.jobs.seal_results.then_some(ctx.sealer.as_ref());
    let payload = naas_nats::message::result_payload(&record.doc, sealer);
    let published = match ctx.jetstream.publish_with_headers(subject, headers, payload.into()).await {
        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    published.map_err(|error| tracing::warn!(error, "cannot publish the job's result; will retry"))
}

fn log_outcome(doc: &JobDocument) {
    match doc.error_code {
        None => tracing::info!(duration_ms = doc.duration_ms, "job finished"),
        // The message is for the caller; it may quote config lines, so it is not logged.
        Some(code) => tracing::info!(duration_ms = doc.duration_ms, error_code = %code, "job failed"),
    }
}
