//! Driving the device for one job: key store, jump host, session (pooled or fresh), the
//! commands or the config push, all within the job's deadline. (The job was admitted to
//! the device, circuit breaker included, before it started: [`crate::device_access`].)

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use naas_nats::JobMessage;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{DeviceCredentials, JobKind, Outcome, command_results, job_deadline};
use naas_shared::platform::{AUTODETECT, Platform};
use serde_json::Value;

use crate::job::JobContext;
use crate::session::pool::SessionPool;
use crate::session::{DeviceSession, JumpHost, Target, Vouched};

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

/// The longest the job may take (the same figure the API announced as its `timeout`).
fn deadline(ctx: &JobContext, job: &JobMessage) -> Duration {
    let prompt = ctx.settings.worker.prompt_timeout_secs;
    Duration::from_secs(job_deadline(job.conn_timeout_secs, prompt, job.read_timeout_secs, job.commands.len()))
}

/// A job's outcome, and whether it got as far as trying its device (only then does it
/// count for the device's circuit).
pub struct Ran {
    pub outcome: Outcome,
    pub tried: bool,
}

impl Ran {
    /// Refused before the device was tried.
    fn refused(failure: JobFailure) -> Self {
        Self { outcome: Outcome::failed(failure), tried: false }
    }
}

/// Drives the device within the job's overall deadline.
pub async fn execute(ctx: &JobContext, job: &JobMessage, credentials: &DeviceCredentials) -> Ran {
    let autodetect = job.platform == AUTODETECT;
    // Until the device is recognised any definition stands in: only its prompt is used.
    let known = if autodetect { ctx.platforms.all().next().cloned() } else { ctx.platforms.get(&job.platform) };
    let Some(platform) = known else {
        let message = format!("platform {:?} is not known to this worker", job.platform);
        return Ran::refused(JobFailure::new(ErrorCode::Internal, message));
    };
    if let Some(failure) = crate::structured::refuse(ctx.templates.as_deref(), job) {
        return Ran::refused(failure);
    }
    let worker = &ctx.settings.worker;
    let ssh_key = match &job.ssh_key {
        None => None,
        Some(name) => match load_key(&worker.ssh_key_dir, name) {
            Ok(key) => Some(key),
            Err(failure) => return Ran::refused(failure),
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
                Err(failure) => return Ran::refused(failure),
            },
        }),
    };
    let prompt_timeout = Duration::from_secs(worker.prompt_timeout_secs);
    let read_timeout = Duration::from_secs(job.read_timeout_secs);
    let mut target = Target {
        host: job.host.as_str(),
        port: job.port,
        platform: platform.clone(),
        conn_timeout: Duration::from_secs(job.conn_timeout_secs),
        prompt_timeout,
        output_limit: worker.output_limit_bytes,
        host_keys: ctx.host_keys.clone(),
        // Detection offers legacy algorithms only when the job asks: no definition vouches yet.
        legacy_ssh: job.legacy_ssh || (!autodetect && platform.file.legacy_ssh),
        jump,
        ssh_key,
    };
    let deadline = deadline(ctx, job);
    let work = async move {
        let mut detected = None;
        if autodetect {
            match detect(ctx, &target, credentials, read_timeout).await {
                Ok(platform) => {
                    target.legacy_ssh = job.legacy_ssh || platform.file.legacy_ssh;
                    detected = Some(platform.name().to_owned());
                    target.platform = platform;
                }
                Err(failure) => return Outcome::failed(failure),
            }
        }
        // Keyed by platform: a detected job shares sessions with jobs naming that platform.
        let pool_key = ctx.pool.as_ref().map(|_| SessionPool::key(&ctx.sealer, &target, credentials));
        // A read-only job may take a session used moments ago without the Enter round trip;
        // if the device had closed it meanwhile, the job runs again on a fresh session.
        let read_only = job.kind == JobKind::Command;
        let pooled = match (&ctx.pool, &pool_key) {
            (Some(pool), Some(key)) => pool.checkout(key, prompt_timeout.min(Duration::from_secs(5)), read_only).await,
            _ => None,
        };
        let (mut session, vouched) = match pooled {
            Some((session, vouched)) => (session, Some(vouched)),
            None => match open(ctx, &target, credentials).await {
                Ok(session) => (session, None),
                Err(failure) => return Outcome::failed(failure),
            },
        };
        if vouched == Some(Vouched::Probed) {
            ctx.stats.sessions_probed.fetch_add(1, Ordering::Relaxed);
        }
        let mut outcome = run(ctx, &mut session, job, read_timeout).await;
        if vouched == Some(Vouched::Recent) && session.found_dead() {
            // Closed before it answered anything, not even an echo: its input never ran.
            tracing::info!("the pooled session had been dropped by the device; running the job on a fresh session");
            ctx.stats.sessions_replaced.fetch_add(1, Ordering::Relaxed);
            session.close().await;
            session = match open(ctx, &target, credentials).await {
                Ok(session) => session,
                Err(failure) => return Outcome::failed(failure),
            };
            outcome = run(ctx, &mut session, job, read_timeout).await;
        } else if vouched.is_some() {
            ctx.stats.sessions_reused.fetch_add(1, Ordering::Relaxed);
            ctx.metrics.inc("naas_ssh_sessions_reused_total", &[]);
        }
        match (&ctx.pool, pool_key, &outcome.failure) {
            (Some(pool), Some(key), None) => pool.checkin(key, session).await,
            _ => session.close().await,
        }
        outcome.detected_platform = detected;
        outcome
    };
    let outcome = tokio::time::timeout(deadline, work).await.unwrap_or_else(|_| {
        let message = format!("the job did not finish within its deadline of {} s", deadline.as_secs());
        Outcome::failed(JobFailure::new(ErrorCode::ReadTimeout, message))
    });
    Ran { outcome, tried: true }
}

