//! Logging set-up: human-readable by default, JSON lines when asked; and, when an OTLP
//! endpoint is configured, trace export ([`traces`]).
//!
//! Called once from each binary's `main`. Tests install their own subscriber instead so
//! they can read what the services logged.

pub mod traces;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::TraceSettings;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info,naas_worker=debug`. `RUST_LOG` wins when set.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: LogFormat::Text, filter: "info".into() }
    }
}

/// The spans exported as trace spans: naas's own, at info and above.
const TRACED: &str = "warn,naas_api=info,naas_worker=info,naas_nats=info,naas_shared=info,naas_reaper=info";

/// Installs the global subscriber (with trace export as `service` when configured). Safe
/// to call once per process; keep the returned export to flush it at exit.
pub fn init(settings: &LogSettings, tracing: &TraceSettings, service: &str) -> Option<traces::TraceExport> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(settings.filter.as_str()));
    let (otel, export) = match traces::layer(tracing, service) {
        Ok(Some((layer, export))) => (Some(layer), Some(export)),
        Ok(None) => (None, None),
        Err(error) => {
            eprintln!("trace export is off: {error:#}");
            (None, None)
        }
    };
    // Traces take naas's own spans whatever the log level, so quiet logs keep full traces.
    let spans = EnvFilter::new(TRACED);
    let registry = tracing_subscriber::registry().with(otel.map(|layer| layer.with_filter(spans)));
    let result = match settings.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr)
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Text => {
            registry.with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter)).try_init()
        }
    };
    if let Err(error) = result {
        eprintln!("logging was already initialised: {error}");
    }
    export
}
