//! The scenarios, in order: ingest; then for each device latency the direct-SSH limit,
//! naas with fresh sessions, naas with reused sessions and the netmiko baseline; then the
//! fan-out at the highest latency; the few-devices shape at the lowest; the soak only when
//! asked for. One nats-server and one redis-server serve the whole
//! run; each naas scenario has its own prefix, API and worker process.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use naas_shared::config::Settings;
use tokio_util::sync::CancellationToken;

use crate::args::Args;
use crate::cpu::CpuMeter;
use crate::redis_cost::{Breakdown, Cost, Snapshot};
use crate::report::{Memory, Row, Scenario};
use crate::results::Results;
use crate::system::{ApiHandle, Backends, Fleet, RATE_LIMIT_PER_CALLER, WorkerProcess};
use crate::{client, direct, ingest, monitor, netmiko, pipeline};

/// Callers submitting the fan-out's jobs.
const FANOUT_SUBMITTERS: usize = 64;

/// The few-devices shape: many jobs in flight on a handful of devices, each taking only a
/// couple of sessions at once, so most jobs wait for a device (fresh sessions, lowest
/// latency). Its p99 against its p50 shows how fairly and promptly waiting jobs get in.
pub const FEW_DEVICES: usize = 4;
const FEW_DEVICES_IN_FLIGHT: usize = 16;
const FEW_DEVICES_SESSIONS_PER_DEVICE: usize = 2;

/// The table's rows, where Redis's work per job went (reused sessions at the lowest
/// latency), and the soak's report if it ran.
pub struct Outcome {
    pub rows: Vec<Row>,
    pub redis: Option<Breakdown>,
    pub soak: Option<crate::soak::Soak>,
}

pub async fn scenarios(args: &Args) -> anyhow::Result<Outcome> {
    preflight(args)?;
    let backends =
        Backends::start(&args.redis_appendfsync, args.runs("soak").then_some(crate::soak::NATS_MEMORY_LIMIT)).await?;
    let mut rows = Vec::new();
    let mut redis = None;

    if args.runs("ingest") {
        say("1 ingest");
        rows.extend(ingest_rows(&backends, args).await?);
    }
    let devices_needed = ["direct", "fresh", "reused", "netmiko", "fanout", "few-devices"].iter().any(|s| args.runs(s));

    for &latency in args.latencies_ms.iter().filter(|_| devices_needed) {
        let fleet = Fleet::start(args.fleet_size(), latency, None).await.context("starting simulated devices")?;
        let devices = fleet.addrs(args.devices);

        if args.runs("direct") {
            say(&format!("6 limit, direct SSH, latency {latency} ms"));
            let logins = fleet.logins();
            let cpu = CpuMeter::start(&processes(&backends, None));
            let sample = direct::run(&devices, args.concurrency, args.jobs).await;
            let cpu = cpu.per_job(sample.latencies.len());
            let note = format!("russh client, no API/NATS/Redis; {} logins", fleet.logins() - logins);
            let row = Row::new(Scenario::Direct, "direct SSH", Some(latency), args.concurrency, &sample);
            rows.push(row.note(note).cpu(cpu));
        }

        for reuse in [false, true].into_iter().filter(|reuse| args.runs(if *reuse { "reused" } else { "fresh" })) {
            say(&format!("{} naas, latency {latency} ms", if reuse { "3 reused" } else { "2 fresh" }));
            let shape = if reuse { Shape::reused(args) } else { Shape::fresh(args) };
            let (row, cost) = naas_closed_loop(&backends, args, &fleet, &devices, latency, shape).await?;
            if reuse && Some(&latency) == args.latencies_ms.iter().min() {
                redis = Some(cost.breakdown(row.scenario.label(), latency));
            }
            rows.push(row);
        }

        if args.runs("few-devices") && Some(&latency) == args.latencies_ms.iter().min() {
            say(&format!("8 few devices, latency {latency} ms"));
            let few = fleet.addrs(FEW_DEVICES);
            rows.push(naas_closed_loop(&backends, args, &fleet, &few, latency, Shape::few_devices()).await?.0);
        }

        if args.runs("netmiko") {
            say(&format!("5 baseline, netmiko, latency {latency} ms"));
            let logins = fleet.logins();
            let (sample, version) = netmiko::run(&args.python, &devices, args.concurrency, args.netmiko_jobs).await?;
            let note = format!("thread pool, connection per job; {} logins", fleet.logins() - logins);
            let system = format!("netmiko {version}");
            rows.push(Row::new(Scenario::Netmiko, &system, Some(latency), args.concurrency, &sample).note(note));
        }

        if args.runs("fanout") && Some(&latency) == args.latencies_ms.iter().max() {
            say(&format!("4 fan-out, latency {latency} ms"));
            rows.push(fanout(&backends, args, &fleet, latency).await?);
        }
    }
    let mut soak = None;
    if args.runs("soak") {
        say(&format!("7 soak, {} jobs", args.soak_jobs));
        let (row, report) = crate::soak::run(&backends, args).await?;
        rows.push(row);
        soak = Some(report);
    }
    Ok(Outcome { rows, redis, soak })
}

