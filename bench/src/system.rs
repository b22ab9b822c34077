//! The pieces every scenario is built from: one nats-server and one redis-server for the
//! whole run, an API (in-process, the production `build`) and worker processes (the
//! production `naas-worker` binary) per scenario under their own prefix, and simulated
//! devices.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

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
}

impl Backends {
    /// Starts the servers. Redis keeps its append-only file and syncs it as `appendfsync`
    /// says: `everysec` is how `make up` runs it; the test harness starts it with `always`
    /// (every write synced, for its outage tests).
    pub async fn start(appendfsync: &str) -> anyhow::Result<Self> {
        let nats = NatsServer::start();
        let redis = RedisServer::start();
        let mut base = Settings::defaults();
        base.nats.url = nats.url.clone();
        base.redis.url = Secret::new(redis.url.clone());
        base.api.listen = "127.0.0.1:0".parse().expect("an address");
        base.encryption_key = Some(naas_shared::seal::Sealer::generate_ring());
        base.admin_secret = Some(Secret::new(uuid::Uuid::new_v4().simple().to_string()));
        base.rate_limit.enabled = true;
        base.rate_limit.per_caller = RATE_LIMIT_PER_CALLER;
        base.rate_limit.per_caller_device = RATE_LIMIT_PER_CALLER;
        base.worker.shutdown_grace_secs = 5;
        base.api.shutdown_grace_secs = 2;
        base.log.filter = "error".into();
        let backends = Self { nats, redis, base };
        let mut redis = backends.redis().await?;
        let _: () = redis::cmd("CONFIG").arg("SET").arg("appendfsync").arg(appendfsync).query_async(&mut redis).await?;
        Ok(backends)
    }

    async fn redis(&self) -> anyhow::Result<naas_shared::redis_conn::RedisConn> {
        naas_shared::store::connect(&self.base.redis).await.context("connecting to Redis")
    }

    /// Commands Redis has executed so far (all clients), from INFO commandstats.
    pub async fn redis_commands(&self) -> anyhow::Result<u64> {
        let mut redis = self.redis().await?;
        let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut redis).await?;
        Ok(info
            .lines()
            .filter_map(|l| l.split("calls=").nth(1))
            .filter_map(|rest| rest.split(',').next()?.parse::<u64>().ok())
            .sum())
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
    token: CancellationToken,
}

impl ApiHandle {
    pub async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let api = naas_api::build(settings.clone()).await.context("building the API")?;
        let url = format!("https://{}", api.local_addr());
        let token = CancellationToken::new();
        tokio::spawn(api.run_until_stopped(token.clone()));
        Ok(Self { url, token })
    }
}

impl Drop for ApiHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// A `naas-worker` child process, configured through the `NAAS_` environment an operator
/// would use; killed when dropped.
pub struct WorkerProcess {
    child: Child,
}

impl WorkerProcess {
    pub fn spawn(exe: &Path, settings: &Settings, name: &str) -> anyhow::Result<Self> {
        let worker = &settings.worker;
        let mut env = naas_tests::processes::worker_env(settings, name);
        env.extend(
            [
                ("NAAS_WORKER__SESSION_REUSE", worker.session_reuse.to_string()),
                ("NAAS_WORKER__SESSION_POOL_MAX", worker.session_pool_max.to_string()),
                ("NAAS_WORKER__SESSION_IDLE_SECS", worker.session_idle_secs.to_string()),
                ("NAAS_LOG__FILTER", settings.log.filter.clone()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        let child = Command::new(exe)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {} (build it: cargo build -p naas-worker)", exe.display()))?;
        Ok(Self { child })
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

/// Simulated Cisco IOS devices `r1..rN` with one latency, serving until dropped.
pub struct Fleet {
    pub devices: Vec<RunningDevice>,
    log: CommandLog,
    token: CancellationToken,
}

impl Fleet {
    pub async fn start(size: usize, latency_ms: u64) -> anyhow::Result<Self> {
        let devices = (1..=size)
            .map(|n| {
                let mut spec = DeviceSpec::cisco_ios(&format!("r{n}"), USERNAME, PASSWORD, PASSWORD);
                spec.latency_ms = latency_ms;
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
