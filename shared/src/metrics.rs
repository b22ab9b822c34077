//! Prometheus metrics: one registry per process, encoded by `prometheus-client`.
//!
//! Each service builds its own [`Metrics`] from a fixed catalogue and passes it explicitly
//! (a per-instance `Registry`, no global recorder), so the api, workers and reaper that
//! tests run in one process keep separate counts, every metric is listed from the start
//! (at zero), and labels stay what the catalogue allows: low-cardinality values only,
//! never a host or a job id. The exposition is the Prometheus text format 0.0.4.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::store::RoundTrips;

mod listener;
pub use listener::{Refresh, bind, serve};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric of a catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

pub const fn counter(name: &'static str, help: &'static str) -> Def {
    Def { name, kind: Kind::Counter, help }
}

pub const fn gauge(name: &'static str, help: &'static str) -> Def {
    Def { name, kind: Kind::Gauge, help }
}

pub const fn histogram(name: &'static str, help: &'static str) -> Def {
    Def { name, kind: Kind::Histogram, help }
}

/// Upper bounds (seconds) of every histogram's buckets: SSH commands take milliseconds,
/// jobs seconds to minutes, queue waits up to the queue timeout.
pub const BUCKETS: [f64; 16] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0];

/// `name="value"` pairs identifying one series of a metric, sorted by name.
type Labels = Vec<(&'static str, String)>;

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn new_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

#[derive(Debug)]
enum Series {
    Counter(Family<Labels, Counter<f64, std::sync::atomic::AtomicU64>>),
    Gauge(Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>),
    Histogram(HistogramFamily),
}

/// One metric of the registry. A counter or gauge shows one unlabelled series at zero
/// until its first labelled series appears, so a scrape lists it from the start.
#[derive(Debug)]
struct Entry {
    series: Series,
    placeholder: AtomicBool,
}

/// The metrics of one process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    entries: HashMap<&'static str, Entry>,
}

/// Metrics every process exports: the backlog of the JetStream consumers, the signal for
/// scaling workers.
pub const COMMON: &[Def] = &[
    gauge(
        "naas_jetstream_consumer_pending",
        "Messages a JetStream consumer has not delivered yet (jobs waiting for a worker: scale on this).",
    ),
    gauge("naas_jetstream_consumer_ack_pending", "Messages a JetStream consumer delivered and awaits an ack for."),
];

/// Job outcomes, counted by whichever process settled the job (worker, reaper, or the API
/// for cancellations); their sum over processes is every job that ended.
pub const OUTCOMES: &[Def] = &[counter(
    "naas_jobs_completed_total",
    "Jobs this process settled, by status and error_code (none unless failed).",
)];

impl Metrics {
    /// Counts one settled job in `naas_jobs_completed_total`.
    pub fn job_settled(&self, status: &str, error_code: Option<&str>) {
        self.inc("naas_jobs_completed_total", &[("status", status), ("error_code", error_code.unwrap_or("none"))]);
    }

    /// A registry holding the metrics of the given catalogues (usually [`COMMON`] and the
    /// process's own).
    pub fn new(catalogues: &[&[Def]]) -> Self {
        let mut registry = Registry::default();
        let mut entries = HashMap::new();
        for def in catalogues.iter().flat_map(|c| c.iter()) {
            // The encoder ends every help text with a full stop of its own.
            let help = def.help.strip_suffix('.').unwrap_or(def.help);
            let series = match def.kind {
                Kind::Counter => {
                    let family = Family::default();
                    drop(family.get_or_create(&Vec::new()));
                    // The encoder adds the `_total` the catalogue's names already carry.
                    let name = def.name.strip_suffix("_total").unwrap_or(def.name);
                    registry.register(name, help, family.clone());
                    Series::Counter(family)
                }
                Kind::Gauge => {
                    let family = Family::default();
                    drop(family.get_or_create(&Vec::new()));
                    registry.register(def.name, help, family.clone());
                    Series::Gauge(family)
                }
                Kind::Histogram => {
                    let family: HistogramFamily = Family::new_with_constructor(new_histogram);
                    registry.register(def.name, help, family.clone());
                    Series::Histogram(family)
                }
            };
            let placeholder = AtomicBool::new(def.kind != Kind::Histogram);
            let previous = entries.insert(def.name, Entry { series, placeholder });
            debug_assert!(previous.is_none(), "metric {} is in the catalogues twice", def.name);
        }
        Self { registry, entries }
    }

