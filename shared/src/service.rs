//! The composition root every naas binary shares: settings → logging → build → run until
//! SIGINT/SIGTERM → exit code. Keeps each `main.rs` to a few lines, and every binary
//! behaving the same way on bad configuration (exit 2, every error listed) and on failure.
//!
//! `<binary> healthcheck` loads the settings the same way, runs the service's probe
//! ([`Service::healthcheck`], bounded by [`HEALTHCHECK_TIMEOUT`]) and exits 0 or 1: the
//! container images have no shell and no curl, so the binary checks itself.
//!
//! `<binary> provision` creates or updates the NATS topology ([`Service::provision`]) and
//! exits 0 or 1: run once before a rollout (the Helm hook job) so that a topology NATS
//! refuses stops the upgrade before any pod rolls.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::{Process, Settings};

/// A built process, ready to run until its token is cancelled.
pub trait Service {
    /// Which process this is: production mode checks only the settings it uses.
    const PROCESS: Process;

    fn run_until_stopped(self, token: CancellationToken) -> impl Future<Output = anyhow::Result<()>>;

    /// Whether a process of this kind, configured with `settings`, is healthy: run by
    /// `<binary> healthcheck` from outside the running process (container health checks).
    fn healthcheck(settings: &Settings) -> impl Future<Output = anyhow::Result<()>>;

    /// Creates or updates the NATS topology the services share, then returns.
    fn provision(settings: &Settings) -> impl Future<Output = anyhow::Result<()>>;
}

/// What a binary was asked to do by its first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Serve,
    Healthcheck,
    Provision,
}

impl Command {
    fn parse(arg: Option<&str>) -> Result<Self, String> {
        match arg {
            None => Ok(Self::Serve),
            Some("healthcheck") => Ok(Self::Healthcheck),
            Some("provision") => Ok(Self::Provision),
            Some(other) => Err(format!("unknown subcommand {other:?} (expected none, healthcheck or provision)")),
        }
    }
}

/// How long `healthcheck` may take before it counts as a failure; container health check
/// timeouts must be longer.
pub const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `S`'s health probe within [`HEALTHCHECK_TIMEOUT`].
pub async fn healthcheck<S: Service>(settings: &Settings) -> anyhow::Result<()> {
    match tokio::time::timeout(HEALTHCHECK_TIMEOUT, S::healthcheck(settings)).await {
        Ok(outcome) => outcome,
        Err(_) => anyhow::bail!("no answer within {} s", HEALTHCHECK_TIMEOUT.as_secs()),
    }
}

pub async fn main<S, F, Fut>(name: &str, build: F) -> ExitCode
where
    S: Service,
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<S>>,
{
    // aws-lc-rs is the only rustls provider compiled in; install it before any TLS use.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let command = match Command::parse(std::env::args().nth(1).as_deref()) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("{name}: {error}");
            return ExitCode::from(2);
        }
    };
    let process = if command == Command::Provision { Process::Provisioner } else { S::PROCESS };
    let settings = match Settings::load(process) {
        Ok(settings) => settings,
        Err(errors) => {
            eprintln!("{name}: {errors}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Serve => {}
        Command::Healthcheck => {
            return match healthcheck::<S>(&settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("{name} healthcheck: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Provision => {
            return match S::provision(&settings).await {
                Ok(()) => {
                    println!("{name} provision: NATS topology of prefix {:?} is in place", settings.prefix);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("{name} provision: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
    }
    let export = crate::telemetry::init(&settings.log, &settings.tracing, name);
    let token = crate::shutdown::signal_token();
    let service = match build(settings).await {
        Ok(service) => service,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "{name} failed to start");
            return ExitCode::FAILURE;
        }
    };
    let code = match service.run_until_stopped(token).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "{name} stopped with an error");
            ExitCode::FAILURE
        }
    };
    if let Some(export) = export {
        export.shutdown().await;
    }
    code
}
