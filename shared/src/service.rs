//! The composition root every naas binary shares: settings → logging → build → run until
//! SIGINT/SIGTERM → exit code. Keeps each `main.rs` to a few lines, and every binary
//! behaving the same way on bad configuration (exit 2, every error listed) and on failure.
//!
//! `<binary> healthcheck` loads the settings the same way, runs the service's probe
//! ([`Service::healthcheck`], bounded by [`HEALTHCHECK_TIMEOUT`]) and exits 0 or 1: the
//! container images have no shell and no curl, so the binary checks itself.
//!
//! `<binary> probe https://HOST:PORT/PATH` asks another API for PATH (any certificate,
//! expecting 200) without loading settings: the chart's `helm test` pod runs it against
//! the API's service with the API image, which has no curl.
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
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Serve,
    Healthcheck,
    Provision,
    Probe(url::Url),
}

impl Command {
    fn parse(arg: Option<&str>, operand: Option<&str>) -> Result<Self, String> {
        match arg {
            None => Ok(Self::Serve),
            Some("healthcheck") => Ok(Self::Healthcheck),
            Some("provision") => Ok(Self::Provision),
            Some("probe") => match operand.map(url::Url::parse) {
                Some(Ok(url)) if url.scheme() == "https" && url.host_str().is_some() => Ok(Self::Probe(url)),
                _ => Err("probe takes one https:// URL, e.g. probe https://naas-api:443/readyz".to_owned()),
            },
            Some(other) => {
                Err(format!("unknown subcommand {other:?} (expected none, healthcheck, probe or provision)"))
            }
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
    let args: Vec<String> = std::env::args().collect();
    let command = match Command::parse(args.get(1).map(String::as_str), args.get(2).map(String::as_str)) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("{name}: {error}");
            return ExitCode::from(2);
        }
    };
    if let Command::Probe(url) = &command {
        let probe = tokio::time::timeout(HEALTHCHECK_TIMEOUT, crate::healthcheck::probe(url.clone()));
        return match probe.await.unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within 5 s"))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{name} probe: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let process = if command == Command::Provision { Process::Provisioner } else { S::PROCESS };
    let settings = match Settings::load(process) {
        Ok(settings) => settings,
        Err(errors) => {
            eprintln!("{name}: {errors}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Serve | Command::Probe(_) => {}
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

#[cfg(test)]
mod tests {
    use super::Command;

    #[test]
    fn subcommands_parse_and_probe_wants_an_https_url() {
        assert_eq!(Command::parse(None, None), Ok(Command::Serve));
        assert_eq!(Command::parse(Some("healthcheck"), None), Ok(Command::Healthcheck));
        let url = "https://naas-api:443/readyz";
        assert_eq!(Command::parse(Some("probe"), Some(url)), Ok(Command::Probe(url.parse().unwrap())));
        assert!(Command::parse(Some("probe"), None).is_err());
        assert!(Command::parse(Some("probe"), Some("http://naas-api/readyz")).is_err());
        assert!(Command::parse(Some("serve"), None).is_err());
    }
}
