//! The outcome of one run: rows (one per scenario and system), the ratios between systems
//! measured in that run, the targets checked against them, the printed table and
//! `latest.json`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cpu::CpuPerJob;
use crate::machine::Machine;
use crate::redis_cost::{Breakdown, RedisPerJob};
use crate::stats::Sample;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    Ingest,
    Fresh,
    Reused,
    Fanout,
    Netmiko,
    Direct,
    Soak,
    FewDevices,
}

impl Scenario {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ingest => "1 ingest",
            Self::Fresh => "2 e2e fresh",
            Self::Reused => "3 e2e reused",
            Self::Fanout => "4 fan-out",
            Self::Netmiko => "5 baseline",
            Self::Direct => "6 limit",
            Self::Soak => "7 soak",
            Self::FewDevices => "8 few devices",
        }
    }
}

/// Memory of the fan-out worker process.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Memory {
    pub peak_rss_mib: f64,
    pub idle_rss_mib: f64,
    pub sessions_at_peak: usize,
    pub kib_per_session: f64,
    pub completion_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: Scenario,
    pub system: String,
    /// Device latency per command; `None` where no device is involved (ingest).
    pub latency_ms: Option<u64>,
    pub n: usize,
    pub concurrency: usize,
    pub per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
    pub first_error: Option<String>,
    pub notes: String,
    pub memory: Option<Memory>,
    /// Where the scenario's CPU went, per job (direct SSH and the closed-loop naas runs).
    pub cpu: Option<CpuPerJob>,
    /// Redis commands and round trips per job (the closed-loop naas runs).
    pub redis: Option<RedisPerJob>,
}

