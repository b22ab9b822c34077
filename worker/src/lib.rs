//! The naas worker: pulls jobs from the shared JetStream consumer, runs each on its device
//! over an SSH shell, stores the outcome in Redis, publishes it on the result subject, and
//! only then acks. Stateless: run as many as the load needs.
//!
//! Flow control: a worker holds at most four times its concurrency in jobs (running, or
//! waiting for a busy device), and runs at most its concurrency at once. Every held job's
//! message gets progress acks from the moment it is pulled, so a job waiting here is never
//! redelivered to another worker meanwhile.

pub mod ack;
pub mod breaker;
mod cancel;
mod device_access;
mod device_queue;
mod execute;
mod job;
mod metrics;
mod phases;
pub mod session;
mod structured;
mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{Consumer, pull};
use futures::StreamExt;
use naas_shared::config::Settings;
use naas_shared::store::DeviceStore;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ack::{Disposition, disposition};
use crate::breaker::Breaker;
use crate::device_access::DeviceAccess;
use crate::job::{JobContext, RunSlot};
use crate::session::host_keys::HostKeys;
use crate::session::pool::SessionPool;

/// Counters a test or an operator can read while the worker runs.
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// Deliveries this worker began handling (counted before any device work).
    pub jobs_started: AtomicU64,
    /// Deliveries this worker finished handling (counted once settled with NATS).
    pub jobs_handled: AtomicU64,
    /// SSH sessions opened afresh.
    pub sessions_opened: AtomicU64,
    /// Jobs that ran on a pooled session.
    pub sessions_reused: AtomicU64,
    /// Pooled sessions checked with an Enter round trip before a job (not used moments
    /// before, or a config push).
    pub sessions_probed: AtomicU64,
    /// Pooled sessions taken without a probe that turned out dropped by the device; their
    /// jobs ran on a fresh session instead.
    pub sessions_replaced: AtomicU64,
}

pub struct Worker {
    ctx: Arc<JobContext>,
    /// The `/metrics` listener, when `worker.metrics_listen` is set.
    metrics_listener: Option<std::net::TcpListener>,
    /// Webhook deliveries, when `webhooks.signing_secret` is set.
    webhooks: Option<webhooks::Dispatcher>,
    cancel_subscription: async_nats::Subscriber,
    consumer: Consumer<pull::Config>,
    stats: Arc<WorkerStats>,
}

pub async fn build(settings: Settings) -> anyhow::Result<Worker> {
    let name = if settings.worker.name.is_empty() { default_name() } else { settings.worker.name.clone() };
    let platforms = settings.platforms().map_err(|errors| anyhow::anyhow!(errors.join("; ")))?;
    let backends = naas_nats::connect_backends(&settings, &format!("naas-worker {name}")).await?;
    let host_keys = Arc::new(HostKeys::from_settings(&settings, backends.store.connection()));
    let worker = &settings.worker;
    let pool = worker
        .session_reuse
        .then(|| Arc::new(SessionPool::new(worker.session_pool_max, Duration::from_secs(worker.session_idle_secs))));
    let stats = Arc::new(WorkerStats::default());
    let devices = DeviceStore::new(backends.store.connection(), &settings.prefix);
    let breaker = Breaker::new(&settings.circuit_breaker);
    let devices = DeviceAccess::new(devices, settings.jobs.device_concurrency, breaker, settings.lockout.device());
    let cancels = cancel::Cancels::default();
    let templates = load_templates(&settings)?;
    let metrics_listener = settings.worker.metrics_listen.map(naas_shared::metrics::bind).transpose()?;
    let catalogues = [naas_shared::metrics::COMMON, naas_shared::metrics::OUTCOMES, metrics::CATALOGUE];
    let metrics = Arc::new(
        naas_shared::metrics::Metrics::new(&catalogues).with_round_trips(backends.store.connection().round_trips()),
    );
    let store = backends.store.clone();
    let webhooks = webhooks::build(&settings, &backends.jetstream, &backends.topology, store, metrics.clone()).await?;
    let cancel_subscription = backends
        .nats
        .subscribe(backends.topology.cancel_wildcard())
        .await
        .context("subscribing to job cancellations")?;
    let ctx = JobContext {
        cancels,
        devices,
        host_keys,
        pool,
        stats: stats.clone(),
        metrics,
        audit: backends.audit,
        events: backends.events,
        name,
        jetstream: backends.jetstream,
        topology: backends.topology,
        store: backends.store,
        sealer: backends.sealer,
        platforms,
        templates,
        settings,
    };
    Ok(Worker {
        ctx: Arc::new(ctx),
        metrics_listener,
        webhooks,
        consumer: backends.workers,
        stats,
        cancel_subscription,
    })
}

