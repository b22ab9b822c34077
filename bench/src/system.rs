//! The pieces every scenario is built from: one nats-server and one redis-server for the
//! whole run, an API (in-process, the production `build`; for the soak the production
//! `naas-api` binary, so its memory is its own) and worker processes (the production
//! `naas-worker` binary) per scenario under their own prefix, and simulated devices.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use naas_shared::config::Settings;
use naas_shared::secret::Secret;
use naas_sim::{CommandLog, DeviceSpec, RunningDevice, SimSettings};
use naas_tests::servers::{NatsServer, RedisServer};
use tokio_util::sync::CancellationToken;

/// Device login every simulated device accepts (also the enable secret). With HTTP Basic
/// these are the caller's credentials too, so every submission comes from one caller.
pub const USERNAME: &str = "netops";
pub const PASSWORD: &str = "bench-pw";

/// Submissions one caller may make per window in the benchmark: the limiter stays on (its
/// Redis script runs for every submission) but one caller may submit the whole load.
pub const RATE_LIMIT_PER_CALLER: u64 = 1_000_000;

/// The backing servers, shared by every scenario (each scenario has its own prefix).
pub struct Backends {
    /// Kept for their lifetime: the servers stop when the run ends.
    nats: NatsServer,
    redis: RedisServer,
    base: Settings,
    /// The benchmark's own connection, for its readings (one connection: no handshake
    /// commands between two readings).
    conn: naas_shared::redis_conn::RedisConn,
}

impl Backends {
    /// Starts the servers. Redis keeps its append-only file and syncs it as `appendfsync`
    /// says: `everysec` is how `make up` runs it; the test harness starts it with `always`
    /// (every write synced, for its outage tests).
    ///
    /// `nats_memory_limit` (bytes) starts nats-server with that `GOMEMLIMIT` (the soak's).
    pub async fn start(appendfsync: &str, nats_memory_limit: Option<u64>) -> anyhow::Result<Self> {
        let nats = match nats_memory_limit {
            Some(bytes) => NatsServer::start_with_memory_limit(bytes),
            None => NatsServer::start(),
        };
        let redis = RedisServer::start();
        let mut base = Settings::defaults();
        base.nats.url = nats.url.clone();
        base.redis.url = Secret::new(redis.url.clone());
        base.api.listen = "127.0.0.1:0".parse().expect("an address");
        base.encryption_key = Some(naas_shared::seal::Sealer::generate_ring());
        base.admin_secret = Some(Secret::new(uuid::Uuid::new_v4().simple().to_string()));
        base.rate_limit.enabled = true;
        base.rate_limit.limit_basic = true;
        base.rate_limit.per_caller = RATE_LIMIT_PER_CALLER;
        base.rate_limit.per_caller_device = RATE_LIMIT_PER_CALLER;
        base.worker.shutdown_grace_secs = 5;
        base.api.shutdown_grace_secs = 2;
        base.log.filter = "error".into();
        let conn = naas_shared::store::connect(&base.redis).await.context("connecting to Redis")?;
        let backends = Self { nats, redis, base, conn };
        let mut redis = backends.redis();
        let _: () = redis::cmd("CONFIG").arg("SET").arg("appendfsync").arg(appendfsync).query_async(&mut redis).await?;
        Ok(backends)
    }

    fn redis(&self) -> naas_shared::redis_conn::RedisConn {
        self.conn.clone()
    }