/// The processes whose CPU a scenario uses: this one (simulated devices, API, callers or
/// the direct client), the worker if one runs, and the backing servers.
fn processes(backends: &Backends, worker: Option<u32>) -> Vec<(&'static str, u32)> {
    let mut processes = vec![("bench", std::process::id())];
    processes.extend(worker.map(|pid| ("worker", pid)));
    processes.extend(backends.processes());
    processes
}

fn say(what: &str) {
    eprintln!("naas-bench: {what}");
}

fn preflight(args: &Args) -> anyhow::Result<()> {
    ensure!(
        args.worker_bin.is_file(),
        "no worker binary at {} (cargo build -p naas-worker, or --worker-bin)",
        args.worker_bin.display()
    );
    if args.runs("soak") {
        ensure!(
            args.api_bin.is_file(),
            "no API binary at {} (cargo build -p naas-api, or --api-bin)",
            args.api_bin.display()
        );
    }
    if args.netmiko_jobs > 0 && args.runs("netmiko") {
        ensure!(
            args.python.is_file(),
            "no Python at {} (scripts/bootstrap.sh installs netmiko)",
            args.python.display()
        );
    }
    // Listeners, simulator sessions and the clients' sockets, plus the servers' margin.
    let needed = (args.fleet_size() * 3 + 1024) as u64;
    if let Some(limit) = crate::system::open_files_limit()
        && limit < needed
    {
        bail!("the open files limit is {limit}, the run needs about {needed}: raise it (ulimit -n {needed})");
    }
    Ok(())
}

/// Addresses that nothing serves: ingest jobs are only queued, never run.
fn unserved_devices(n: usize) -> Vec<SocketAddr> {
    (0..n.max(1)).map(|i| SocketAddr::from(([127, 0, 0, 1], 20_000 + (i % 40_000) as u16))).collect()
}

async fn ingest_rows(backends: &Backends, args: &Args) -> anyhow::Result<Vec<Row>> {
    let settings = backends.scenario("in", |_| {});
    let api = ApiHandle::start(&settings).await?;
    let devices = unserved_devices(args.devices);
    let mut rows = Vec::new();
    for &concurrency in &args.ingest_concurrency {
        let cpu = CpuMeter::start(&processes(backends, None));
        let sample = ingest::run(&api.url, &devices, concurrency, args.ingest_requests).await;
        let cpu = cpu.per_job(sample.latencies.len());
        let note = format!(
            "202 after JetStream ack; rate limit on ({RATE_LIMIT_PER_CALLER}/min per caller), one Basic caller, no worker"
        );
        rows.push(Row::new(Scenario::Ingest, "naas API", None, concurrency, &sample).note(note).cpu(cpu));
    }
    Ok(rows)
}

/// A scenario's API, results subscription and worker process, ready for jobs.
struct Naas {
    api: ApiHandle,
    results: Results,
    _nats: async_nats::Client,
    worker: WorkerProcess,
}

impl Naas {
    async fn start(args: &Args, settings: &Settings, first_device: SocketAddr) -> anyhow::Result<Self> {
        let api = ApiHandle::start(settings).await?;
        let (results, nats) = Results::subscribe(settings).await?;
        let worker = WorkerProcess::spawn(&args.worker_bin, settings, "bench-worker")?;
        let naas = Self { api, results, _nats: nats, worker };
        // One job through the whole path: the worker is up and pulling.
        let http = client::http();
        let job_id = client::submit(&http, &naas.api.url, first_device).await.map_err(anyhow::Error::msg)?;
        let arrival = naas.results.wait(&job_id, Duration::from_secs(60)).await.context("warm-up job")?;
        ensure!(arrival.finished, "the warm-up job failed: {:?}", arrival.error);
        Ok(naas)
    }

    fn check_worker(&mut self) -> anyhow::Result<()> {
        ensure!(self.worker.running(), "the worker process exited during the scenario");
        Ok(())
    }
}

/// What a closed-loop naas scenario runs: its row, its settings prefix, whether sessions
/// are reused, jobs in flight (and the worker's concurrency), and sessions per device.
struct Shape {
    scenario: Scenario,
    prefix: &'static str,
    reuse: bool,
    in_flight: usize,
    sessions_per_device: Option<usize>,
}

