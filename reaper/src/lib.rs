//! The naas reaper: a separate process that watches for jobs whose worker died and
//! settles them. This first version connects, provisions the topology and reports the
//! worker consumer's backlog each interval; lease-based orphan settling builds on it.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{Consumer, pull};
use naas_nats::Topology;
use naas_shared::config::Settings;
use tokio_util::sync::CancellationToken;

pub struct Reaper {
    interval: Duration,
    consumer: Consumer<pull::Config>,
}

pub async fn build(settings: Settings) -> anyhow::Result<Reaper> {
    let topology = Topology::new(&settings.prefix);
    let nats = naas_nats::connect(&settings.nats, "naas-reaper").await.context("connecting to NATS")?;
    let provisioned = naas_nats::provision(nats, &topology, &settings.nats, settings.result_ttl())
        .await
        .context("provisioning NATS streams")?;
    Ok(Reaper { interval: Duration::from_secs(settings.reaper.interval_secs.max(1)), consumer: provisioned.workers })
}

impl naas_shared::service::Service for Reaper {
    async fn run_until_stopped(self, token: CancellationToken) -> anyhow::Result<()> {
        Reaper::run_until_stopped(self, token).await
    }
}

impl Reaper {
    pub async fn run_until_stopped(mut self, token: CancellationToken) -> anyhow::Result<()> {
        let mut tick = tokio::time::interval(self.interval);
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => self.sweep().await,
            }
        }
        tracing::info!("reaper stopped");
        Ok(())
    }

    async fn sweep(&mut self) {
        match self.consumer.info().await {
            Ok(info) => tracing::debug!(
                pending = info.num_pending,
                ack_pending = info.num_ack_pending,
                redelivered = info.num_redelivered,
                "sweep: worker consumer state"
            ),
            Err(error) => tracing::warn!(%error, "sweep: cannot read the worker consumer"),
        }
    }
}
