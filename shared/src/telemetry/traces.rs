//! OpenTelemetry traces: the export pipeline (OTLP over HTTP, batched on the Tokio
//! runtime), and carrying a trace across processes as a W3C `traceparent` value (NATS
//! message headers, HTTP headers).
//!
//! Spans are ordinary `tracing` spans; the `tracing-opentelemetry` layer turns them into
//! trace spans when export is on. When it is off, nothing here costs more than a lookup.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{BatchConfigBuilder, Sampler, SdkTracerProvider, Tracer};
use tracing::Span;
use tracing::subscriber::Subscriber;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};
use tracing_subscriber::registry::LookupSpan;

use crate::config::TraceSettings;

/// The running export; [`TraceExport::shutdown`] sends what is still buffered.
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    pub async fn shutdown(self) {
        let provider = self.provider;
        let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    }
}

/// The layer exporting spans as `service`, or `None` when no endpoint is configured.
/// Must be called within the Tokio runtime (the batch export runs on it).
pub fn layer<S>(
    settings: &TraceSettings,
    service: &str,
) -> anyhow::Result<Option<(OpenTelemetryLayer<S, Tracer>, TraceExport)>>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    if settings.otlp_endpoint.is_empty() {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(settings.otlp_endpoint.as_str())
        .with_timeout(Duration::from_secs(10))
        .build()
        .context("building the OTLP exporter")?;
    let batches = BatchConfigBuilder::default()
        .with_scheduled_delay(Duration::from_millis(settings.export_interval_ms.max(10)))
        .build();
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).with_batch_config(batches).build();
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service.to_owned()).build();
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(settings.sample_ratio)));
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(sampler)
        .with_resource(resource)
        .build();
    // Also global, for spans recorded after the fact (a job's wait in the queue).
    opentelemetry::global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer("naas");
    Ok(Some((tracing_opentelemetry::layer().with_tracer(tracer), TraceExport { provider })))
}

/// The `traceparent` of the current span, if it belongs to a sampled trace.
pub fn traceparent() -> Option<String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&Span::current().context(), &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the remote span a `traceparent` names (another process's).
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    let Some(value) = traceparent else { return };
    let carrier = HashMap::from([("traceparent".to_owned(), value.to_owned())]);
    let parent = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(parent);
}

/// Records a span that already happened (e.g. a job's wait in the queue) under `parent`.
pub fn past_span(name: &'static str, parent: &Span, start: SystemTime, end: SystemTime) {
    let tracer = opentelemetry::global::tracer("naas");
    let mut span = tracer.span_builder(name).with_start_time(start).start_with_context(&tracer, &parent.context());
    span.end_with_timestamp(end);
}