    /// The series of `name` for `labels` (sorted by label name), or nothing when `name`
    /// is not in the catalogue (a bug caught in debug builds).
    fn entry(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Option<(&Entry, Labels)> {
        let Some(entry) = self.entries.get(name) else {
            debug_assert!(false, "metric {name} is not in the catalogue");
            return None;
        };
        let mut key: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        key.sort();
        if !key.is_empty() && entry.placeholder.swap(false, Ordering::Relaxed) {
            match &entry.series {
                Series::Counter(family) => _ = family.remove(&Vec::new()),
                Series::Gauge(family) => _ = family.remove(&Vec::new()),
                Series::Histogram(_) => {}
            }
        }
        Some((entry, key))
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1.0);
    }

    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], by: f64) {
        match self.entry(name, labels) {
            Some((Entry { series: Series::Counter(family), .. }, key)) => _ = family.get_or_create(&key).inc_by(by),
            Some(_) => debug_assert!(false, "metric {name} is not a counter"),
            None => {}
        }
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        match self.entry(name, labels) {
            Some((Entry { series: Series::Gauge(family), .. }, key)) => _ = family.get_or_create(&key).set(value),
            Some(_) => debug_assert!(false, "metric {name} is not a gauge"),
            None => {}
        }
    }

    /// Moves a gauge up or down.
    pub fn shift(&self, name: &'static str, labels: &[(&'static str, &str)], by: f64) {
        match self.entry(name, labels) {
            Some((Entry { series: Series::Gauge(family), .. }, key)) => _ = family.get_or_create(&key).inc_by(by),
            Some(_) => debug_assert!(false, "metric {name} is not a gauge"),
            None => {}
        }
    }

    /// Records one observation in a histogram.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], took: Duration) {
        match self.entry(name, labels) {
            Some((Entry { series: Series::Histogram(family), .. }, key)) => {
                family.get_or_create(&key).observe(took.as_secs_f64());
            }
            Some(_) => debug_assert!(false, "metric {name} is not a histogram"),
            None => {}
        }
    }

    /// Adds `naas_redis_round_trips_total{op}`: the round trips to Redis of the service's
    /// store connection, read at each scrape.
    pub fn with_round_trips(mut self, round_trips: RoundTrips) -> Self {
        self.registry.register_collector(Box::new(RoundTripsCollector(round_trips)));
        self
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The name and help of the round-trip counter (the encoder adds `_total`).
pub const ROUND_TRIPS: Def = counter(
    "naas_redis_round_trips_total",
    "Round trips to Redis (a command, a pipeline or a script each), by op: the store operation that made them.",
);

/// Encodes a connection's [`RoundTrips`] at scrape time, every operation listed.
#[derive(Debug)]
struct RoundTripsCollector(RoundTrips);

impl Collector for RoundTripsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let name = ROUND_TRIPS.name.strip_suffix("_total").unwrap_or(ROUND_TRIPS.name);
        let help = ROUND_TRIPS.help.strip_suffix('.').unwrap_or(ROUND_TRIPS.help);
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for (op, count) in self.0.totals() {
            let labels = [("op", op)];
            ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// Raises an unlabelled gauge by one for as long as it lives (also when the work it
/// counts is dropped half-way: a timeout, a cancellation).
pub struct Held {
    metrics: std::sync::Arc<Metrics>,
    name: &'static str,
}

impl Held {
    pub fn new(metrics: &std::sync::Arc<Metrics>, name: &'static str) -> Self {
        metrics.shift(name, &[], 1.0);
        Self { metrics: metrics.clone(), name }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.metrics.shift(self.name, &[], -1.0);
    }
}

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE: &[Def] = &[
        counter("naas_things_total", "Things."),
        gauge("naas_level", "A level."),
        histogram("naas_wait_seconds", "Waits."),
    ];

    #[test]
    fn renders_the_text_format() {
        let m = Metrics::new(&[CATALOGUE]);
        let empty = m.render();
        assert!(
            empty.contains("# HELP naas_things_total Things.\n# TYPE naas_things_total counter\nnaas_things_total 0"),
            "{empty}"
        );
        assert!(empty.contains("# TYPE naas_level gauge\nnaas_level 0"), "{empty}");
        m.inc("naas_things_total", &[("status", "failed"), ("code", "A\"B")]);
        m.inc("naas_things_total", &[("code", "A\"B"), ("status", "failed")]);
        m.set("naas_level", &[], 3.0);
        m.shift("naas_level", &[], -1.0);
        m.observe("naas_wait_seconds", &[("kind", "command")], Duration::from_millis(30));
        m.observe("naas_wait_seconds", &[("kind", "command")], Duration::from_secs(2000));
        let text = m.render();
        let value = |series: &str| -> Option<f64> {
            text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        };
        assert_eq!(value("naas_things_total{code=\"A\\\"B\",status=\"failed\"}"), Some(2.0), "{text}");
        assert_eq!(value("naas_things_total"), None, "the zero placeholder goes with the first series: {text}");
        assert_eq!(value("naas_level"), Some(2.0), "{text}");
        assert_eq!(value("naas_wait_seconds_bucket{kind=\"command\",le=\"0.025\"}"), Some(0.0), "{text}");
        assert_eq!(value("naas_wait_seconds_bucket{kind=\"command\",le=\"0.05\"}"), Some(1.0), "{text}");
        assert_eq!(value("naas_wait_seconds_bucket{kind=\"command\",le=\"900\"}"), Some(1.0), "{text}");
        assert_eq!(value("naas_wait_seconds_bucket{kind=\"command\",le=\"+Inf\"}"), Some(2.0), "{text}");
        assert_eq!(value("naas_wait_seconds_count{kind=\"command\"}"), Some(2.0), "{text}");
    }

    #[test]
    fn renders_round_trips_per_op() {
        let round_trips = crate::store::RoundTrips::default();
        let m = Metrics::new(&[CATALOGUE]).with_round_trips(round_trips.clone());
        let text = m.render();
        assert!(text.contains("# TYPE naas_redis_round_trips_total counter\n"), "{text}");
        assert!(text.contains("\nnaas_redis_round_trips_total{op=\"job.enqueue\"} 0\n"), "listed at zero: {text}");
        round_trips.count(crate::store::Op::JobEnqueue);
        let text = m.render();
        assert!(text.contains("\nnaas_redis_round_trips_total{op=\"job.enqueue\"} 1\n"), "{text}");
    }
}
