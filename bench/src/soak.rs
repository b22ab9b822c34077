//! The soak (`--only soak`): many jobs through the fastest path (reused sessions, no device
//! latency), one in a hundred with a 100 KB output, and the memory of every process and
//! store sampled as they accumulate. What it shows is whether anything grows with the
//! number of jobs run rather than with the jobs kept: after the warm-up (the first stretch)
//! each figure must stay within the bound its settings predict.
//!
//! The settings are the ones an operator sizing for a steady load would pick, scaled so the
//! plateau comes within the first stretch: a short result TTL (Redis keeps the jobs of the
//! last two minutes, so it holds about rate × TTL × bytes per job), and the results and events
//! streams bounded by bytes (the oldest leave first). Before the soak proper it measures
//! what one job costs in Redis and in each stream, for a `show version` and for a 100 KB
//! output; those figures are printed and predict the Redis bound.
//!
//! The API and the worker run as their own processes (the production binaries) so each
//! resident size is its own; nats-server and redis-server are the run's servers.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, ensure};
use serde::Serialize;

use crate::args::Args;
use crate::client;
use crate::monitor;
use crate::pipeline;
use crate::report::{Row, Scenario};
use crate::results::Results;
use crate::stats::Sample;
use crate::system::{ApiProcess, Backends, Fleet, WorkerProcess};

/// The large job: the simulator's `show tech-support`, sized by the device's output size.
pub const LARGE_COMMAND: &str = "show tech-support";
pub const LARGE_OUTPUT_BYTES: usize = 100 * 1024;
/// One job in this many is a large one.
pub const LARGE_EVERY: usize = 100;
/// Jobs between two samples at most (a smaller soak samples every tenth of its jobs).
const MAX_STRETCH: usize = 100_000;
/// Result TTL of the soak: Redis keeps about two minutes of jobs. No shorter than
/// `nats.duplicate_window_secs` (120 s), which JetStream requires of the results stream's
/// age (the TTL).
pub const RESULT_TTL_SECS: u64 = 120;
/// The results and events streams' byte bound, each: 1 KiB per job of one stretch, within
/// 1–64 MiB, so the streams are full before the first sample.
const STREAM_BOUND_MIN: i64 = 1 << 20;
const STREAM_BOUND_MAX: i64 = 64 << 20;
/// nats-server's `GOMEMLIMIT` in the soak (and in any run that includes it): the setting
/// that bounds its memory (compose sets it to 80 % of the container's limit). Without it
/// the Go heap grows to twice what is live before a collection, and the resident size
/// follows the collector rather than the load.
pub const NATS_MEMORY_LIMIT: u64 = 192 << 20;
/// Slack on nats-server's resident size over its `GOMEMLIMIT`: memory the Go runtime does
/// not count (the binary's text, thread stacks outside the Go heap) and pages freed but
/// not yet returned: 10 % plus this.
const NATS_RSS_SLACK_BYTES: u64 = 16 << 20;
/// Slack on a resident size after warm-up: max(this, a quarter of the warm-up figure).
const RSS_SLACK_BYTES: u64 = 32 << 20;
/// JetStream's own overhead over the streams' bounds (block granularity, indexes, the
/// jobs stream's few messages in flight): 10 % plus this.
const STORE_SLACK_BYTES: u64 = 32 << 20;
/// Redis beyond the predicted records: the rate limiter's windows, buffers, keys past
/// their TTL not yet reclaimed. The prediction is multiplied by 1.25 as well.
const REDIS_SLACK_BYTES: u64 = 16 << 20;

/// The figures sampled, in table order.
pub const FIGURES: [&str; 6] =
    ["api RSS", "worker RSS", "nats-server RSS", "redis-server RSS", "NATS store", "Redis used_memory"];

/// What one kind of job costs where it is kept.
#[derive(Debug, Clone, Serialize)]
pub struct PerJob {
    pub job: String,
    pub jobs: usize,
    /// `MEMORY USAGE` of one job record.
    pub redis_record_bytes: u64,
    /// Growth of Redis's `used_memory` per job (record, indexes, allocator overhead).
    pub redis_used_bytes: u64,
    pub nats_results_bytes: u64,
    pub nats_events_bytes: u64,
}

/// One sample: jobs of the soak done so far and each figure, bytes.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub jobs: usize,
    pub elapsed_s: f64,
    pub figures: [u64; 6],
    /// The Redis bound at this point (it depends on the rate just measured).
    pub redis_bound: u64,
}

