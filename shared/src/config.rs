//! Typed, layered configuration.
//!
//! Sources, later winning: `config.default.toml` (compiled in, so a binary always has every
//! key) → the file named by `NAAS_CONFIG_FILE` → `NAAS_`-prefixed environment variables
//! (`__` between nested keys). Every section is read and checked before anything is
//! reported, so an operator sees all mistakes at once. Tests build [`Settings`] values from
//! [`Settings::defaults`] and never touch the process environment.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::job::JumpHostSpec;
use crate::seal::Sealer;
use crate::secret::Secret;
use crate::telemetry::LogSettings;

mod events;
pub use events::{EventSettings, TraceSettings, WebhookSettings};

const DEFAULTS: &str = include_str!("../../config.default.toml");

/// Environment names NAAS deployments already use, and the key each one sets.
const COMPAT_ENV: &[(&str, &str)] = &[
    ("RATE_LIMIT_ENABLED", "NAAS_RATE_LIMIT__ENABLED"),
    ("RATE_LIMIT_PER_CALLER", "NAAS_RATE_LIMIT__PER_CALLER"),
    ("RATE_LIMIT_PER_CALLER_DEVICE", "NAAS_RATE_LIMIT__PER_CALLER_DEVICE"),
    ("RATE_LIMIT_WINDOW", "NAAS_RATE_LIMIT__WINDOW_SECS"),
    ("RATE_LIMIT_EXEMPT_ROLES", "NAAS_RATE_LIMIT__EXEMPT_ROLES"),
    ("CIRCUIT_BREAKER_ENABLED", "NAAS_CIRCUIT_BREAKER__ENABLED"),
    ("CIRCUIT_BREAKER_THRESHOLD", "NAAS_CIRCUIT_BREAKER__THRESHOLD"),
    ("CIRCUIT_BREAKER_TIMEOUT", "NAAS_CIRCUIT_BREAKER__TIMEOUT_SECS"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Development,
    Production,
}

/// The process the settings are loaded for: production mode refuses only what that process
/// would actually use (a worker has no listener and never sees the admin secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    Api,
    Worker,
    Reaper,
    /// `<binary> provision`: creates the NATS topology, needs NATS settings only.
    Provisioner,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: Mode,
    pub prefix: String,
    pub admin_secret: Option<Secret<String>>,
    pub encryption_key: Option<Secret<String>>,
    pub log: LogSettings,
    pub nats: NatsSettings,
    pub redis: RedisSettings,
    pub jobs: JobSettings,
    pub api: ApiSettings,
    pub tls: TlsSettings,
    pub worker: WorkerSettings,
    pub reaper: ReaperSettings,
    pub circuit_breaker: CircuitBreakerSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub lockout: LockoutSettings,
    pub events: EventSettings,
    pub webhooks: WebhookSettings,
    pub tracing: TraceSettings,
    pub structured: StructuredSettings,
    /// Jump hosts per context: jobs of that context reach their devices through it.
    pub jump_hosts: BTreeMap<String, JumpHostSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsSettings {
    pub url: String,
    /// PEM CA bundle to verify the servers' certificates (`tls://` URLs); empty: system roots.
    #[serde(default)]
    pub ca_file: String,
    /// Require TLS even for `nats://` URLs.
    #[serde(default)]
    pub require_tls: bool,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub password: Option<Secret<String>>,
    #[serde(default)]
    pub token: Option<Secret<String>>,
    pub connect_timeout_secs: u64,
    pub replicas: usize,
    pub duplicate_window_secs: u64,
    pub max_deliver: i64,
    pub ack_wait_secs: u64,
    /// Jobs the queue holds at most; submissions beyond it get 503 with Retry-After.
    pub max_queued_jobs: i64,
    /// Bytes the results stream keeps at most; beyond it the oldest results leave first.
    pub results_max_bytes: i64,
    /// Messages the results stream keeps at most (-1: no count limit).
    pub results_max_msgs: i64,
    /// A result document larger than this is published without its `results` (the API
    /// serves them from Redis), so the stream holds outcomes, not bulk output.
    pub result_inline_max_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://[:password@]host:port` or `rediss://…` for TLS; several comma-separated
    /// URLs are seed nodes of a Redis Cluster.
    pub url: Secret<String>,
    /// Submissions are refused (503 `STORE_FULL`) once Redis's `used_memory` reaches this
    /// percentage of its `maxmemory`, leaving the rest for the jobs already accepted to
    /// settle; 100: only Redis's own out-of-memory refusal counts. No `maxmemory`: no check.
    pub admission_max_memory_percent: u8,
    /// PEM CA bundle verifying the server's certificate (`rediss://`); empty: system roots.
    #[serde(default)]
    pub ca_file: String,
    /// The URL is a seed node of a Redis Cluster (implied by several URLs).
    #[serde(default)]
    pub cluster: bool,
    /// The name of the primary that Redis Sentinel watches; when set, the URLs are the
    /// Sentinels' (their user and password serve the Sentinels and the Redis servers alike)
    /// and the connection follows a failover to the promoted replica.
    #[serde(default)]
    pub sentinel: String,
    /// Replicas that must hold a job's record before its write counts as done (Redis
    /// `WAIT`, up to 1 s); 0: replication stays asynchronous.
    #[serde(default)]
    pub wait_replicas: u32,
}

impl RedisSettings {
    /// The URLs in `url`, trimmed, empty entries dropped.
    pub fn urls(&self) -> Vec<&str> {
        self.url.expose().split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
    }

    /// Whether to talk to a Redis Cluster rather than one server.
    pub fn is_cluster(&self) -> bool {
        !self.is_sentinel() && (self.cluster || self.urls().len() > 1)
    }

    /// Whether the URLs are Sentinels that name the primary.
    pub fn is_sentinel(&self) -> bool {
        !self.sentinel.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub result_ttl_secs: u64,
    pub default_read_timeout_secs: u64,
    pub max_read_timeout_secs: u64,
    pub default_conn_timeout_secs: u64,
    pub max_conn_timeout_secs: u64,
    /// Directory of extra platform definitions (`*.toml`); empty = built-ins only.
    pub platform_dir: String,
    /// Sessions one device may have open for jobs at once, across the whole fleet.
    pub device_concurrency: usize,
    /// Seal result documents on the result subjects with the key ring (consumers need the
    /// key); off: plain JSON, protected at rest by the JetStream store cipher.
    pub seal_results: bool,
    /// Runs a read-only job may get (worker deaths and connection failures); config jobs
    /// always get one.
    pub max_attempts: u32,
    /// A job nobody started within this many seconds of its submission fails.
    pub queue_timeout_secs: u64,
    /// Output bytes kept per job in its record; beyond them the output is truncated with a
    /// marker and the document says `results_truncated: true`.
    pub max_stored_output_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    pub listen: SocketAddr,
    pub max_body_bytes: usize,
    /// A request body must arrive in full within this many seconds of its headers, or the
    /// answer is 408 and the connection closes.
    pub body_read_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
    /// A client must send a request's headers within this many seconds; an idle kept-alive
    /// HTTP/1.1 connection is closed after as long.
    pub header_read_timeout_secs: u64,
    /// Open connections one API process accepts at most; more are closed at once.
    pub max_connections: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Accept a generated self-signed certificate in production (no files configured).
    #[serde(default)]
    pub allow_self_signed: bool,
    /// PEM bundle of CAs whose client certificates are required (mutual TLS); unset: none.
    #[serde(default)]
    pub client_ca_file: Option<PathBuf>,
    /// Days the generated certificate is valid ([`TlsSettings::SELF_SIGNED_DAYS`]).
    pub self_signed_days: u32,
    /// Names (DNS names or IP addresses) the generated certificate is valid for, besides
    /// `localhost` and the loopback addresses.
    pub self_signed_names: Vec<String>,
}

impl TlsSettings {
    /// Bounds of `self_signed_days`: past the renewal window (a shorter life would be renewed
    /// at every check), at most the 397 days browsers accept for a server certificate.
    pub const SELF_SIGNED_DAYS: std::ops::RangeInclusive<u32> = 8..=397;
    /// A generated certificate this close to its expiry is replaced.
    pub const RENEW_BEFORE: Duration = Duration::from_secs(7 * 24 * 3600);

    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.cert_file.is_some() != self.key_file.is_some() {
            p.push("tls: set both cert_file and key_file, or neither".into());
        }
        let (min, max) = (Self::SELF_SIGNED_DAYS.start(), Self::SELF_SIGNED_DAYS.end());
        if !Self::SELF_SIGNED_DAYS.contains(&self.self_signed_days) {
            p.push(format!("tls.self_signed_days: between {min} (past the 7-day renewal window) and {max}"));
        }
        for name in &self.self_signed_names {
            if crate::domain::Host::parse(name).map_or(true, |host| host.as_str() != name.to_ascii_lowercase()) {
                p.push(format!("tls.self_signed_names: {name:?} is not a DNS name or an IP address"));
            }
        }
        p
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    AcceptAny,
    Tofu,
    Strict,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub name: String,
    pub shutdown_grace_secs: u64,
    pub output_limit_bytes: usize,
    pub host_key_policy: HostKeyPolicy,
    /// OpenSSH known_hosts file for the `strict` policy.
    pub known_hosts_file: String,
    /// Directory of private keys (OpenSSH format) that jobs may name in `ssh_key`.
    pub ssh_key_dir: String,
    pub prompt_timeout_secs: u64,
    /// Keep idle sessions for later jobs to the same device with the same credentials.
    pub session_reuse: bool,
    /// Close a pooled session after this many idle seconds.
    pub session_idle_secs: u64,
    /// Idle sessions one worker keeps at most.
    pub session_pool_max: usize,
    /// Plain-HTTP listener serving `/metrics` (Prometheus); unset: none.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// JWT signing keys `kid:BASE64[,…]` (HS256); the first signs, all verify. Unset: one
    /// key derived from the encryption key ring.
    pub jwt_keys: Option<Secret<String>>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Longest lifetime an API key may be given, seconds.
    pub max_key_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub per_caller: u64,
    pub per_caller_device: u64,
    pub window_secs: u64,
    /// Roles that are never limited (`viewer`, `operator`, `admin`).
    pub exempt_roles: Vec<String>,
    /// Whether HTTP Basic callers (device credentials passed through) are limited. Off by
    /// default, as NAAS exempts them; API-key callers are limited by role as above.
    pub limit_basic: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutSettings {
    pub user_failures: u64,
    pub user_window_secs: u64,
    pub user_lock_secs: u64,
    pub device_failures: u64,
    pub device_window_secs: u64,
    pub device_lock_secs: u64,
}

impl LockoutSettings {
    pub fn user(&self) -> crate::lockout::Policy {
        crate::lockout::Policy {
            failures: self.user_failures,
            window: Duration::from_secs(self.user_window_secs),
            lock: Duration::from_secs(self.user_lock_secs),
        }
    }

    pub fn device(&self) -> crate::lockout::Policy {
        crate::lockout::Policy {
            failures: self.device_failures,
            window: Duration::from_secs(self.device_window_secs),
            lock: Duration::from_secs(self.device_lock_secs),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaperSettings {
    pub interval_secs: u64,
    /// Plain-HTTP listener serving `/metrics` (Prometheus); unset: none.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
}

/// The per-device circuit breaker, shared by the fleet through Redis.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreakerSettings {
    pub enabled: bool,
    /// Consecutive connection failures that open the circuit.
    pub threshold: u32,
    /// Seconds the circuit stays open before one trial job may try the device.
    pub timeout_secs: u64,
}

/// send-command-structured, on the workers: where the TextFSM templates are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructuredSettings {
    /// A directory holding an ntc-templates style `index` and the templates it names;
    /// empty: none (structured jobs then need a template in the request).
    pub templates_dir: String,
}

/// Every configuration problem found, reported together.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} configuration error(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Settings {
    /// Settings for `process`: defaults, `NAAS_CONFIG_FILE`, then the environment.
    pub fn load(process: Process) -> Result<Self, ConfigErrors> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = env.get("NAAS_CONFIG_FILE").map(PathBuf::from);
        Self::load_for(file.as_deref(), env, Some(process))
    }

    /// The compiled-in defaults alone.
    pub fn defaults() -> Self {
        Self::load_from(None, HashMap::new()).expect("the compiled-in defaults are valid")
    }

    /// Layers `file` and the given environment over the defaults, checked as strictly as
    /// for every process at once.
    pub fn load_from(file: Option<&Path>, env: HashMap<String, String>) -> Result<Self, ConfigErrors> {
        Self::load_for(file, env, None)
    }

    /// As [`Settings::load_from`], with the production checks of `process` only (`None`: of
    /// every process).
    pub fn load_for(
        file: Option<&Path>,
        env: HashMap<String, String>,
        process: Option<Process>,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut env = env;
        for (key, var) in [("admin_secret", "NAAS_ADMIN_SECRET"), ("encryption_key", "NAAS_ENCRYPTION_KEY")] {
            if let Some(path) = env.remove(&format!("{var}_FILE")) {
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        env.insert(var.to_owned(), text.trim().to_owned());
                    }
                    Err(e) => errors.push(format!("{key}: cannot read {var}_FILE {path:?}: {e}")),
                }
            }
        }
        env.remove("NAAS_CONFIG_FILE");
        // NAAS-compatible names, taken when the NAAS_ form is not set.
        for (compat, ours) in COMPAT_ENV {
            if let Some(value) = env.get(*compat).cloned() {
                env.entry((*ours).to_owned()).or_insert(value);
            }
        }
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        let environment = Environment::with_prefix("NAAS")
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("rate_limit.exempt_roles")
            .with_list_parse_key("webhooks.retry_delays_ms")
            .with_list_parse_key("tls.self_signed_names")
            .source(Some(env.into_iter().collect()));
        let cfg = match builder.add_source(environment).build() {
            Ok(cfg) => cfg,
            Err(e) => return Err(ConfigErrors(vec![e.to_string()])),
        };
        let mode = section(&cfg, "mode", &mut errors);
        let prefix = section(&cfg, "prefix", &mut errors);
        let admin_secret = optional(&cfg, "admin_secret", &mut errors);
        let encryption_key = optional(&cfg, "encryption_key", &mut errors);
        let log = section(&cfg, "log", &mut errors);
        let nats = section(&cfg, "nats", &mut errors);
        let redis = section(&cfg, "redis", &mut errors);
        let jobs = section(&cfg, "jobs", &mut errors);
        let api = section(&cfg, "api", &mut errors);
        let tls = section(&cfg, "tls", &mut errors);
        let worker = section(&cfg, "worker", &mut errors);
        let reaper = section(&cfg, "reaper", &mut errors);
        let circuit_breaker = section(&cfg, "circuit_breaker", &mut errors);
        let jump_hosts = section(&cfg, "jump_hosts", &mut errors);
        let auth = section(&cfg, "auth", &mut errors);
        let rate_limit = section(&cfg, "rate_limit", &mut errors);
        let lockout = section(&cfg, "lockout", &mut errors);
        let events = section(&cfg, "events", &mut errors);
        let webhooks = section(&cfg, "webhooks", &mut errors);
        let tracing = section(&cfg, "tracing", &mut errors);
        let structured = section(&cfg, "structured", &mut errors);
        let (
            Some(mode),
            Some(prefix),
            Some(log),
            Some(nats),
            Some(redis),
            Some(jobs),
            Some(api),
            Some(tls),
            Some(worker),
            Some(reaper),
            Some(circuit_breaker),
            Some(jump_hosts),
            Some(auth),
            Some(rate_limit),
            Some(lockout),
            Some(events),
            Some(webhooks),
            Some(tracing),
            Some(structured),
        ) = (
            mode,
            prefix,
            log,
            nats,
            redis,
            jobs,
            api,
            tls,
            worker,
            reaper,
            circuit_breaker,
            jump_hosts,
            auth,
            rate_limit,
            lockout,
            events,
            webhooks,
            tracing,
            structured,
        )
        else {
            return Err(ConfigErrors(errors));
        };
        let settings = Self {
            mode,
            prefix,
            admin_secret,
            encryption_key,
            log,
            nats,
            redis,
            jobs,
            api,
            tls,
            worker,
            reaper,
            circuit_breaker,
            auth,
            rate_limit,
            lockout,
            events,
            webhooks,
            tracing,
            structured,
            jump_hosts,
        };
        errors.extend(settings.problems());
        if settings.mode == Mode::Production {
            errors.extend(settings.production_problems(process));
        }
        if errors.is_empty() { Ok(settings) } else { Err(ConfigErrors(errors)) }
    }

    /// Cross-field checks, whatever the mode.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') || self.prefix.is_empty() {
            p.push("prefix: 1 or more letters, digits, '_' or '-' (it names NATS subjects and streams)".into());
        }
        if let Some(ring) = &self.encryption_key
            && let Err(e) = Sealer::from_ring(ring)
        {
            p.push(format!("encryption_key: {e}"));
        }
        if let Err(errors) = self.platforms() {
            p.extend(errors.into_iter().map(|e| format!("jobs.platform_dir: {e}")));
        }
        p.extend(self.tls.problems());
        for role in &self.rate_limit.exempt_roles {
            if !["viewer", "operator", "admin"].contains(&role.as_str()) {
                p.push(format!("rate_limit.exempt_roles: unknown role {role:?}"));
            }
        }
        if self.rate_limit.window_secs == 0 {
            p.push("rate_limit.window_secs: must be at least 1".into());
        }
        if self.jobs.device_concurrency == 0 {
            p.push("jobs.device_concurrency: must be at least 1".into());
        }
        if self.api.body_read_timeout_secs == 0 {
            p.push("api.body_read_timeout_secs: must be at least 1".into());
        }
        if self.worker.concurrency == 0 {
            p.push("worker.concurrency: must be at least 1".into());
        }
        if self.nats.results_max_bytes == 0 || self.nats.results_max_bytes < -1 {
            p.push("nats.results_max_bytes: at least 1, or -1 for no limit".into());
        }
        if self.events.max_bytes == 0 || self.events.max_bytes < -1 {
            p.push("events.max_bytes: at least 1, or -1 for no limit".into());
        }
        if self.nats.results_max_msgs == 0 || self.events.max_msgs == 0 {
            p.push("nats.results_max_msgs, events.max_msgs: at least 1, or -1 for no limit".into());
        }
        if self.redis.is_sentinel() && self.redis.cluster {
            p.push("redis.sentinel and redis.cluster: a Sentinel watches one primary, not a cluster; set one".into());
        }
        if !(1..=100).contains(&self.redis.admission_max_memory_percent) {
            p.push("redis.admission_max_memory_percent: between 1 and 100".into());
        }
        // The results stream keeps a result for the result TTL (its max_age), and JetStream
        // refuses a stream whose duplicate window is longer than its max_age.
        if self.jobs.result_ttl_secs < self.nats.duplicate_window_secs {
            p.push(format!(
                "jobs.result_ttl_secs: at least nats.duplicate_window_secs ({} s): the results stream keeps results for the TTL and JetStream refuses a duplicate window longer than that",
                self.nats.duplicate_window_secs
            ));
        }
        if self.nats.duplicate_window_secs == 0 {
            p.push("nats.duplicate_window_secs: at least 1 (a resubmitted job is recognised within it)".into());
        }
        if self.nats.max_deliver < 1 {
            p.push("nats.max_deliver: must be at least 1".into());
        }
        if self.jobs.max_attempts == 0 || i64::from(self.jobs.max_attempts) > self.nats.max_deliver {
            p.push("jobs.max_attempts: must be between 1 and nats.max_deliver".into());
        }
        p.extend(self.webhooks.problems());
        if !(0.0..=1.0).contains(&self.tracing.sample_ratio) {
            p.push("tracing.sample_ratio: between 0.0 and 1.0".into());
        }
        if self.events.sse_keepalive_secs == 0 {
            p.push("events.sse_keepalive_secs: must be at least 1".into());
        }
        if self.circuit_breaker.threshold == 0 {
            p.push("circuit_breaker.threshold: must be at least 1".into());
        }
        let j = &self.jobs;
        if j.default_read_timeout_secs == 0 || j.default_read_timeout_secs > j.max_read_timeout_secs {
            p.push("jobs.default_read_timeout_secs: must be between 1 and jobs.max_read_timeout_secs".into());
        }
        if j.default_conn_timeout_secs == 0 || j.default_conn_timeout_secs > j.max_conn_timeout_secs {
            p.push("jobs.default_conn_timeout_secs: must be between 1 and jobs.max_conn_timeout_secs".into());
        }
        // Running jobs extend their ack wait with progress acks every third of it, so it only
        // needs room for a few missed beats, not for the longest job.
        if self.nats.ack_wait_secs < 3 {
            p.push("nats.ack_wait_secs: at least 3 (running jobs send progress every third of it)".into());
        }
        if self.worker.host_key_policy == HostKeyPolicy::Strict && self.worker.known_hosts_file.is_empty() {
            p.push("worker.known_hosts_file: required with host_key_policy = strict".into());
        }
        if let Some(secret) = &self.admin_secret
            && secret.expose().len() < 16
        {
            p.push("admin_secret: at least 16 characters".into());
        }
        p
    }

    /// What production mode refuses in `process` (`None`: in any process).
    pub fn production_problems(&self, process: Option<Process>) -> Vec<String> {
        let runs = |wanted: &[Process]| process.is_none_or(|p| wanted.contains(&p));
        let mut p = Vec::new();
        if runs(&[Process::Api]) && self.admin_secret.is_none() {
            p.push("admin_secret: required in production (NAAS_ADMIN_SECRET or NAAS_ADMIN_SECRET_FILE)".into());
        }
        if runs(&[Process::Api, Process::Worker, Process::Reaper]) && self.encryption_key.is_none() {
            p.push("encryption_key: required in production (NAAS_ENCRYPTION_KEY or NAAS_ENCRYPTION_KEY_FILE)".into());
        }
        if runs(&[Process::Api]) && self.tls.cert_file.is_none() && !self.tls.allow_self_signed {
            p.push("tls.cert_file: production needs a certificate (or tls.allow_self_signed = true)".into());
        }
        if runs(&[Process::Worker]) && self.worker.host_key_policy == HostKeyPolicy::AcceptAny {
            p.push("worker.host_key_policy: accept-any is refused in production".into());
        }
        p
    }

    /// The key ring: the configured one, or a fresh one in development.
    pub fn sealer(&self) -> Result<Sealer, crate::seal::SealError> {
        match &self.encryption_key {
            Some(ring) => Sealer::from_ring(ring),
            None => {
                tracing::warn!("no encryption_key configured: generated one for this process only");
                Sealer::from_ring(&Sealer::generate_ring())
            }
        }
    }

    /// The built-in platforms plus those in `jobs.platform_dir`.
    pub fn platforms(&self) -> Result<crate::platform::Platforms, Vec<String>> {
        let dir = Some(self.jobs.platform_dir.as_str()).filter(|d| !d.is_empty()).map(Path::new);
        crate::platform::Platforms::load(dir)
    }

    pub fn result_ttl(&self) -> Duration {
        Duration::from_secs(self.jobs.result_ttl_secs)
    }
}

