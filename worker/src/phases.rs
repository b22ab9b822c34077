//! Timing the phases of a device session (TCP connect, SSH handshake, authentication,
//! shell, prompt, each command, a config push): each one is a tracing span (a trace span
//! when trace export is on) and an observation of `naas_ssh_phase_duration_seconds`.
//!
//! The job task carries the worker's metrics in a task-local, so the session code records
//! its phases without every function taking the registry; outside a job (unit tests, the
//! benchmark) nothing is recorded.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use naas_shared::metrics::Metrics;
use tracing::Instrument;

tokio::task_local! {
    static METRICS: Arc<Metrics>;
}

/// Runs `job` with `metrics` receiving the phases its sessions go through.
pub async fn recording<T>(metrics: Arc<Metrics>, job: impl Future<Output = T>) -> T {
    METRICS.scope(metrics, job).await
}

/// Runs `work` as the phase `phase` (`tcp_connect`, `handshake`, `auth`, `shell`, `command`,
/// `config_push`).
pub async fn timed<T>(phase: &'static str, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let done = work.instrument(tracing::info_span!("ssh", otel.name = phase)).await;
    observe(phase, started);
    done
}

/// Records a phase that began at `started` and ends now.
pub fn observe(phase: &'static str, started: Instant) {
    let _ = METRICS.try_with(|m| m.observe("naas_ssh_phase_duration_seconds", &[("phase", phase)], started.elapsed()));
}
