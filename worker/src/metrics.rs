//! The worker's metrics, served on `worker.metrics_listen` with the queue backlog.

use std::time::Duration;

use naas_shared::job::JobDocument;
use naas_shared::metrics::{Def, Metrics, counter, gauge, histogram};

pub const CATALOGUE: &[Def] = &[
    histogram(
        "naas_job_duration_seconds",
        "From start (or enqueue) to the end of jobs this worker settled, by kind and status.",
    ),
    histogram("naas_job_queue_wait_seconds", "From submission to a job's first start, by kind."),
    histogram(
        "naas_ssh_phase_duration_seconds",
        "Device session phases: tcp_connect, handshake, auth, shell, prompt, command, config_push.",
    ),
    counter("naas_job_retries_total", "Read-only jobs queued again after a connection failure, by error_code."),
    gauge("naas_jobs_in_flight", "Jobs this worker is running on their devices now."),
    gauge("naas_ssh_sessions_active", "SSH sessions driving a job now."),
    gauge("naas_ssh_sessions_pooled", "Idle SSH sessions kept for reuse."),
    counter("naas_ssh_sessions_opened_total", "SSH sessions opened afresh."),
    counter("naas_ssh_sessions_reused_total", "Jobs that ran on a pooled session."),
    counter(
        "naas_webhook_deliveries_total",
        "Webhook attempts, by outcome: delivered, retried, given_up, refused (target not allowed).",
    ),
    counter(
        "naas_circuit_breaker_transitions_total",
        "Device circuits this worker opened or closed, by state reached (open, closed).",
    ),
];

/// A job started: its wait in the queue (histogram, and a `queue_wait` trace span under
/// the job's), for its first attempt (a retry's wait is its backoff, not queueing).
pub fn started(metrics: &Metrics, doc: &JobDocument) {
    if doc.attempts == 1 {
        let now = naas_shared::now();
        let waited = (now - doc.enqueued_at).try_into().unwrap_or_default();
        metrics.observe("naas_job_queue_wait_seconds", &[("kind", doc.kind.as_str())], waited);
        let span = tracing::Span::current();
        naas_shared::telemetry::traces::past_span("queue_wait", &span, doc.enqueued_at.into(), now.into());
    }
}

/// This worker settled a job: its outcome and duration.
pub fn settled(metrics: &Metrics, doc: &JobDocument) {
    metrics.job_settled(doc.status.as_str(), doc.error_code.map(|c| c.as_str()));
    let took = Duration::from_millis(doc.duration_ms.unwrap_or_default());
    metrics.observe("naas_job_duration_seconds", &[("kind", doc.kind.as_str()), ("status", doc.status.as_str())], took);
}