/// One figure held to its bound after warm-up.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub figure: String,
    pub warm_up_bytes: u64,
    pub last_bytes: u64,
    pub peak_bytes: u64,
    pub bound_bytes: u64,
    pub growth_per_100k_bytes: f64,
    pub within: bool,
    pub basis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Soak {
    /// Jobs run, and asked for (fewer ran when `--soak-minutes` stopped the soak).
    pub jobs: usize,
    pub planned_jobs: usize,
    pub concurrency: usize,
    pub devices: usize,
    pub latency_ms: u64,
    pub result_ttl_secs: u64,
    pub stream_max_bytes: i64,
    pub per_s: f64,
    pub errors: usize,
    pub first_error: Option<String>,
    pub per_job: Vec<PerJob>,
    pub points: Vec<Point>,
    pub checks: Vec<Check>,
}

fn command(n: usize) -> &'static str {
    if n % LARGE_EVERY == LARGE_EVERY - 1 { LARGE_COMMAND } else { client::COMMAND }
}

/// Runs the soak; the row for the main table and the soak's own report.
pub async fn run(backends: &Backends, args: &Args) -> anyhow::Result<(Row, Soak)> {
    let jobs = args.soak_jobs;
    let stretch = (jobs / 10).clamp(1, MAX_STRETCH);
    let stream_bound = (stretch as i64 * 1024).clamp(STREAM_BOUND_MIN, STREAM_BOUND_MAX);
    let latency = args.latencies_ms.iter().copied().min().unwrap_or(0);
    let settings = backends.scenario("so", |s| {
        s.worker.concurrency = args.concurrency;
        s.worker.session_reuse = true;
        s.worker.session_pool_max = s.worker.session_pool_max.max(args.devices);
        s.jobs.result_ttl_secs = RESULT_TTL_SECS;
        s.nats.results_max_bytes = stream_bound;
        s.events.max_bytes = stream_bound;
    });
    let fleet = Fleet::start(args.devices, latency, Some(LARGE_OUTPUT_BYTES)).await.context("starting devices")?;
    let devices = fleet.addrs(args.devices);
    let redis_base = backends.redis_used_memory().await?;
    let mut api = ApiProcess::spawn(&args.api_bin, &settings).await?;
    let (results, nats) = Results::subscribe(&settings).await?;
    let mut worker = WorkerProcess::spawn(&args.worker_bin, &settings, "bench-soak-worker")?;
    let http = client::http();
    let first = client::submit(&http, &api.url, devices[0]).await.map_err(anyhow::Error::msg)?;
    let arrival = results.wait(&first, Duration::from_secs(60)).await.context("warm-up job")?;
    ensure!(arrival.finished, "the warm-up job failed: {:?}", arrival.error);

    let streams = Streams {
        js: async_nats::jetstream::new(nats),
        topology: naas_nats::Topology::new(&settings.prefix),
        prefix: settings.prefix.clone(),
    };
    let pids = [api.pid(), worker.pid()];
    let server_pids: Vec<u32> = backends.processes().into_iter().map(|(_, pid)| pid).collect();
    ensure!(server_pids.len() == 2, "the pids of nats-server and redis-server are unknown");
    let pids = [pids[0], pids[1], server_pids[0], server_pids[1]];

    let calibration = [(client::COMMAND, (jobs / 20).clamp(50, 1000)), (LARGE_COMMAND, (jobs / 100).clamp(10, 100))];
    let mut per_job = Vec::new();
    let mut calibration_jobs = 1;
    for (command, n) in calibration {
        per_job.push(measure(backends, &streams, &api.url, &results, &devices, args.concurrency, command, n).await?);
        calibration_jobs += n + 1;
    }
    let mix_bytes =
        (per_job[0].redis_used_bytes * (LARGE_EVERY as u64 - 1) + per_job[1].redis_used_bytes) / LARGE_EVERY as u64;

    let started = tokio::time::Instant::now();
    let mut total = Sample::default();
    let mut points = vec![sample(backends, pids, 0, 0.0, redis_base + REDIS_SLACK_BYTES).await?];
    let mut done = 0;
    let limit = (args.soak_minutes > 0).then(|| Duration::from_secs(args.soak_minutes * 60));
    while done < jobs && limit.is_none_or(|limit| started.elapsed() < limit) {
        let end = (done + stretch).min(jobs);
        let part = pipeline::closed_loop_over(&api.url, &results, &devices, args.concurrency, done..end, command).await;
        ensure!(api.running() && worker.running(), "the API or the worker exited during the soak");
        let rate = (end - done) as f64 / part.wall.as_secs_f64().max(1e-3);
        total.wall += part.wall;
        total.merge(part);
        done = end;
        // Redis keeps the jobs of the last TTL: at this rate, and never more than ran.
        let kept = ((rate * RESULT_TTL_SECS as f64 * 1.1) as u64).min((done + calibration_jobs) as u64);
        let bound = redis_base + kept * mix_bytes * 5 / 4 + REDIS_SLACK_BYTES;
        let point = sample(backends, pids, done, started.elapsed().as_secs_f64(), bound).await?;
        let figures: Vec<String> = FIGURES.iter().zip(point.figures).map(|(f, b)| format!("{f} {}", mib(b))).collect();
        eprintln!("naas-bench: soak {done}/{jobs} jobs, {rate:.0} jobs/s; MiB: {}", figures.join(", "));
        points.push(point);
    }
    drop(worker);
    drop(api);

    let checks = checks(&points, stream_bound as u64);
    let soak = Soak {
        jobs: done,
        planned_jobs: jobs,
        concurrency: args.concurrency,
        devices: args.devices,
        latency_ms: latency,
        result_ttl_secs: RESULT_TTL_SECS,
        stream_max_bytes: stream_bound,
        per_s: total.per_second(),
        errors: total.errors,
        first_error: total.first_error.clone(),
        per_job,
        points,
        checks,
    };
    let note = format!(
        "reused sessions, 1 in {LARGE_EVERY} with a {} KiB output; api and worker processes; result TTL {RESULT_TTL_SECS} s; see the soak table",
        LARGE_OUTPUT_BYTES / 1024
    );
    let row = Row::new(Scenario::Soak, "naas", Some(latency), args.concurrency, &total).note(note);
    Ok((row, soak))
}