/// The TextFSM templates index of send-command-structured, when `structured.templates_dir`
/// names one; a directory without a valid index stops the worker.
fn load_templates(settings: &Settings) -> anyhow::Result<Option<Arc<naas_textfsm::Library>>> {
    let dir = settings.structured.templates_dir.as_str();
    if dir.is_empty() {
        return Ok(None);
    }
    let library = naas_textfsm::Library::load(std::path::Path::new(dir))
        .with_context(|| format!("structured.templates_dir {dir:?}: loading the TextFSM templates index"))?;
    tracing::info!(templates_dir = dir, index_rows = library.len(), "TextFSM templates index loaded");
    Ok(Some(Arc::new(library)))
}

fn default_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let host = if host.is_empty() { "worker".to_owned() } else { host };
    format!("{host}-{}", std::process::id())
}

impl naas_shared::service::Service for Worker {
    const PROCESS: naas_shared::config::Process = naas_shared::config::Process::Worker;

    async fn run_until_stopped(self, token: CancellationToken) -> anyhow::Result<()> {
        Worker::run_until_stopped(self, token).await
    }

    /// NATS and Redis answer with the configured settings (the worker has no listener).
    async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
        let nats = naas_nats::connect(&settings.nats, "naas-worker healthcheck").await.context("connecting to NATS")?;
        nats.flush().await.context("NATS round trip")?;
        naas_shared::healthcheck::redis(&settings.redis).await
    }

    async fn provision(settings: &Settings) -> anyhow::Result<()> {
        naas_nats::backends::provision_topology(settings, "naas-worker provision").await
    }
}

impl Worker {
    pub fn name(&self) -> &str {
        &self.ctx.name
    }

    pub fn stats(&self) -> Arc<WorkerStats> {
        self.stats.clone()
    }

    /// The round trips to Redis this worker made, per operation.
    pub fn round_trips(&self) -> naas_shared::store::RoundTrips {
        self.ctx.store.connection().round_trips()
    }

    /// The address `/metrics` is served on, if `worker.metrics_listen` is set.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves `/metrics`, bringing the backlog and pool gauges up to date at each scrape.
    fn serve_metrics(&mut self, token: &CancellationToken) {
        let Some(listener) = self.metrics_listener.take() else { return };
        let ctx = self.ctx.clone();
        let refresh: naas_shared::metrics::Refresh = Arc::new(move || {
            let ctx = ctx.clone();
            Box::pin(async move {
                naas_nats::backlog::record_backlog(&ctx.jetstream, &ctx.topology, &ctx.metrics).await;
                let pooled = ctx.pool.as_ref().map_or(0, |pool| pool.idle_count());
                ctx.metrics.set("naas_ssh_sessions_pooled", &[], pooled as f64);
            })
        });
        tokio::spawn(naas_shared::metrics::serve(listener, self.ctx.metrics.clone(), refresh, token.clone()));
    }