impl Row {
    pub fn new(scenario: Scenario, system: &str, latency_ms: Option<u64>, concurrency: usize, sample: &Sample) -> Self {
        Self {
            scenario,
            system: system.to_owned(),
            latency_ms,
            n: sample.latencies.len() + sample.errors,
            concurrency,
            per_s: sample.per_second(),
            p50_ms: sample.percentile_ms(50.0),
            p99_ms: sample.percentile_ms(99.0),
            errors: sample.errors,
            first_error: sample.first_error.clone(),
            notes: String::new(),
            memory: None,
            cpu: None,
            redis: None,
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes = note.into();
        self
    }

    pub fn redis(mut self, redis: RedisPerJob) -> Self {
        self.redis = Some(redis);
        self
    }

    /// Adds the CPU accounting, also to the notes.
    pub fn cpu(mut self, cpu: Option<CpuPerJob>) -> Self {
        if let Some(cpu) = &cpu {
            self.notes = format!("{}; {}", self.notes, cpu.describe());
        }
        self.cpu = cpu;
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub name: String,
    pub latency_ms: u64,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub latency_ms: Option<u64>,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub smoke: bool,
    pub machine: Machine,
    pub settings: serde_json::Value,
    pub rows: Vec<Row>,
    pub ratios: Vec<Ratio>,
    pub targets: Vec<Target>,
    /// Where Redis's work per job went, by command and by operation (reused sessions at
    /// the lowest latency), when that scenario ran.
    pub redis_per_job: Option<Breakdown>,
    /// The soak's samples and checks, when it ran.
    pub soak: Option<crate::soak::Soak>,
}

impl Report {
    pub fn new(
        machine: Machine,
        smoke: bool,
        settings: serde_json::Value,
        rows: Vec<Row>,
        redis_per_job: Option<Breakdown>,
        soak: Option<crate::soak::Soak>,
    ) -> Self {
        let generated_at = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()
            .and_then(|now| now.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        let ratios = ratios(&rows);
        let targets = targets(&rows, &ratios);
        Self { generated_at, smoke, machine, settings, rows, ratios, targets, redis_per_job, soak }
    }

    /// Failed operations, plus the soak's figures over their bounds.
    pub fn errors(&self) -> usize {
        self.rows.iter().map(|r| r.errors).sum::<usize>() + self.soak.as_ref().map_or(0, |s| s.failures() - s.errors)
    }

    /// The table, the ratios and the targets as printed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "machine: {}", self.machine.describe());
        let _ = writeln!(out, "settings: {}", self.settings);
        let header = ["scenario", "system", "lat ms", "N", "conc", "per s", "p50 ms", "p99 ms", "notes"];
        let cells: Vec<[String; 9]> = self
            .rows
            .iter()
            .map(|r| {
                let notes = match (&r.first_error, r.errors) {
                    (Some(error), n) if n > 0 => format!("{} | {n} FAILED, first: {error}", r.notes),
                    _ => r.notes.clone(),
                };
                [
                    r.scenario.label().to_owned(),
                    r.system.clone(),
                    r.latency_ms.map_or("-".into(), |l| l.to_string()),
                    r.n.to_string(),
                    r.concurrency.to_string(),
                    format!("{:.1}", r.per_s),
                    format!("{:.2}", r.p50_ms),
                    format!("{:.2}", r.p99_ms),
                    notes,
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &cells {
            for (i, cell) in row.iter().enumerate().take(8) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let numeric = (2..8).contains(&i);
                let w = if i < 8 { widths[i] } else { 0 };
                if numeric {
                    let _ = write!(text, "{cell:>w$}  ");
                } else {
                    let _ = write!(text, "{cell:<w$}  ");
                }
            }
            text.trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&header.map(str::to_owned)));
        for row in &cells {
            let _ = writeln!(out, "{}", line(row));
        }
        if let Some(redis) = &self.redis_per_job {
            let _ = writeln!(out, "\n{}", redis.text());
        }
        let _ = writeln!(out, "\nratios (same run):");
        for ratio in &self.ratios {
            let _ = writeln!(out, "  {:<52} latency {:>3} ms: {:>8.2}", ratio.name, ratio.latency_ms, ratio.value);
        }
        let _ = writeln!(out, "\ntargets{}:", if self.smoke { " (smoke sizes: informational only)" } else { "" });
        for target in &self.targets {
            let latency = target.latency_ms.map(|l| format!(" @ {l} ms")).unwrap_or_default();
            let verdict = if target.met { "met" } else { "MISSED" };
            let _ = writeln!(
                out,
                "  {:<6} {}{latency}: {} (target {})",
                verdict, target.name, target.measured, target.target
            );
        }
        if let Some(soak) = &self.soak {
            let _ = writeln!(out, "\n{}", soak.text().trim_end());
        }
        out
    }
}

fn find(rows: &[Row], scenario: Scenario, latency: u64) -> Option<&Row> {
    rows.iter().find(|r| r.scenario == scenario && r.latency_ms == Some(latency) && r.per_s > 0.0)
}

fn latencies(rows: &[Row]) -> Vec<u64> {
    let mut latencies: Vec<u64> =
        rows.iter().filter(|r| r.scenario != Scenario::Fanout).filter_map(|r| r.latency_ms).collect();
    latencies.sort_unstable();
    latencies.dedup();
    latencies
}

fn ratios(rows: &[Row]) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for latency in latencies(rows) {
        let mut push = |name: &str, value: Option<f64>| {
            if let Some(value) = value.filter(|v| v.is_finite()) {
                ratios.push(Ratio { name: name.to_owned(), latency_ms: latency, value });
            }
        };
        let fresh = find(rows, Scenario::Fresh, latency);
        let reused = find(rows, Scenario::Reused, latency);
        let netmiko = find(rows, Scenario::Netmiko, latency);
        let direct = find(rows, Scenario::Direct, latency);
        for (what, ours) in [("fresh", fresh), ("reused", reused)] {
            if let (Some(ours), Some(base)) = (ours, netmiko) {
                push(&format!("throughput naas {what} / netmiko (x)"), Some(ours.per_s / base.per_s));
                push(&format!("p50 netmiko / naas {what} (x faster)"), Some(base.p50_ms / ours.p50_ms));
                push(&format!("p99 netmiko / naas {what} (x faster)"), Some(base.p99_ms / ours.p99_ms));
            }
        }
        if let (Some(direct), Some(base)) = (direct, netmiko) {
            push("ceiling: direct SSH / netmiko (x)", Some(direct.per_s / base.per_s));
        }
        if let (Some(fresh), Some(direct)) = (fresh, direct) {
            push("pipeline efficiency: naas fresh / direct SSH", Some(fresh.per_s / direct.per_s));
        }
        for (what, ours) in [("fresh", fresh), ("reused", reused)] {
            let cpu = |row: Option<&Row>| row.and_then(|r| r.cpu.as_ref()).map(|c| c.total_ms);
            if let (Some(ours), Some(direct)) = (cpu(ours), cpu(direct)) {
                push(&format!("CPU per job: naas {what} / direct SSH (x)"), Some(ours / direct));
            }
        }
        if let (Some(reused), Some(direct)) = (reused, direct) {
            push("naas reused / direct SSH (fresh connections)", Some(reused.per_s / direct.per_s));
        }
        if let (Some(fresh), Some(reused)) = (fresh, reused) {
            push("throughput reused / fresh sessions (x)", Some(reused.per_s / fresh.per_s));
            push("p50 fresh / reused sessions (x faster)", Some(fresh.p50_ms / reused.p50_ms));
        }
        if let Some(few) = find(rows, Scenario::FewDevices, latency) {
            push("few devices: p99 / p50 (x)", Some(few.p99_ms / few.p50_ms));
        }
    }
    ratios
}

fn ratio(ratios: &[Ratio], name: &str, latency: u64) -> Option<f64> {
    ratios.iter().find(|r| r.name == name && r.latency_ms == latency).map(|r| r.value)
}

fn targets(rows: &[Row], ratios: &[Ratio]) -> Vec<Target> {
    let mut targets = Vec::new();
    for latency in latencies(rows) {
        let mut check =
            |name: &str, target: &str, value: Option<f64>, met: fn(f64) -> bool, show: fn(f64) -> String| {
                if let Some(value) = value {
                    targets.push(Target {
                        name: name.to_owned(),
                        latency_ms: Some(latency),
                        target: target.to_owned(),
                        measured: show(value),
                        met: met(value),
                    });
                }
            };
        // The netmiko targets say "end to end" without naming a session mode: checked for
        // fresh sessions (each job logs in, as netmiko does) and for reused ones (the default).
        for what in ["fresh", "reused"] {
            check(
                &format!("end-to-end throughput vs netmiko ({what} sessions)"),
                ">= 30x",
                ratio(ratios, &format!("throughput naas {what} / netmiko (x)"), latency),
                |v| v >= 30.0,
                |v| format!("{v:.1}x"),
            );
            check(
                &format!("end-to-end p50 vs netmiko ({what} sessions)"),
                "<= 1/10",
                ratio(ratios, &format!("p50 netmiko / naas {what} (x faster)"), latency),
                |v| v >= 10.0,
                |v| format!("1/{v:.1}"),
            );
        }
        check(
            "pipeline efficiency vs direct SSH (fresh sessions)",
            ">= 0.70",
            ratio(ratios, "pipeline efficiency: naas fresh / direct SSH", latency),
            |v| v >= 0.7,
            |v| format!("{v:.2}"),
        );
        check(
            "few devices, fresh sessions: p99 / p50",
            "<= 3x",
            ratio(ratios, "few devices: p99 / p50 (x)", latency),
            |v| v <= 3.0,
            |v| format!("{v:.1}x"),
        );
    }
    let ingest: Vec<&Row> = rows.iter().filter(|r| r.scenario == Scenario::Ingest && r.errors == 0).collect();
    let best = ingest.iter().filter(|r| r.p99_ms < 20.0).max_by(|a, b| a.per_s.total_cmp(&b.per_s));
    let best = best.or_else(|| ingest.iter().max_by(|a, b| a.per_s.total_cmp(&b.per_s)));
    if let Some(best) = best {
        targets.push(Target {
            name: "ingest".into(),
            latency_ms: None,
            target: ">= 5000/s with p99 < 20 ms".into(),
            measured: format!("{:.0}/s, p99 {:.1} ms at concurrency {}", best.per_s, best.p99_ms, best.concurrency),
            met: best.per_s >= 5000.0 && best.p99_ms < 20.0,
        });
    }
    for row in rows.iter().filter(|r| r.scenario == Scenario::Fanout) {
        if let Some(memory) = row.memory {
            targets.push(Target {
                name: format!("fan-out {} jobs: worker peak RSS", row.n),
                latency_ms: row.latency_ms,
                target: "< 300 MB".into(),
                measured: format!("{:.0} MiB, {} errors", memory.peak_rss_mib, row.errors),
                met: memory.peak_rss_mib * 1.048_576 < 300.0 && row.errors == 0,
            });
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn row(scenario: Scenario, latency: u64, per_s: usize, p50_ms: u64) -> Row {
        let sample = Sample {
            latencies: vec![Duration::from_millis(p50_ms); per_s],
            wall: Duration::from_secs(1),
            ..Default::default()
        };
        Row::new(scenario, "x", Some(latency), 8, &sample)
    }

    #[test]
    fn ratios_and_targets_come_from_the_same_latency() {
        let rows = vec![
            row(Scenario::Direct, 0, 1000, 5),
            row(Scenario::Fresh, 0, 800, 8),
            row(Scenario::Reused, 0, 1600, 4),
            row(Scenario::Netmiko, 0, 20, 400),
            row(Scenario::Netmiko, 20, 1, 1),
        ];
        let ratios = ratios(&rows);
        assert_eq!(ratio(&ratios, "throughput naas fresh / netmiko (x)", 0), Some(40.0));
        assert_eq!(ratio(&ratios, "p50 netmiko / naas fresh (x faster)", 0), Some(50.0));
        assert_eq!(ratio(&ratios, "pipeline efficiency: naas fresh / direct SSH", 0), Some(0.8));
        assert_eq!(ratio(&ratios, "throughput reused / fresh sessions (x)", 0), Some(2.0));
        assert_eq!(ratio(&ratios, "throughput naas fresh / netmiko (x)", 20), None);
        assert_eq!(ratio(&ratios, "CPU per job: naas fresh / direct SSH (x)", 0), None, "no CPU was measured");
        let targets = targets(&rows, &ratios);
        assert_eq!(targets.len(), 5, "fresh and reused against netmiko, and the efficiency");
        assert!(targets.iter().all(|t| t.met), "{targets:?}");
    }

    #[test]
    fn cpu_per_job_is_compared_with_the_direct_client() {
        let cpu = |ms: f64| CpuPerJob { processes: vec![], total_ms: ms, busy: 1.0 };
        let rows = vec![
            row(Scenario::Direct, 0, 1000, 5).cpu(Some(cpu(1.5))),
            row(Scenario::Fresh, 0, 500, 8).cpu(Some(cpu(3.0))),
            row(Scenario::Reused, 0, 1200, 4).cpu(Some(cpu(0.75))),
        ];
        let ratios = ratios(&rows);
        assert_eq!(ratio(&ratios, "CPU per job: naas fresh / direct SSH (x)", 0), Some(2.0));
        assert_eq!(ratio(&ratios, "CPU per job: naas reused / direct SSH (x)", 0), Some(0.5));
        assert!(rows[1].notes.contains("CPU/job 3.00 ms"), "{}", rows[1].notes);
    }

    #[test]
    fn the_few_devices_tail_is_held_to_three_times_its_median() {
        let shape = |p50_ms: u64, p99_ms: u64| {
            let mut latencies = vec![Duration::from_millis(p50_ms); 98];
            latencies.extend([Duration::from_millis(p99_ms); 2]);
            let sample = Sample { latencies, wall: Duration::from_secs(1), ..Default::default() };
            vec![Row::new(Scenario::FewDevices, "naas", Some(0), 16, &sample)]
        };
        for (p99_ms, met) in [(250, true), (400, false)] {
            let rows = shape(100, p99_ms);
            let ratios = ratios(&rows);
            let targets = targets(&rows, &ratios);
            let few = targets.iter().find(|t| t.name.starts_with("few devices")).expect("the few-devices target");
            assert_eq!(few.met, met, "{few:?}");
        }
    }
}
