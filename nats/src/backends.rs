//! Start-up of a process that uses both NATS and Redis: key ring, NATS connection and
//! topology, Redis job store. Shared by the API and the workers so they connect alike.

use std::sync::Arc;

use anyhow::Context as _;
use async_nats::jetstream;
use async_nats::jetstream::consumer::{Consumer, pull};
use naas_shared::config::Settings;
use naas_shared::seal::Sealer;
use naas_shared::store::JobStore;

use crate::{Audit, Events, Topology};

pub struct Backends {
    pub nats: async_nats::Client,
    pub jetstream: jetstream::Context,
    pub workers: Consumer<pull::Config>,
    pub topology: Topology,
    pub store: JobStore,
    pub sealer: Arc<Sealer>,
    pub audit: Audit,
    pub events: Events,
}

/// `<binary> provision`: connects to NATS with the configured user and creates or updates
/// the streams and the workers' consumer, as every service does at start-up.
pub async fn provision_topology(settings: &Settings, client_name: &str) -> anyhow::Result<()> {
    connect_provisioned(settings, client_name).await.map(|_| ())
}

/// A NATS connection with the topology in place (every JetStream call of provisioning was
/// answered, so NATS is reachable and accepts the configured user).
async fn connect_provisioned(
    settings: &Settings,
    client_name: &str,
) -> anyhow::Result<(async_nats::Client, Topology, crate::Provisioned)> {
    let topology = Topology::new(&settings.prefix);
    let nats = crate::connect(&settings.nats, client_name).await.context("connecting to NATS")?;
    let provisioned = crate::provision(nats.clone(), &topology, settings).await.context("provisioning NATS streams")?;
    Ok((nats, topology, provisioned))
}

/// Connects to NATS (provisioning the topology) and Redis; fails fast if either is down.
pub async fn connect_backends(settings: &Settings, client_name: &str) -> anyhow::Result<Backends> {
    let sealer = Arc::new(settings.sealer().context("encryption key ring")?);
    let (nats, topology, provisioned) = connect_provisioned(settings, client_name).await?;
    let store = JobStore::connect(&settings.redis, &settings.prefix, sealer.clone(), settings.result_ttl())
        .await
        .context("connecting to Redis")?;
    Ok(Backends {
        audit: Audit::new(nats.clone(), topology.clone()),
        events: Events::new(provisioned.jetstream.clone(), topology.clone()),
        nats,
        jetstream: provisioned.jetstream,
        workers: provisioned.workers,
        topology,
        store,
        sealer,
    })
}
