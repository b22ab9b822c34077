//! Everything the in-process services log, captured so tests can assert what never
//! appears there (passwords, command output).

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static INSTALLED: OnceLock<()> = OnceLock::new();

#[derive(Clone, Copy)]
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

/// Installs the capturing subscriber once per test process, at debug level for naas and
/// the SSH/NATS libraries, in the JSON format production uses.
pub fn install() {
    install_with_traces(&naas_shared::config::Settings::defaults().tracing, "naas-tests");
}

/// Like [`install`], also exporting trace spans as `service` per `traces` (the first call
/// in a test process decides). Call it from within the test's runtime.
pub fn install_with_traces(traces: &naas_shared::config::TraceSettings, service: &str) {
    INSTALLED.get_or_init(|| {
        let filter = EnvFilter::new(
            "info,naas_api=debug,naas_worker=debug,naas_shared=debug,naas_nats=debug,naas_reaper=debug,naas_sim=debug,russh=debug,async_nats=debug",
        );
        let otel = naas_shared::telemetry::traces::layer(traces, service).expect("trace export builds");
        // The export lives as long as the test process.
        let (otel, export) = otel.map_or((None, None), |(layer, export)| (Some(layer), Some(export)));
        std::mem::forget(export);
        tracing_subscriber::registry()
            .with(filter)
            .with(otel)
            .with(tracing_subscriber::fmt::layer().json().with_writer(Capture))
            .init();
    });
}

/// Everything logged so far by every test in this process.
pub fn captured() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap()).into_owned()
}