    /// Commands Redis has executed so far (all clients), by name, from INFO commandstats.
    pub async fn redis_commands(&self) -> anyhow::Result<crate::redis_cost::Counts> {
        let mut redis = self.redis();
        let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut redis).await?;
        Ok(crate::redis_cost::Counts::from_commandstats(&info))
    }

    /// Redis's `used_memory`, bytes.
    pub async fn redis_used_memory(&self) -> anyhow::Result<u64> {
        let memory = self.redis().memory().await.context("reading Redis's memory")?;
        Ok(memory.map_or(0, |m| m.used))
    }

    /// `MEMORY USAGE` of one key, bytes (0 if it does not exist).
    pub async fn redis_memory_usage(&self, key: &str) -> anyhow::Result<u64> {
        let mut redis = self.redis();
        let usage: Option<u64> = redis::cmd("MEMORY").arg("USAGE").arg(key).query_async(&mut redis).await?;
        Ok(usage.unwrap_or(0))
    }

    /// The JetStream store directory of the nats-server.
    pub fn nats_store_dir(&self) -> PathBuf {
        self.nats.store_dir()
    }

    /// The backing servers' processes, for CPU accounting.
    pub fn processes(&self) -> Vec<(&'static str, u32)> {
        let nats = self.nats.pid().map(|pid| ("nats-server", pid));
        let redis = self.redis.pid().map(|pid| ("redis-server", pid));
        nats.into_iter().chain(redis).collect()
    }

    /// Settings for one scenario: a fresh prefix (its own streams, consumer and keys).
    pub fn scenario(&self, name: &str, adjust: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = self.base.clone();
        settings.prefix = format!("b{}{}", name, &uuid::Uuid::new_v4().simple().to_string()[..8]);
        adjust(&mut settings);
        settings
    }
}

/// An API serving until dropped.
pub struct ApiHandle {
    pub url: String,
    /// Its round trips to Redis.
    pub round_trips: naas_shared::store::RoundTrips,
    token: CancellationToken,
}

impl ApiHandle {
    pub async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let api = naas_api::build(settings.clone()).await.context("building the API")?;
        let url = format!("https://{}", api.local_addr());
        let round_trips = api.round_trips();
        let token = CancellationToken::new();
        tokio::spawn(api.run_until_stopped(token.clone()));
        Ok(Self { url, round_trips, token })
    }
}

impl Drop for ApiHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// A `naas-worker` child process, configured through the `NAAS_` environment an operator
/// would use, serving `/metrics` on a loopback port; killed when dropped.
pub struct WorkerProcess {
    child: Child,
    metrics_url: String,
}

