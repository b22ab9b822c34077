//! Services as real child processes, for tests that kill them (SIGKILL) mid-job. Each gets
//! the stack's settings through the same `NAAS_` environment an operator would use.

use std::process::{Child, Command, Stdio};

use naas_shared::config::Settings;

/// The environment that reproduces the parts of `settings` a worker depends on.
pub fn worker_env(settings: &Settings, name: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("NAAS_PREFIX", settings.prefix.clone()),
        ("NAAS_NATS__URL", settings.nats.url.clone()),
        ("NAAS_NATS__ACK_WAIT_SECS", settings.nats.ack_wait_secs.to_string()),
        ("NAAS_NATS__MAX_DELIVER", settings.nats.max_deliver.to_string()),
        ("NAAS_REDIS__URL", settings.redis.url.expose().clone()),
        ("NAAS_JOBS__MAX_ATTEMPTS", settings.jobs.max_attempts.to_string()),
        ("NAAS_JOBS__DEVICE_CONCURRENCY", settings.jobs.device_concurrency.to_string()),
        ("NAAS_WORKER__NAME", name.to_owned()),
        ("NAAS_WORKER__CONCURRENCY", settings.worker.concurrency.to_string()),
        ("NAAS_WORKER__PROMPT_TIMEOUT_SECS", settings.worker.prompt_timeout_secs.to_string()),
        ("NAAS_WORKER__SHUTDOWN_GRACE_SECS", settings.worker.shutdown_grace_secs.to_string()),
        ("NAAS_REAPER__INTERVAL_SECS", settings.reaper.interval_secs.to_string()),
        ("NAAS_LOG__FILTER", "warn".to_owned()),
    ];
    if !settings.tracing.otlp_endpoint.is_empty() {
        env.push(("NAAS_TRACING__OTLP_ENDPOINT", settings.tracing.otlp_endpoint.clone()));
        env.push(("NAAS_TRACING__EXPORT_INTERVAL_MS", settings.tracing.export_interval_ms.to_string()));
    }
    if let Some(ring) = &settings.encryption_key {
        env.push(("NAAS_ENCRYPTION_KEY", ring.expose().clone()));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A worker process; killed with SIGKILL when dropped.
pub struct WorkerProcess {
    pub name: String,
    child: Child,
}

impl WorkerProcess {
    /// Starts `exe` (the test package's `naas-test-worker`) as worker `name`.
    pub fn spawn(exe: &str, settings: &Settings, name: &str) -> Self {
        let child = Command::new(exe)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(worker_env(settings, name))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("worker process starts");
        Self { name: name.to_owned(), child }
    }

    /// SIGKILL: no drain, no goodbye; its jobs are left mid-flight.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it is still running (it exits on its own only on failure).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
