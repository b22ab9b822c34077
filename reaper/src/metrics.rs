//! The reaper's metrics, served on `reaper.metrics_listen`: what its sweeps did, the jobs
//! it settled, the devices per circuit state (read from Redis at each scrape) and the
//! queue backlog.

use std::sync::Arc;

use naas_nats::Topology;
use naas_shared::metrics::{Def, Metrics, Refresh, counter, gauge};
use naas_shared::store::DeviceStore;

pub const CATALOGUE: &[Def] = &[
    counter("naas_reaper_sweeps_total", "Sweeps this reaper ran as the leader."),
    counter(
        "naas_reaper_actions_total",
        "What sweeps and advisories did, by action: requeued, orphaned, expired, max_deliveries, leftover_removed, slots_pruned.",
    ),
    gauge("naas_circuit_breakers", "Devices the circuit breaker tracks, by state (closed, open, half-open)."),
];

/// Brings the scrape-time gauges up to date: backlog and circuit states.
pub fn refresh(
    metrics: Arc<Metrics>,
    jetstream: async_nats::jetstream::Context,
    topology: Topology,
    devices: DeviceStore,
) -> Refresh {
    Arc::new(move || {
        let (metrics, jetstream, topology, devices) =
            (metrics.clone(), jetstream.clone(), topology.clone(), devices.clone());
        Box::pin(async move {
            naas_nats::backlog::record_backlog(&jetstream, &topology, &metrics).await;
            match devices.circuit_counts().await {
                Ok(counts) => {
                    let states = [("closed", counts.closed), ("open", counts.open), ("half-open", counts.half_open)];
                    for (state, count) in states {
                        metrics.set("naas_circuit_breakers", &[("state", state)], count as f64);
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot count circuit states for the metrics"),
            }
        })
    })
}
