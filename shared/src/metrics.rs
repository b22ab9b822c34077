//! Prometheus metrics: a small registry per process and the text exposition format.
//!
//! Hand-written rather than a metrics crate: each service builds its own [`Metrics`] from a
//! fixed catalogue and passes it explicitly (no global recorder), so the api, workers and
//! reaper that tests run in one process keep separate counts, every metric is listed from
//! the start (at zero), and labels stay what the catalogue allows: low-cardinality values
//! only, never a host or a job id.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

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

/// Sorted `name="value"` pairs identifying one series of a metric.
type Labels = Vec<(&'static str, String)>;

#[derive(Debug, Clone)]
enum Series {
    Value(f64),
    Histogram { counts: [u64; BUCKETS.len()], sum: f64, count: u64 },
}

#[derive(Debug)]
struct Family {
    def: Def,
    series: BTreeMap<Labels, Series>,
}

/// The metrics of one process.
#[derive(Debug)]
pub struct Metrics {
    families: Mutex<BTreeMap<&'static str, Family>>,
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
        let families = catalogues
            .iter()
            .flat_map(|c| c.iter())
            .map(|def| (def.name, Family { def: *def, series: BTreeMap::new() }))
            .collect();
        Self { families: Mutex::new(families) }
    }

    fn with_series(
        &self,
        name: &'static str,
        labels: &[(&'static str, &str)],
        kind: Kind,
        update: impl FnOnce(&mut Series),
    ) {
        let mut families = self.families.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(family) = families.get_mut(name).filter(|f| f.def.kind == kind) else {
            drop(families);
            debug_assert!(false, "metric {name} is not in the catalogue as a {kind:?}");
            return;
        };
        let mut key: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        key.sort();
        let fresh = match kind {
            Kind::Histogram => Series::Histogram { counts: [0; BUCKETS.len()], sum: 0.0, count: 0 },
            _ => Series::Value(0.0),
        };
        update(family.series.entry(key).or_insert(fresh));
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1.0);
    }

    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], by: f64) {
        self.with_series(name, labels, Kind::Counter, |s| {
            if let Series::Value(v) = s {
                *v += by;
            }
        });
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        self.with_series(name, labels, Kind::Gauge, |s| *s = Series::Value(value));
    }

    /// Moves a gauge up or down.
    pub fn shift(&self, name: &'static str, labels: &[(&'static str, &str)], by: f64) {
        self.with_series(name, labels, Kind::Gauge, |s| {
            if let Series::Value(v) = s {
                *v += by;
            }
        });
    }

    /// Records one observation in a histogram.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], took: Duration) {
        let seconds = took.as_secs_f64();
        self.with_series(name, labels, Kind::Histogram, |s| {
            if let Series::Histogram { counts, sum, count } = s {
                if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
                    counts[i] += 1;
                }
                *sum += seconds;
                *count += 1;
            }
        });
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn render(&self) -> String {
        let families = self.families.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        for family in families.values() {
            let Def { name, kind, help } = family.def;
            let kind_name = match kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Histogram => "histogram",
            };
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind_name}");
            if family.series.is_empty() && kind != Kind::Histogram {
                let _ = writeln!(out, "{name} 0");
            }
            for (labels, series) in &family.series {
                match series {
                    Series::Value(v) => {
                        let _ = writeln!(out, "{name}{} {v}", braces(labels, None));
                    }
                    Series::Histogram { counts, sum, count } => {
                        let mut cumulative = 0;
                        for (bound, n) in BUCKETS.iter().zip(counts) {
                            cumulative += n;
                            let _ =
                                writeln!(out, "{name}_bucket{} {cumulative}", braces(labels, Some(&bound.to_string())));
                        }
                        let _ = writeln!(out, "{name}_bucket{} {count}", braces(labels, Some("+Inf")));
                        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels, None));
                        let _ = writeln!(out, "{name}_count{} {count}", braces(labels, None));
                    }
                }
            }
        }
        out
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

/// `{a="x",le="0.5"}`, or nothing without labels.
fn braces(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() { String::new() } else { format!("{{{}}}", parts.join(",")) }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
        assert!(empty.contains("# TYPE naas_things_total counter\nnaas_things_total 0\n"), "{empty}");
        m.inc("naas_things_total", &[("status", "failed"), ("code", "A\"B")]);
        m.inc("naas_things_total", &[("code", "A\"B"), ("status", "failed")]);
        m.set("naas_level", &[], 3.0);
        m.shift("naas_level", &[], -1.0);
        m.observe("naas_wait_seconds", &[("kind", "command")], Duration::from_millis(30));
        m.observe("naas_wait_seconds", &[("kind", "command")], Duration::from_secs(2000));
        let text = m.render();
        assert!(text.contains("naas_things_total{code=\"A\\\"B\",status=\"failed\"} 2\n"), "{text}");
        assert!(text.contains("naas_level 2\n"), "{text}");
        assert!(text.contains("naas_wait_seconds_bucket{kind=\"command\",le=\"0.025\"} 0\n"), "{text}");
        assert!(text.contains("naas_wait_seconds_bucket{kind=\"command\",le=\"0.05\"} 1\n"), "{text}");
        assert!(text.contains("naas_wait_seconds_bucket{kind=\"command\",le=\"900\"} 1\n"), "{text}");
        assert!(text.contains("naas_wait_seconds_bucket{kind=\"command\",le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("naas_wait_seconds_count{kind=\"command\"} 2\n"), "{text}");
    }
}