/// The scenario's results and events streams, and its prefix.
struct Streams {
    js: async_nats::jetstream::Context,
    topology: naas_nats::Topology,
    prefix: String,
}

impl Streams {
    /// Bytes held by the results and the events streams.
    async fn bytes(&self) -> anyhow::Result<(u64, u64)> {
        let mut sizes = [0; 2];
        for (size, name) in sizes.iter_mut().zip([self.topology.results_stream(), self.topology.events_stream()]) {
            let mut stream = self.js.get_stream(&name).await.with_context(|| format!("stream {name}"))?;
            *size = stream.info().await.with_context(|| format!("stream {name}"))?.state.bytes;
        }
        Ok((sizes[0], sizes[1]))
    }
}

/// Runs `n` jobs of `command` and one more whose record is weighed; the cost per job.
#[allow(clippy::too_many_arguments)]
async fn measure(
    backends: &Backends,
    streams: &Streams,
    api_url: &str,
    results: &Results,
    devices: &[std::net::SocketAddr],
    concurrency: usize,
    command: &'static str,
    n: usize,
) -> anyhow::Result<PerJob> {
    let (results0, events0) = streams.bytes().await?;
    let used0 = backends.redis_used_memory().await?;
    let http = client::http();
    let id = client::submit_command(&http, api_url, devices[0], command).await.map_err(anyhow::Error::msg)?;
    let arrival = results.wait(&id, Duration::from_secs(60)).await?;
    ensure!(arrival.finished, "a {command} job failed: {:?}", arrival.error);
    let runs = if command == LARGE_COMMAND {
        pipeline::closed_loop_over(api_url, results, devices, concurrency, 0..n, |_| LARGE_COMMAND).await
    } else {
        pipeline::closed_loop_over(api_url, results, devices, concurrency, 0..n, |_| client::COMMAND).await
    };
    ensure!(runs.errors == 0, "{} of the {command} jobs failed: {:?}", runs.errors, runs.first_error);
    let jobs = n as u64 + 1;
    let (results1, events1) = streams.bytes().await?;
    let used1 = backends.redis_used_memory().await?;
    let key = naas_shared::keys::job(&streams.prefix, naas_shared::domain::JobId::parse(&id).context("a job id")?);
    let job = if command == LARGE_COMMAND {
        format!("{} KiB output ({command})", LARGE_OUTPUT_BYTES / 1024)
    } else {
        command.to_owned()
    };
    Ok(PerJob {
        job,
        jobs: n + 1,
        redis_record_bytes: backends.redis_memory_usage(&key).await?,
        redis_used_bytes: used1.saturating_sub(used0) / jobs,
        nats_results_bytes: results1.saturating_sub(results0) / jobs,
        nats_events_bytes: events1.saturating_sub(events0) / jobs,
    })
}

