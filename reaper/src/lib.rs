//! The naas reaper: a separate process that makes sure every accepted job ends. Each
//! interval the leader among the running reapers settles jobs whose worker died (expired
//! leases), jobs nobody started before their queue deadline, stale per-device slots and
//! job messages left in the work queue after their last delivery. It also acts on the
//! server's max-deliveries advisories as they happen.

pub mod leader;
mod metrics;
mod settle;
pub mod sweep;

use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;
use naas_nats::Backends;
use naas_shared::config::Settings;
use tokio_util::sync::CancellationToken;

use crate::leader::Leadership;

pub struct Reaper {
    settings: Settings,
    backends: Backends,
    leadership: Leadership,
    advisories: async_nats::Subscriber,
    metrics: std::sync::Arc<naas_shared::metrics::Metrics>,
    /// The `/metrics` listener, when `reaper.metrics_listen` is set.
    metrics_listener: Option<std::net::TcpListener>,
}

pub async fn build(settings: Settings) -> anyhow::Result<Reaper> {
    let id = format!("reaper-{}", uuid::Uuid::new_v4().simple());
    let backends = naas_nats::connect_backends(&settings, &format!("naas-reaper {id}")).await?;
    let advisories = backends
        .nats
        .subscribe(backends.topology.max_deliveries_advisory())
        .await
        .context("subscribing to max-deliveries advisories")?;
    let interval = interval(&settings);
    let leadership = Leadership::new(backends.store.connection(), &settings.prefix, id, interval * 3);
    let metrics_listener = settings.reaper.metrics_listen.map(naas_shared::metrics::bind).transpose()?;
    let catalogues = [naas_shared::metrics::COMMON, naas_shared::metrics::OUTCOMES, metrics::CATALOGUE];
    let metrics = std::sync::Arc::new(
        naas_shared::metrics::Metrics::new(&catalogues).with_round_trips(backends.store.connection().round_trips()),
    );
    Ok(Reaper { settings, backends, leadership, advisories, metrics, metrics_listener })
}

fn interval(settings: &Settings) -> Duration {
    Duration::from_secs(settings.reaper.interval_secs.max(1))
}

impl naas_shared::service::Service for Reaper {
    const PROCESS: naas_shared::config::Process = naas_shared::config::Process::Reaper;

    async fn run_until_stopped(self, token: CancellationToken) -> anyhow::Result<()> {
        Reaper::run_until_stopped(self, token).await
    }

    /// NATS and Redis answer with the configured settings (the reaper has no listener).
    async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
        let nats = naas_nats::connect(&settings.nats, "naas-reaper healthcheck").await.context("connecting to NATS")?;
        nats.flush().await.context("NATS round trip")?;
        naas_shared::healthcheck::redis(&settings.redis).await
    }

    async fn provision(settings: &Settings) -> anyhow::Result<()> {
        naas_nats::backends::provision_topology(settings, "naas-reaper provision").await
    }
}

impl Reaper {
    /// The round trips to Redis this reaper has made so far, per operation (also exported
    /// as `naas_redis_round_trips_total`).
    pub fn round_trips(&self) -> naas_shared::store::RoundTrips {
        self.backends.store.connection().round_trips()
    }

    /// The address `/metrics` is served on, if `reaper.metrics_listen` is set.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub async fn run_until_stopped(mut self, token: CancellationToken) -> anyhow::Result<()> {
        if let Some(listener) = self.metrics_listener.take() {
            let b = &self.backends;
            let refresh = metrics::refresh(
                self.metrics.clone(),
                b.jetstream.clone(),
                b.topology.clone(),
                naas_shared::store::DeviceStore::new(b.store.connection(), &self.settings.prefix),
            );
            tokio::spawn(naas_shared::metrics::serve(listener, self.metrics.clone(), refresh, token.clone()));
        }
        let mut tick = tokio::time::interval(interval(&self.settings));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let reaper = settle::Settler::new(&self.settings, &self.backends, self.metrics.clone());
        tracing::info!(interval_secs = self.settings.reaper.interval_secs, "reaper running");
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => match self.leadership.lead().await {
                    Ok(true) => {
                        self.metrics.inc("naas_reaper_sweeps_total", &[]);
                        reaper.sweep().await
                    }
                    Ok(false) => tracing::debug!("another reaper leads this interval"),
                    Err(error) => tracing::warn!(%error, "cannot take the reaper lease; skipping this sweep"),
                },
                advisory = self.advisories.next() => match advisory {
                    Some(advisory) => reaper.max_deliveries(&advisory.payload).await,
                    None => anyhow::bail!("the advisory subscription ended"),
                },
            }
        }
        tracing::info!("reaper stopped");
        Ok(())
    }
}
