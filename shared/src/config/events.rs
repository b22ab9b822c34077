//! Settings of the event-driven outputs: the lifecycle event stream, Server-Sent Events,
//! webhooks and trace export.

use serde::Deserialize;

use crate::secret::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// How long the events stream keeps lifecycle events, seconds.
    pub retention_secs: u64,
    /// Bytes the events stream keeps at most; beyond it the oldest events leave first.
    pub max_bytes: i64,
    /// Events the stream keeps at most (-1: no count limit).
    pub max_msgs: i64,
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::config::Settings;

    #[test]
    fn defaults_and_environment() {
        let s = Settings::defaults();
        assert_eq!((s.events.retention_secs, s.events.sse_keepalive_secs), (86400, 15));
        assert_eq!(s.webhooks.retry_delays_ms, [5000, 30000, 300000, 1800000]);
        assert!(!s.webhooks.enabled() && !s.webhooks.allow_private && !s.webhooks.allow_http);
        assert!(s.tracing.otlp_endpoint.is_empty(), "trace export is off by default");
        assert!(s.worker.metrics_listen.is_none() && s.reaper.metrics_listen.is_none());
        let env: HashMap<String, String> = [
            ("NAAS_WEBHOOKS__RETRY_DELAYS_MS", "100,200"),
            ("NAAS_WEBHOOKS__SIGNING_SECRET", "sixteen-chars-at-least"),
            ("NAAS_WORKER__METRICS_LISTEN", "0.0.0.0:9464"),
            ("NAAS_TRACING__OTLP_ENDPOINT", "http://127.0.0.1:4318/v1/traces"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let s = Settings::load_from(None, env).unwrap();
        assert_eq!(s.webhooks.retry_delays_ms, [100, 200]);
        assert!(s.webhooks.enabled());
        assert_eq!(s.worker.metrics_listen, Some("0.0.0.0:9464".parse().unwrap()));
        assert_eq!(s.tracing.otlp_endpoint, "http://127.0.0.1:4318/v1/traces");
    }

    #[test]
    fn bad_values_are_reported() {
        let env: HashMap<String, String> = [
            ("NAAS_WEBHOOKS__SIGNING_SECRET", "short"),
            ("NAAS_TRACING__SAMPLE_RATIO", "1.5"),
            ("NAAS_EVENTS__SSE_KEEPALIVE_SECS", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let text = Settings::load_from(None, env).unwrap_err().to_string();
        for key in ["webhooks.signing_secret", "tracing.sample_ratio", "events.sse_keepalive_secs"] {
            assert!(text.contains(key), "{key}: {text}");
        }
    }
}