async fn sample(
    backends: &Backends,
    pids: [u32; 4],
    jobs: usize,
    elapsed_s: f64,
    redis_bound: u64,
) -> anyhow::Result<Point> {
    let mut figures = [0; 6];
    for (figure, pid) in figures.iter_mut().zip(pids) {
        *figure = monitor::read(pid).with_context(|| format!("reading the memory of process {pid}"))?.rss_kib * 1024;
    }
    let dir = backends.nats_store_dir();
    figures[4] = tokio::task::spawn_blocking(move || disk_usage(&dir)).await?;
    figures[5] = backends.redis_used_memory().await?;
    Ok(Point { jobs, elapsed_s, figures, redis_bound })
}

/// Bytes a directory tree occupies on disk (allocated blocks, as `du` counts them).
fn disk_usage(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => disk_usage(&entry.path()),
            Ok(meta) => meta.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}

/// Each figure after warm-up (the first stretch) against its bound: resident sizes hold no
/// per-job state, so they stay near their warm-up size; the NATS store within the streams'
/// bounds; Redis within what its TTL keeps at the measured rate.
pub fn checks(points: &[Point], stream_bound: u64) -> Vec<Check> {
    let Some(warm) = points.get(1) else { return Vec::new() };
    let after = &points[1..];
    let last = after.last().expect("at least the warm-up point");
    let span = last.jobs.saturating_sub(warm.jobs);
    FIGURES
        .iter()
        .enumerate()
        .map(|(i, figure)| {
            let peak = after.iter().map(|p| p.figures[i]).max().unwrap_or(0);
            let (bound, within, basis) = match i {
                2 => {
                    let bound = NATS_MEMORY_LIMIT * 11 / 10 + NATS_RSS_SLACK_BYTES;
                    (bound, peak <= bound, "GOMEMLIMIT + 10 % + 16 MiB".to_owned())
                }
                4 => {
                    let bound = stream_bound * 2 * 11 / 10 + STORE_SLACK_BYTES;
                    (bound, peak <= bound, "results + events streams' max_bytes, +10 % + 32 MiB".to_owned())
                }
                5 => {
                    let bound = after.iter().map(|p| p.redis_bound).max().unwrap_or(0);
                    let within = after.iter().all(|p| p.figures[i] <= p.redis_bound);
                    let basis = "before the soak + rate × TTL × bytes per job (mix) × 1.25 + 16 MiB".to_owned();
                    (bound, within, basis)
                }
                _ => {
                    let bound = warm.figures[i] + RSS_SLACK_BYTES.max(warm.figures[i] / 4);
                    (bound, peak <= bound, "no per-job state: warm-up + max(32 MiB, 25 %)".to_owned())
                }
            };
            let growth = if span > 0 {
                (last.figures[i] as f64 - warm.figures[i] as f64) * 100_000.0 / span as f64
            } else {
                0.0
            };
            Check {
                figure: (*figure).to_owned(),
                warm_up_bytes: warm.figures[i],
                last_bytes: last.figures[i],
                peak_bytes: peak,
                bound_bytes: bound,
                growth_per_100k_bytes: growth,
                within,
                basis,
            }
        })
        .collect()
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1 << 20) as f64)
}

fn kb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