/// The platform of an `autodetect` job's device, recognised on a session of its own.
async fn detect(
    ctx: &JobContext,
    target: &Target<'_>,
    credentials: &DeviceCredentials,
    read_timeout: Duration,
) -> Result<Arc<Platform>, JobFailure> {
    let detected = DeviceSession::detect(target, credentials, &ctx.platforms, read_timeout).await?;
    ctx.stats.sessions_opened.fetch_add(1, Ordering::Relaxed);
    ctx.metrics.inc("naas_ssh_sessions_opened_total", &[]);
    match detected {
        Some(platform) => {
            tracing::info!(platform = platform.name(), "device platform detected");
            Ok(platform)
        }
        None => Err(crate::session::not_detected(&ctx.platforms)),
    }
}

/// A fresh session to the job's device, counted.
async fn open(
    ctx: &JobContext,
    target: &Target<'_>,
    credentials: &DeviceCredentials,
) -> Result<DeviceSession, JobFailure> {
    let session = DeviceSession::open(target, credentials).await?;
    ctx.stats.sessions_opened.fetch_add(1, Ordering::Relaxed);
    ctx.metrics.inc("naas_ssh_sessions_opened_total", &[]);
    Ok(session)
}

/// The job's commands or config push on `session`.
async fn run(ctx: &JobContext, session: &mut DeviceSession, job: &JobMessage, read_timeout: Duration) -> Outcome {
    let _active = naas_shared::metrics::Held::new(&ctx.metrics, "naas_ssh_sessions_active");
    match job.kind {
        JobKind::Command => run_commands(session, job, read_timeout).await.into(),
        JobKind::Config => {
            let comment = format!("naas job {}", job.job_id);
            let push = session.configure(job.commands.as_slice(), &job.config, &comment, read_timeout);
            crate::phases::timed("config_push", push).await
        }
    }
}

async fn run_commands(session: &mut DeviceSession, job: &JobMessage, timeout: Duration) -> Result<Value, JobFailure> {
    let expect = match job.expect_string.as_deref().map(regex::Regex::new).transpose() {
        Ok(expect) => expect,
        Err(_) => return Err(JobFailure::new(ErrorCode::Internal, "expect_string is not a valid pattern")),
    };
    let mut outputs = Vec::with_capacity(job.commands.len());
    for command in job.commands.as_slice() {
        let output = crate::phases::timed("command", async {
            match &expect {
                Some(expect) => session.run_until(command, expect, timeout).await,
                None => session.run(command, timeout).await,
            }
        })
        .await?;
        outputs.push((command.clone(), output));
    }
    Ok(command_results(outputs))
}
