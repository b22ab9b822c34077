//! `naas-reaper`: configuration → telemetry → build → sweep until SIGINT/SIGTERM.

use std::process::ExitCode;

use naas_shared::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("naas-reaper: {errors}");
            return ExitCode::from(2);
        }
    };
    naas_shared::telemetry::init(&settings.log);
    let token = naas_shared::shutdown::signal_token();
    let reaper = match naas_reaper::build(settings).await {
        Ok(reaper) => reaper,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "naas-reaper failed to start");
            return ExitCode::FAILURE;
        }
    };
    match reaper.run_until_stopped(token).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "naas-reaper stopped with an error");
            ExitCode::FAILURE
        }
    }
}
