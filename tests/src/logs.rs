//! Everything the in-process services log, captured so tests can assert what never
//! appears there (passwords, command output).

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

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
    INSTALLED.get_or_init(|| {
        let filter = EnvFilter::new(
            "info,naas_api=debug,naas_worker=debug,naas_shared=debug,naas_nats=debug,naas_reaper=debug,naas_sim=debug,russh=debug,async_nats=debug",
        );
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(Capture).init();
    });
}

/// Everything logged so far by every test in this process.
pub fn captured() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap()).into_owned()
}