    pub async fn run_until_stopped(mut self, token: CancellationToken) -> anyhow::Result<()> {
        self.serve_metrics(&token);
        if let Some(webhooks) = self.webhooks.take() {
            tokio::spawn(webhooks.run(token.clone()));
        }
        let concurrency = self.ctx.settings.worker.concurrency;
        let permits = Arc::new(Semaphore::new(concurrency));
        // Jobs held at once, running or waiting for a busy device: bounds what is pulled.
        let held = Arc::new(Semaphore::new(concurrency * 4));
        let tracker = TaskTracker::new();
        let mut messages = self
            .consumer
            .stream()
            .max_messages_per_batch(concurrency.min(16))
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(10))
            .messages()
            .await
            .context("subscribing to the jobs consumer")?;
        tracing::info!(worker = self.ctx.name.as_str(), concurrency, "worker pulling jobs");
        tokio::spawn(self.ctx.cancels.clone().listen(self.cancel_subscription, token.clone()));
        if let Some(pool) = self.ctx.pool.clone() {
            let token = token.clone();
            let every = Duration::from_secs(self.ctx.settings.worker.session_idle_secs.clamp(1, 10));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tokio::select! {
                        _ = token.cancelled() => break,
                        _ = tick.tick() => pool.sweep().await,
                    }
                }
            });
        }
        let mut ended = false;
        loop {
            let hold = tokio::select! {
                _ = token.cancelled() => break,
                hold = held.clone().acquire_owned() => hold.expect("the semaphore is never closed"),
            };
            let next = tokio::select! {
                _ = token.cancelled() => break,
                next = messages.next() => next,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => {
                    tracing::warn!(%error, "pulling jobs failed; continuing");
                    continue;
                }
                None => {
                    ended = true;
                    break;
                }
            };
            let ctx = self.ctx.clone();
            let stats = self.stats.clone();
            let mut slot = RunSlot { permit: None, semaphore: permits.clone() };
            tracker.spawn(async move {
                stats.jobs_started.fetch_add(1, Ordering::SeqCst);
                let delivery = message.info().map(|i| i.delivered as u32).unwrap_or(1);
                let every = Duration::from_secs((ctx.settings.nats.ack_wait_secs / 3).max(1));
                let handled = with_progress(&message, every, job::handle(&ctx, &message, &mut slot)).await;
                settle_delivery(&message, disposition(&handled, delivery)).await;
                stats.jobs_handled.fetch_add(1, Ordering::SeqCst);
                drop(slot);
                drop(hold);
            });
        }
        // Hand back what was prefetched but not started, so other workers take it now
        // rather than after the ack wait.
        let mut returned = 0;
        // (A short delay keeps them from coming straight back to this draining stream.)
        while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_millis(100), messages.next()).await {
            let _ = message.ack_with(AckKind::Nak(Some(Duration::from_secs(1)))).await;
            returned += 1;
        }
        drop(messages);
        tracing::info!(returned, in_flight = tracker.len(), "worker stopping");
        let grace = Duration::from_secs(self.ctx.settings.worker.shutdown_grace_secs);
        naas_shared::shutdown::drain(&tracker, grace, "jobs").await;
        if let Some(pool) = &self.ctx.pool {
            pool.close_all().await;
        }
        if ended {
            anyhow::bail!("the jobs consumer stream ended");
        }
        Ok(())
    }
}

/// Runs `work` while telling JetStream every `every` that the job is still in progress, so
/// the ack wait can stay short (a dead worker's jobs come back quickly) whatever the job's
/// length.
async fn with_progress<T>(
    message: &async_nats::jetstream::Message,
    every: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = beat.tick() => {
                if let Err(error) = message.ack_with(AckKind::Progress).await {
                    tracing::warn!(%error, "could not extend the job's ack wait");
                }
            }
        }
    }
}

async fn settle_delivery(message: &async_nats::jetstream::Message, disposition: Disposition) {
    let result = match disposition {
        Disposition::Ack => message.double_ack().await,
        Disposition::Nak(delay) => message.ack_with(AckKind::Nak(Some(delay))).await,
        Disposition::Term => message.ack_with(AckKind::Term).await,
    };
    if let Err(error) = result {
        tracing::warn!(%error, ?disposition, "could not settle the job message with NATS");
    }
}
