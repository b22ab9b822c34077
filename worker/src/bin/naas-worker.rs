//! `naas-worker`: configuration → telemetry → build → run jobs until SIGINT/SIGTERM.

use std::process::ExitCode;

use naas_shared::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("naas-worker: {errors}");
            return ExitCode::from(2);
        }
    };
    naas_shared::telemetry::init(&settings.log);
    let token = naas_shared::shutdown::signal_token();
    let worker = match naas_worker::build(settings).await {
        Ok(worker) => worker,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "naas-worker failed to start");
            return ExitCode::FAILURE;
        }
    };
    match worker.run_until_stopped(token).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "naas-worker stopped with an error");
            ExitCode::FAILURE
        }
    }
}