fn section<T: DeserializeOwned>(cfg: &Config, key: &str, errors: &mut Vec<String>) -> Option<T> {
    match cfg.get::<T>(key) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(format!("{key}: {e}"));
            None
        }
    }
}

fn optional(cfg: &Config, key: &str, errors: &mut Vec<String>) -> Option<Secret<String>> {
    match cfg.get::<Option<String>>(key) {
        Ok(v) => v.filter(|s| !s.is_empty()).map(Secret::new),
        Err(config::ConfigError::NotFound(_)) => None,
        Err(e) => {
            errors.push(format!("{key}: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_load() {
        let s = Settings::defaults();
        assert_eq!(s.prefix, "naas");
        assert_eq!(s.worker.concurrency, 64);
        assert_eq!(s.nats.url, "nats://127.0.0.1:4222");
        assert!(s.admin_secret.is_none());
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = Settings::load_from(
            None,
            env(&[
                ("NAAS_NATS__URL", "nats://10.0.0.1:4222"),
                ("NAAS_WORKER__CONCURRENCY", "8"),
                ("NAAS_PREFIX", "t1"),
                ("NAAS_ADMIN_SECRET", "s3cret-admin-long-enough"),
            ]),
        )
        .unwrap();
        assert_eq!(s.nats.url, "nats://10.0.0.1:4222");
        assert_eq!(s.worker.concurrency, 8);
        assert_eq!(s.prefix, "t1");
        assert_eq!(s.admin_secret.unwrap().expose(), "s3cret-admin-long-enough");
    }

    #[test]
    fn naas_compatible_names_are_accepted() {
        let s = Settings::load_from(
            None,
            env(&[
                ("RATE_LIMIT_PER_CALLER", "7"),
                ("RATE_LIMIT_EXEMPT_ROLES", "admin,operator"),
                ("RATE_LIMIT_WINDOW", "30"),
            ]),
        )
        .unwrap();
        assert_eq!(s.rate_limit.per_caller, 7);
        assert_eq!(s.rate_limit.window_secs, 30);
        assert_eq!(s.rate_limit.exempt_roles, ["admin", "operator"]);
        let ours =
            Settings::load_from(None, env(&[("RATE_LIMIT_PER_CALLER", "7"), ("NAAS_RATE_LIMIT__PER_CALLER", "9")]));
        assert_eq!(ours.unwrap().rate_limit.per_caller, 9, "the NAAS_ form wins");
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let err = Settings::load_from(
            None,
            env(&[
                ("NAAS_WORKER__CONCURRENCY", "lots"),
                ("NAAS_API__LISTEN", "not-an-address"),
                ("NAAS_MODE", "chaos"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        let text = err.to_string();
        assert!(text.contains("worker") && text.contains("api") && text.contains("mode"), "{text}");
    }

    #[test]
    fn a_result_ttl_shorter_than_the_duplicate_window_is_refused() {
        let err = Settings::load_from(
            None,
            env(&[("NAAS_JOBS__RESULT_TTL_SECS", "60"), ("NAAS_NATS__DUPLICATE_WINDOW_SECS", "120")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("jobs.result_ttl_secs: at least nats.duplicate_window_secs (120 s)"), "{err}");
        let equal = env(&[("NAAS_JOBS__RESULT_TTL_SECS", "120"), ("NAAS_NATS__DUPLICATE_WINDOW_SECS", "120")]);
        assert!(Settings::load_from(None, equal).is_ok());
    }

    #[test]
    fn production_refuses_unsafe_settings() {
        let err = Settings::load_from(None, env(&[("NAAS_MODE", "production")])).unwrap_err();
        let text = err.to_string();
        for expected in ["encryption_key", "accept-any", "admin_secret", "tls.cert_file"] {
            assert!(text.contains(expected), "{expected}: {text}");
        }
        let weak = Settings::load_from(None, env(&[("NAAS_ADMIN_SECRET", "short")])).unwrap_err();
        assert!(weak.to_string().contains("at least 16"), "{weak}");
    }

    #[test]
    fn production_asks_each_process_only_for_what_it_uses() {
        let production = || env(&[("NAAS_MODE", "production")]);
        let refused = |process| match Settings::load_for(None, production(), Some(process)) {
            Ok(_) => String::new(),
            Err(errors) => errors.to_string(),
        };
        let api = refused(Process::Api);
        for expected in ["admin_secret", "encryption_key", "tls.cert_file"] {
            assert!(api.contains(expected), "api, {expected}: {api}");
        }
        assert!(!api.contains("accept-any"), "{api}");
        let worker = refused(Process::Worker);
        assert!(worker.contains("encryption_key") && worker.contains("accept-any"), "{worker}");
        assert!(!worker.contains("admin_secret") && !worker.contains("tls.cert_file"), "{worker}");
        let reaper = refused(Process::Reaper);
        assert!(reaper.contains("encryption_key") && !reaper.contains("admin_secret"), "{reaper}");
        assert_eq!(refused(Process::Provisioner), "", "the provisioner needs NATS settings only");
        let weak = Settings::load_for(None, env(&[("NAAS_ADMIN_SECRET", "short")]), Some(Process::Worker)).unwrap_err();
        assert!(weak.to_string().contains("at least 16"), "{weak}");
    }

    #[test]
    fn self_signed_certificate_settings_are_checked() {
        let s = Settings::load_from(
            None,
            env(&[("NAAS_TLS__SELF_SIGNED_NAMES", "api.naas.test,192.0.2.7"), ("NAAS_TLS__SELF_SIGNED_DAYS", "30")]),
        )
        .unwrap();
        assert_eq!(s.tls.self_signed_names, ["api.naas.test", "192.0.2.7"]);
        assert_eq!(s.tls.self_signed_days, 30);
        assert_eq!(Settings::defaults().tls.self_signed_days, 90);
        let err = Settings::load_from(
            None,
            env(&[("NAAS_TLS__SELF_SIGNED_NAMES", "ok.test,not a name"), ("NAAS_TLS__SELF_SIGNED_DAYS", "398")]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"not a name\"") && text.contains("self_signed_days"), "{text}");
        assert!(!text.contains("ok.test"), "{text}");
        let short = Settings::load_from(None, env(&[("NAAS_TLS__SELF_SIGNED_DAYS", "7")])).unwrap_err();
        assert!(short.to_string().contains("renewal window"), "{short}");
    }

    #[test]
    fn secrets_are_not_printed() {
        let s = Settings::load_from(None, env(&[("NAAS_ADMIN_SECRET", "very-secret-value")])).unwrap();
        assert!(!format!("{s:?}").contains("very-secret-value"));
    }

    #[test]
    fn secret_files_are_read() {
        let dir = std::env::temp_dir().join(format!("naas-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("admin");
        std::fs::write(&path, "from-a-file-long-enough\n").unwrap();
        let s = Settings::load_from(None, env(&[("NAAS_ADMIN_SECRET_FILE", path.to_str().unwrap())])).unwrap();
        assert_eq!(s.admin_secret.unwrap().expose(), "from-a-file-long-enough");
        let err = Settings::load_from(None, env(&[("NAAS_ADMIN_SECRET_FILE", "/nonexistent/x")])).unwrap_err();
        assert!(err.to_string().contains("admin_secret"));
    }
}