impl Soak {
    /// Figures over their bounds, plus failed jobs.
    pub fn failures(&self) -> usize {
        self.errors + self.checks.iter().filter(|c| !c.within).count()
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "soak: {} jobs (1 in {LARGE_EVERY} a {} KiB `{LARGE_COMMAND}`, the rest `show version`), concurrency {}, {} devices, latency {} ms, reused sessions; result TTL {} s, results and events streams {} MiB each; {:.0} jobs/s, {} failed",
            self.jobs,
            LARGE_OUTPUT_BYTES / 1024,
            self.concurrency,
            self.devices,
            self.latency_ms,
            self.result_ttl_secs,
            self.stream_max_bytes >> 20,
            self.per_s,
            self.errors,
        );
        if self.jobs < self.planned_jobs {
            let _ = writeln!(
                out,
                "  stopped by its time limit after {} of the {} jobs asked for",
                self.jobs, self.planned_jobs
            );
        }
        if let Some(error) = &self.first_error {
            let _ = writeln!(out, "  first failure: {error}");
        }
        let _ = writeln!(out, "\nbytes per job (kB = 1000 bytes, measured in this run):");
        let _ = writeln!(
            out,
            "  {:<34} {:>6} {:>14} {:>19} {:>13} {:>12}",
            "job", "jobs", "Redis record", "Redis used_memory", "NATS results", "NATS events"
        );
        for p in &self.per_job {
            let _ = writeln!(
                out,
                "  {:<34} {:>6} {:>11} kB {:>16} kB {:>10} kB {:>9} kB",
                p.job,
                p.jobs,
                kb(p.redis_record_bytes),
                kb(p.redis_used_bytes),
                kb(p.nats_results_bytes),
                kb(p.nats_events_bytes)
            );
        }
        let _ = writeln!(out, "\nsamples (MiB):");
        let mut header = format!("  {:<6} {:>9} {:>9}", "point", "jobs", "elapsed s");
        for figure in FIGURES {
            let _ = write!(header, " {figure:>17}");
        }
        let _ = writeln!(out, "{header} {:>17}", "Redis bound");
        for (n, p) in self.points.iter().enumerate() {
            let point = if n == 0 { "start".to_owned() } else { n.to_string() };
            let mut line = format!("  {point:<6} {:>9} {:>9.0}", p.jobs, p.elapsed_s);
            for figure in p.figures {
                let _ = write!(line, " {:>17}", mib(figure));
            }
            // The bound is checked from the first sample on (nothing has run at the start).
            let bound = if n == 0 { "-".to_owned() } else { mib(p.redis_bound) };
            let _ = writeln!(out, "{line} {bound:>17}");
        }
        let _ = writeln!(out, "\ngrowth per 100,000 jobs after warm-up (point 1 to the last), against each bound:");
        for c in &self.checks {
            let _ = writeln!(
                out,
                "  {:<4} {:<18} {:>+8.1} MiB per 100k jobs; warm-up {} MiB, peak {} MiB, bound {} MiB ({})",
                if c.within { "ok" } else { "FAIL" },
                c.figure,
                c.growth_per_100k_bytes / (1 << 20) as f64,
                mib(c.warm_up_bytes),
                mib(c.peak_bytes),
                mib(c.bound_bytes),
                c.basis
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(jobs: usize, figures: [u64; 6], redis_bound: u64) -> Point {
        Point { jobs, elapsed_s: 0.0, figures, redis_bound }
    }

    #[test]
    fn growth_after_warm_up_beyond_the_bound_fails() {
        let mib = 1 << 20;
        let flat = [50 * mib, 30 * mib, 100 * mib, 200 * mib, 140 * mib, 150 * mib];
        let mut leaking = flat;
        leaking[1] = 90 * mib; // the worker: 60 MiB more than at warm-up
        let points = [
            point(0, [0; 6], 0),
            point(100_000, flat, 160 * mib),
            point(200_000, flat, 160 * mib),
            point(300_000, leaking, 160 * mib),
        ];
        let checks = checks(&points, 64 * mib);
        let failed: Vec<&str> = checks.iter().filter(|c| !c.within).map(|c| c.figure.as_str()).collect();
        assert_eq!(failed, ["worker RSS"]);
        assert_eq!(checks[1].growth_per_100k_bytes, 30.0 * mib as f64);
        assert_eq!(checks[0].growth_per_100k_bytes, 0.0);
        // The store past both streams' bounds and their overhead; Redis past its bound.
        let mut full = flat;
        full[4] = 200 * mib;
        full[5] = 161 * mib;
        let points = [point(0, [0; 6], 0), point(100_000, flat, 160 * mib), point(200_000, full, 160 * mib)];
        let failed: Vec<String> = checks_failed(&points, 64 * mib);
        assert_eq!(failed, ["NATS store", "Redis used_memory"]);
        // nats-server is held to its GOMEMLIMIT, not to its warm-up size.
        let mut over_limit = flat;
        over_limit[2] = NATS_MEMORY_LIMIT * 11 / 10 + NATS_RSS_SLACK_BYTES + mib;
        let mut under_limit = flat;
        under_limit[2] = NATS_MEMORY_LIMIT;
        let points = [point(0, [0; 6], 0), point(100_000, flat, 160 * mib), point(200_000, under_limit, 160 * mib)];
        assert!(checks_failed(&points, 64 * mib).is_empty());
        let points = [point(0, [0; 6], 0), point(100_000, flat, 160 * mib), point(200_000, over_limit, 160 * mib)];
        assert_eq!(checks_failed(&points, 64 * mib), ["nats-server RSS"]);
    }

    fn checks_failed(points: &[Point], bound: u64) -> Vec<String> {
        checks(points, bound).into_iter().filter(|c| !c.within).map(|c| c.figure).collect()
    }

    #[test]
    fn one_job_in_a_hundred_is_large() {
        let large = (0..1000).filter(|&n| command(n) == LARGE_COMMAND).count();
        assert_eq!(large, 10);
        assert_eq!(command(0), client::COMMAND);
    }
}
