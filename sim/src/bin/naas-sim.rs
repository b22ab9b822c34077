//! `naas-sim`: serve simulated network devices until SIGINT/SIGTERM.
//! See `naas-sim --help` (or `naas_sim::USAGE`) for the arguments.

use std::io::Write;
use std::process::ExitCode;

use naas_shared::shutdown::signal_token;
use naas_shared::telemetry::{LogSettings, init};
use naas_sim::{SimSettings, USAGE};

#[tokio::main]
async fn main() -> ExitCode {
    // Logs only: the simulator exports no traces.
    let defaults = naas_shared::config::Settings::defaults();
    init(&LogSettings::default(), &defaults.tracing, "naas-sim");
    let settings = match SimSettings::from_args(std::env::args().skip(1)) {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("naas-sim: {error:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let token = signal_token();
    let fleet = match naas_sim::build(settings).await {
        Ok(fleet) => fleet,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "cannot start the simulated devices");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    for device in fleet.devices() {
        let _ = writeln!(stdout, "{} {}", device.hostname, device.addr);
    }
    let _ = stdout.flush();
    drop(stdout);
    match fleet.run_until_stopped(token).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "simulator failed");
            ExitCode::FAILURE
        }
    }
}