/// The `NAAS_` environment that reproduces the parts of `settings` the worker and the API
/// processes depend on, bounds included: both provision the streams, so both must see the
/// same limits.
fn service_env(settings: &Settings, name: &str) -> Vec<(String, String)> {
    let (worker, nats, jobs, events) = (&settings.worker, &settings.nats, &settings.jobs, &settings.events);
    let mut env = naas_tests::processes::worker_env(settings, name);
    env.extend(
        [
            ("NAAS_WORKER__SESSION_REUSE", worker.session_reuse.to_string()),
            ("NAAS_WORKER__SESSION_POOL_MAX", worker.session_pool_max.to_string()),
            ("NAAS_WORKER__SESSION_IDLE_SECS", worker.session_idle_secs.to_string()),
            ("NAAS_JOBS__RESULT_TTL_SECS", jobs.result_ttl_secs.to_string()),
            ("NAAS_JOBS__MAX_STORED_OUTPUT_BYTES", jobs.max_stored_output_bytes.to_string()),
            ("NAAS_NATS__RESULTS_MAX_BYTES", nats.results_max_bytes.to_string()),
            ("NAAS_NATS__RESULTS_MAX_MSGS", nats.results_max_msgs.to_string()),
            ("NAAS_NATS__RESULT_INLINE_MAX_BYTES", nats.result_inline_max_bytes.to_string()),
            ("NAAS_EVENTS__MAX_BYTES", events.max_bytes.to_string()),
            ("NAAS_EVENTS__MAX_MSGS", events.max_msgs.to_string()),
            ("NAAS_EVENTS__RETENTION_SECS", events.retention_secs.to_string()),
            ("NAAS_LOG__FILTER", settings.log.filter.clone()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    env
}

fn spawn_service(exe: &Path, env: Vec<(String, String)>, package: &str) -> anyhow::Result<Child> {
    Command::new(exe)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {} (build it: cargo build -p {package})", exe.display()))
}

impl WorkerProcess {
    pub fn spawn(exe: &Path, settings: &Settings, name: &str) -> anyhow::Result<Self> {
        let listen = format!("127.0.0.1:{}", naas_tests::servers::free_port());
        let metrics_url = format!("http://{listen}/metrics");
        let mut env = service_env(settings, name);
        env.push(("NAAS_WORKER__METRICS_LISTEN".to_owned(), listen));
        let child = spawn_service(exe, env, "naas-worker")?;
        Ok(Self { child, metrics_url })
    }

    /// Its round trips to Redis so far, per operation, from its `/metrics`.
    pub async fn round_trips(&self) -> anyhow::Result<crate::redis_cost::Counts> {
        let response = crate::client::http().get(&self.metrics_url).send().await;
        let text =
            response.and_then(|r| r.error_for_status()).context("scraping the worker's /metrics")?.text().await?;
        Ok(crate::redis_cost::Counts::from_metrics(&text))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running (it only exits on its own on failure).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `naas-api` child process on a free loopback port, configured through the `NAAS_`
/// environment like the worker; killed when dropped.
pub struct ApiProcess {
    pub url: String,
    child: Child,
}

impl ApiProcess {
    /// Starts the API and waits until it answers `GET /healthcheck`.
    pub async fn spawn(exe: &Path, settings: &Settings) -> anyhow::Result<Self> {
        let port = naas_tests::servers::free_port();
        let mut env = service_env(settings, "bench-api");
        let limits = &settings.rate_limit;
        env.extend(
            [
                ("NAAS_API__LISTEN", format!("127.0.0.1:{port}")),
                ("NAAS_API__SHUTDOWN_GRACE_SECS", settings.api.shutdown_grace_secs.to_string()),
                ("NAAS_RATE_LIMIT__ENABLED", limits.enabled.to_string()),
                ("NAAS_RATE_LIMIT__PER_CALLER", limits.per_caller.to_string()),
                ("NAAS_RATE_LIMIT__PER_CALLER_DEVICE", limits.per_caller_device.to_string()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        if let Some(secret) = &settings.admin_secret {
            env.push(("NAAS_ADMIN_SECRET".into(), secret.expose().clone()));
        }
        let mut api = Self { url: format!("https://127.0.0.1:{port}"), child: spawn_service(exe, env, "naas-api")? };
        let http = crate::client::http();
        let started = std::time::Instant::now();
        loop {
            anyhow::ensure!(matches!(api.child.try_wait(), Ok(None)), "the naas-api process exited at start-up");
            let answer = http.get(format!("{}/healthcheck", api.url)).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return Ok(api);
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "naas-api did not answer within 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Simulated Cisco IOS devices `r1..rN` with one latency, serving until dropped;
/// `output_size` sets the length of their `show tech-support` (the simulator's default if
/// `None`).
pub struct Fleet {
    pub devices: Vec<RunningDevice>,
    log: CommandLog,
    token: CancellationToken,
}

impl Fleet {
    pub async fn start(size: usize, latency_ms: u64, output_size: Option<usize>) -> anyhow::Result<Self> {
        let devices = (1..=size)
            .map(|n| {
                let mut spec = DeviceSpec::cisco_ios(&format!("r{n}"), USERNAME, PASSWORD, PASSWORD);
                spec.latency_ms = latency_ms;
                if let Some(size) = output_size {
                    spec.output_size = size;
                }
                spec
            })
            .collect();
        let fleet = naas_sim::build(SimSettings { listen: "127.0.0.1".parse()?, devices }).await?;
        let token = CancellationToken::new();
        let devices = fleet.devices();
        let log = fleet.command_log();
        tokio::spawn(fleet.run_until_stopped(token.clone()));
        Ok(Self { devices, log, token })
    }

    /// The first `n` devices' addresses.
    pub fn addrs(&self, n: usize) -> Vec<SocketAddr> {
        self.devices.iter().take(n).map(|d| d.addr).collect()
    }

    /// SSH logins the fleet has accepted so far (all devices).
    pub fn logins(&self) -> usize {
        self.devices.iter().map(|d| self.log.sessions_opened(&d.hostname)).sum()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// The soft limit on open files; 1,000 devices need a few thousand descriptors.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
