//! What a scenario's jobs cost Redis: the commands it executed, by name (`INFO
//! commandstats`, every client, the commands scripts run included), and the round trips
//! the services made, by process and operation (their own `naas_redis_round_trips_total`:
//! the in-process API's read directly, the worker process's from its `/metrics`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::system::{ApiHandle, Backends, WorkerProcess};

/// Counts by name: commands by command name, or round trips by operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(BTreeMap<String, u64>);

impl Counts {
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// What was added since `before`.
    fn since(&self, before: &Counts) -> Counts {
        let added = self
            .0
            .iter()
            .map(|(name, now)| (name.clone(), now.saturating_sub(before.0.get(name).copied().unwrap_or_default())));
        Counts(added.filter(|(_, n)| *n > 0).collect())
    }

    /// Per job, largest first.
    fn per_job(&self, jobs: usize) -> Vec<PerJob> {
        let mut per_job: Vec<PerJob> =
            self.0.iter().map(|(name, n)| PerJob { name: name.clone(), per_job: *n as f64 / jobs as f64 }).collect();
        per_job.sort_by(|a, b| b.per_job.total_cmp(&a.per_job).then_with(|| a.name.cmp(&b.name)));
        per_job
    }

    /// Calls per command from the text of `INFO commandstats`
    /// (`cmdstat_evalsha:calls=3,usec=…`; subcommands as `client|setinfo`).
    pub fn from_commandstats(info: &str) -> Self {
        let commands = info.lines().filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?.parse().ok()?;
            Some((name.to_owned(), calls))
        });
        Self(commands.collect())
    }

    /// `naas_redis_round_trips_total{op="…"}` from a Prometheus text exposition.
    pub fn from_metrics(text: &str) -> Self {
        let ops = text.lines().filter_map(|line| {
            let rest = line.strip_prefix("naas_redis_round_trips_total{op=\"")?;
            let (op, value) = rest.split_once("\"} ")?;
            Some((op.to_owned(), value.trim().parse::<f64>().ok()? as u64))
        });
        Self(ops.collect())
    }

    fn from_round_trips(round_trips: &naas_shared::store::RoundTrips) -> Self {
        Self(round_trips.totals().into_iter().map(|(op, n)| (op.to_owned(), n)).collect())
    }
}

/// The counts at one moment of a scenario.
pub struct Snapshot {
    commands: Counts,
    api: Counts,
    worker: Counts,
}

impl Snapshot {
    pub async fn take(backends: &Backends, api: &ApiHandle, worker: &WorkerProcess) -> anyhow::Result<Self> {
        Ok(Self {
            commands: backends.redis_commands().await?,
            api: Counts::from_round_trips(&api.round_trips),
            worker: worker.round_trips().await?,
        })
    }

    /// What `jobs` jobs cost from `before` to this snapshot. The `INFO` of the earlier
    /// reading is left out of the commands: it is the benchmark's, not the jobs'.
    pub fn since(&self, before: &Snapshot, jobs: usize) -> Cost {
        let mut commands = self.commands.since(&before.commands);
        if let Some(info) = commands.0.get_mut("info") {
            *info -= 1;
        }
        commands.0.retain(|_, n| *n > 0);
        Cost {
            jobs: jobs.max(1),
            commands,
            api: self.api.since(&before.api),
            worker: self.worker.since(&before.worker),
        }
    }
}

/// What a scenario's jobs cost Redis.
pub struct Cost {
    jobs: usize,
    commands: Counts,
    api: Counts,
    worker: Counts,
}

impl Cost {
    pub fn per_job(&self) -> RedisPerJob {
        let per_job = |counts: &Counts| counts.total() as f64 / self.jobs as f64;
        RedisPerJob {
            commands: per_job(&self.commands),
            round_trips_api: per_job(&self.api),
            round_trips_worker: per_job(&self.worker),
        }
    }

    /// The breakdown by command and by operation, for `scenario` at `latency_ms`.
    pub fn breakdown(&self, scenario: &str, latency_ms: u64) -> Breakdown {
        Breakdown {
            scenario: scenario.to_owned(),
            latency_ms,
            jobs: self.jobs,
            commands: self.commands.per_job(self.jobs),
            round_trips_api: self.api.per_job(self.jobs),
            round_trips_worker: self.worker.per_job(self.jobs),
        }
    }
}

