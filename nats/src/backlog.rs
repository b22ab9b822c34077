//! The backlog of the JetStream consumers, for the metrics every process exports: the
//! jobs waiting for a worker is the signal for scaling workers.

use async_nats::jetstream::{self, consumer::pull};
use naas_shared::metrics::Metrics;

use crate::Topology;

/// Sets `naas_jetstream_consumer_pending` / `_ack_pending` for the workers consumer and,
/// where webhooks are on, the webhooks consumer. A consumer that cannot be read is skipped
/// (its gauges keep their last value); a scrape never fails for it.
pub async fn record_backlog(jetstream: &jetstream::Context, topology: &Topology, metrics: &Metrics) {
    let consumers = [
        (topology.jobs_stream(), topology.workers_consumer()),
        (topology.events_stream(), topology.webhooks_consumer()),
    ];
    for (stream, name) in consumers {
        let Ok(mut consumer) = jetstream.get_consumer_from_stream::<pull::Config, _, _>(&name, &stream).await else {
            continue;
        };
        if let Ok(info) = consumer.info().await {
            let labels = [("consumer", name.as_str())];
            metrics.set("naas_jetstream_consumer_pending", &labels, info.num_pending as f64);
            metrics.set("naas_jetstream_consumer_ack_pending", &labels, info.num_ack_pending as f64);
        }
    }
}
