//! The reaper's metrics, served on `reaper.metrics_listen`: what its sweeps did, the jobs
//! it settled, the devices per circuit state (read from Redis at each scrape) and the
//! queue backlog.

use std::sync::Arc;

use naas_nats::Topology;
use naas_shared::metrics::{Def, Metrics, Refresh, counter, gauge};
use naas_shared::redis_conn::RedisConn;

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
    redis: RedisConn,
    prefix: String,
) -> Refresh {
    Arc::new(move || {
        let (metrics, jetstream, topology, redis) =
            (metrics.clone(), jetstream.clone(), topology.clone(), redis.clone());
        let pattern = naas_shared::keys::circuits_pattern(&prefix);
        Box::pin(async move {
            naas_nats::backlog::record_backlog(&jetstream, &topology, &metrics).await;
            match circuit_states(&redis, &pattern).await {
                Ok([closed, open, half_open]) => {
                    for (state, count) in [("closed", closed), ("open", open), ("half-open", half_open)] {
                        metrics.set("naas_circuit_breakers", &[("state", state)], count as f64);
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot count circuit states for the metrics"),
            }
        })
    })
}

/// Counts circuits per state, scanning in batches (never one long blocking command) on
/// every node that holds keys.
async fn circuit_states(redis: &RedisConn, pattern: &str) -> redis::RedisResult<[u64; 3]> {
    let mut counts = [0; 3];
    let mut conn = redis.clone();
    for key in redis.scan_match(pattern).await? {
        let state: Option<String> = redis::cmd("HGET").arg(&key).arg("state").query_async(&mut conn).await?;
        match state.as_deref().unwrap_or("closed") {
            "open" => counts[1] += 1,
            "half-open" => counts[2] += 1,
            _ => counts[0] += 1,
        }
    }
    Ok(counts)
}