/// Redis per job of one scenario (a row's).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RedisPerJob {
    /// Commands executed (those scripts run included), every client.
    pub commands: f64,
    pub round_trips_api: f64,
    pub round_trips_worker: f64,
}

impl RedisPerJob {
    pub fn describe(&self) -> String {
        format!(
            "{:.1} Redis commands/job; round trips/job: api {:.1}, worker {:.1}",
            self.commands, self.round_trips_api, self.round_trips_worker
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PerJob {
    pub name: String,
    pub per_job: f64,
}

/// Where one scenario's Redis work went, per job.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub scenario: String,
    pub latency_ms: u64,
    pub jobs: usize,
    /// By command name (`INFO commandstats`).
    pub commands: Vec<PerJob>,
    /// By store operation, the API's and the worker's.
    pub round_trips_api: Vec<PerJob>,
    pub round_trips_worker: Vec<PerJob>,
}

impl Breakdown {
    pub fn text(&self) -> String {
        let list = |items: &[PerJob]| {
            let total: f64 = items.iter().map(|i| i.per_job).sum();
            let each: Vec<String> = items.iter().map(|i| format!("{} {:.2}", i.name, i.per_job)).collect();
            format!("{total:.1} = {}", if each.is_empty() { "-".to_owned() } else { each.join(", ") })
        };
        let mut text =
            format!("Redis per job ({}, latency {} ms, {} jobs):", self.scenario, self.latency_ms, self.jobs);
        let parts = [
            ("commands", &self.commands),
            ("round trips api", &self.round_trips_api),
            ("round trips worker", &self.round_trips_worker),
        ];
        for (label, items) in parts {
            let _ = write!(text, "\n  {:<19} {}", format!("{label}:"), list(items));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_commandstats_and_metrics() {
        let info = "# Commandstats\r\ncmdstat_evalsha:calls=12,usec=90,usec_per_call=7.5,rejected_calls=0,failed_calls=0\r\n\
                    cmdstat_client|setinfo:calls=2,usec=1\r\ncmdstat_info:calls=3,usec=40\r\n";
        let commands = Counts::from_commandstats(info);
        assert_eq!(commands.0.get("evalsha"), Some(&12));
        assert_eq!(commands.0.get("client|setinfo"), Some(&2));
        assert_eq!(commands.total(), 17);
        let metrics = "# TYPE naas_redis_round_trips_total counter\n\
                       naas_redis_round_trips_total{op=\"job.start\"} 4\n\
                       naas_redis_round_trips_total{op=\"other\"} 0\nnaas_jobs_in_flight 0\n";
        let ops = Counts::from_metrics(metrics);
        assert_eq!(ops.0.get("job.start"), Some(&4));
        assert_eq!(ops.total(), 4);
    }

    #[test]
    fn a_cost_is_the_difference_per_job_without_the_earlier_reading() {
        let counts = |pairs: &[(&str, u64)]| Counts(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        let before = Snapshot {
            commands: counts(&[("info", 1), ("evalsha", 10)]),
            api: counts(&[("job.enqueue", 5)]),
            worker: counts(&[]),
        };
        let after = Snapshot {
            commands: counts(&[("info", 2), ("evalsha", 30), ("zadd", 4)]),
            api: counts(&[("job.enqueue", 9)]),
            worker: counts(&[("job.start", 4), ("job.transition", 4)]),
        };
        let cost = after.since(&before, 4);
        let per_job = cost.per_job();
        assert_eq!((per_job.commands, per_job.round_trips_api, per_job.round_trips_worker), (6.0, 1.0, 2.0));
        let breakdown = cost.breakdown("3 e2e reused", 0);
        let commands: Vec<(&str, f64)> = breakdown.commands.iter().map(|c| (c.name.as_str(), c.per_job)).collect();
        assert_eq!(commands, [("evalsha", 5.0), ("zadd", 1.0)]);
        assert!(breakdown.text().contains("round trips worker: 2.0 = job.start 1.00, job.transition 1.00"));
    }
}