impl Shape {
    fn fresh(args: &Args) -> Self {
        Self {
            scenario: Scenario::Fresh,
            prefix: "fr",
            reuse: false,
            in_flight: args.concurrency,
            sessions_per_device: None,
        }
    }

    fn reused(args: &Args) -> Self {
        Self { scenario: Scenario::Reused, prefix: "re", reuse: true, ..Self::fresh(args) }
    }

    fn few_devices() -> Self {
        Self {
            scenario: Scenario::FewDevices,
            prefix: "fd",
            reuse: false,
            in_flight: FEW_DEVICES_IN_FLIGHT,
            sessions_per_device: Some(FEW_DEVICES_SESSIONS_PER_DEVICE),
        }
    }
}

async fn naas_closed_loop(
    backends: &Backends,
    args: &Args,
    fleet: &Fleet,
    devices: &[SocketAddr],
    latency: u64,
    shape: Shape,
) -> anyhow::Result<(Row, Cost)> {
    let settings = backends.scenario(shape.prefix, |s| {
        s.worker.concurrency = shape.in_flight;
        s.worker.session_reuse = shape.reuse;
        s.worker.session_pool_max = s.worker.session_pool_max.max(devices.len());
        if let Some(sessions) = shape.sessions_per_device {
            s.jobs.device_concurrency = sessions;
        }
    });
    let mut naas = Naas::start(args, &settings, devices[0]).await?;
    let logins = fleet.logins();
    let before = Snapshot::take(backends, &naas.api, &naas.worker).await?;
    let cpu = CpuMeter::start(&processes(backends, Some(naas.worker.pid())));
    let sample = pipeline::closed_loop(&naas.api.url, &naas.results, devices, shape.in_flight, args.jobs).await;
    let cpu = cpu.per_job(sample.latencies.len());
    let cost = Snapshot::take(backends, &naas.api, &naas.worker).await?.since(&before, args.jobs);
    naas.check_worker()?;
    let redis = cost.per_job();
    let sessions =
        shape.sessions_per_device.map_or(String::new(), |n| format!("{} devices, {n} sessions each; ", devices.len()));
    let note = format!(
        "HTTPS submit -> result on NATS; 1 worker process; {sessions}session reuse {}; {} logins; {}",
        if shape.reuse { "on" } else { "off" },
        fleet.logins() - logins,
        redis.describe()
    );
    let row = Row::new(shape.scenario, "naas", Some(latency), shape.in_flight, &sample).note(note).cpu(cpu);
    Ok((row.redis(redis), cost))
}

async fn fanout(backends: &Backends, args: &Args, fleet: &Fleet, latency: u64) -> anyhow::Result<Row> {
    let settings = backends.scenario("fo", |s| {
        s.worker.concurrency = args.fanout_concurrency;
        s.worker.session_reuse = true;
        s.worker.session_pool_max = args.fanout_devices;
    });
    let devices = fleet.addrs(args.fanout_devices);
    let mut naas = Naas::start(args, &settings, devices[0]).await?;
    let pid = naas.worker.pid();
    let idle = monitor::read(pid).context("reading the worker's memory")?;
    let token = CancellationToken::new();
    let peak = monitor::watch(pid, Duration::from_millis(100), token.clone());
    let sample = pipeline::open_loop(&naas.api.url, &naas.results, &devices, FANOUT_SUBMITTERS, args.fanout_jobs).await;
    let last = monitor::read(pid).context("reading the worker's memory")?;
    token.cancel();
    naas.check_worker()?;
    let peak = *peak.lock().expect("not poisoned");
    let busiest = peak.at_most_sockets;
    let sessions = busiest.sockets.saturating_sub(idle.sockets);
    let memory = Memory {
        peak_rss_mib: last.hwm_kib as f64 / 1024.0,
        idle_rss_mib: idle.rss_kib as f64 / 1024.0,
        sessions_at_peak: sessions,
        kib_per_session: if sessions > 0 {
            busiest.rss_kib.saturating_sub(idle.rss_kib) as f64 / sessions as f64
        } else {
            0.0
        },
        completion_s: sample.wall.as_secs_f64(),
    };
    let note = format!(
        "{} devices, open loop; done in {:.1} s; worker peak RSS {:.0} MiB (idle {:.0}); {:.0} KiB per open session ({} open)",
        args.fanout_devices,
        memory.completion_s,
        memory.peak_rss_mib,
        memory.idle_rss_mib,
        memory.kib_per_session,
        memory.sessions_at_peak
    );
    let mut row = Row::new(Scenario::Fanout, "naas", Some(latency), args.fanout_concurrency, &sample).note(note);
    row.memory = Some(memory);
    Ok(row)
}
