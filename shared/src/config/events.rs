//! Settings of the event-driven outputs: the lifecycle event stream, Server-Sent Events,
//! webhooks and trace export.

use serde::Deserialize;

use crate::secret::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// How long the events stream keeps lifecycle events, seconds.
    pub retention_secs: u64,
    /// Seconds between keep-alive comments on an idle `/v2/jobs/{id}/stream`.
    pub sse_keepalive_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// HMAC-SHA256 key for `X-NAAS-Signature`; unset: webhooks are off and a submission
    /// naming a `webhook_url` is refused (422).
    #[serde(default)]
    pub signing_secret: Option<Secret<String>>,
    /// Pause before each retry of a failed delivery, milliseconds; the delivery is given up
    /// after the last.
    pub retry_delays_ms: Vec<u64>,
    /// One delivery attempt's limit (connect, send, answer), seconds.
    pub timeout_secs: u64,
    /// Accept `http://` targets (otherwise https only).
    pub allow_http: bool,
    /// Accept targets in loopback, link-local, private or other non-public ranges.
    pub allow_private: bool,
    /// Extra PEM CA bundle trusted for receivers' certificates; empty: system roots only.
    pub ca_file: String,
    /// Deliveries one worker makes at once.
    pub concurrency: usize,
}

impl WebhookSettings {
    pub fn enabled(&self) -> bool {
        self.signing_secret.is_some()
    }

    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.retry_delays_ms.is_empty() {
            p.push("webhooks.retry_delays_ms: at least one delay".into());
        }
        if self.signing_secret.as_ref().is_some_and(|s| s.expose().len() < 16) {
            p.push("webhooks.signing_secret: at least 16 characters".into());
        }
        if self.concurrency == 0 {
            p.push("webhooks.concurrency: must be at least 1".into());
        }
        if self.timeout_secs == 0 {
            p.push("webhooks.timeout_secs: must be at least 1".into());
        }
        p
    }
}

/// OpenTelemetry trace export (OTLP over HTTP, protobuf), off unless an endpoint is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSettings {
    /// OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`; empty: no export.
    pub otlp_endpoint: String,
    /// Fraction of new traces kept (0.0–1.0); a trace started upstream keeps its decision.
    pub sample_ratio: f64,
    /// How often finished spans are sent, milliseconds.
    pub export_interval_ms: u64,
}
