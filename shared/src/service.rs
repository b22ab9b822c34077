//! The composition root every naas binary shares: settings → logging → build → run until
//! SIGINT/SIGTERM → exit code. Keeps each `main.rs` to a few lines, and every binary
//! behaving the same way on bad configuration (exit 2, every error listed) and on failure.

use std::future::Future;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::config::Settings;

/// A built process, ready to run until its token is cancelled.
pub trait Service {
    fn run_until_stopped(self, token: CancellationToken) -> impl Future<Output = anyhow::Result<()>>;
}

pub async fn main<S, F, Fut>(name: &str, build: F) -> ExitCode
where
    S: Service,
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<S>>,
{
    // aws-lc-rs is the only rustls provider compiled in; install it before any TLS use.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(errors) => {
            eprintln!("{name}: {errors}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.log);
    let token = crate::shutdown::signal_token();
    let service = match build(settings).await {
        Ok(service) => service,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "{name} failed to start");
            return ExitCode::FAILURE;
        }
    };
    match service.run_until_stopped(token).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "{name} stopped with an error");
            ExitCode::FAILURE
        }
    }
}
