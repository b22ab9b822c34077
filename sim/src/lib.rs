//! naas-sim: one process serving a fleet of simulated network devices over SSH, each on
//! its own loopback listener, realistic enough for netmiko's stock drivers.
//!
//! Layout: [`build`] binds the listeners and returns a [`Fleet`]; `ssh.rs` runs the SSH
//! sessions (russh) and `auth.rs` decides logins; `cli/` is the device CLI as a synchronous
//! state machine; a platform (`platform.rs` describes one; the data lives in `ios.rs`,
//! `nxos.rs`, `xr.rs`, `eos.rs`, `junos.rs`, `os10.rs`, `linux.rs` and their `*_text.rs`)
//! supplies prompts, commands, rules and texts; `config_store.rs` keeps each device's
//! configuration and `device.rs` its commits; [`CommandLog`] records every command line for
//! tests.
//!
//! SSH `exec` requests (`ssh host show version`) run that one command in privileged mode
//! without paging, return its output with exit status 0 and close the channel.

mod auth;
mod cli;
mod config_rules;
mod config_store;
mod device;
mod eos;
mod ios;
mod ios_sections;
mod ios_text;
mod ios_version;
mod junos;
mod junos_text;
mod linux;
mod log;
mod nxos;
mod os10;
mod platform;
mod settings;
mod show_interfaces;
mod ssh;
mod text;
mod words;
mod xr;
mod xr_text;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use log::{CommandLog, CommandRecord};
pub use settings::{AuthMethod, DEFAULT_OUTPUT_SIZE, DeviceSpec, SimSettings, USAGE};

use device::Device;

/// How long `run_until_stopped` waits for open sessions to end after cancellation.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A device that is listening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningDevice {
    pub hostname: String,
    pub addr: SocketAddr,
}

/// Every listener bound, nothing accepted yet.
pub struct Fleet {
    /// Each device with its listener, address and SSH server settings (one host key for
    /// the fleet; identification and auth methods per device).
    devices: Vec<(Arc<Device>, TcpListener, SocketAddr, Arc<russh::server::Config>)>,
    log: CommandLog,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet").field("devices", &self.devices()).finish_non_exhaustive()
    }
}

/// Checks the settings, generates the host key and binds every listener (port 0 = any
/// free port). Fails on the first problem, naming the device.
pub async fn build(settings: SimSettings) -> anyhow::Result<Fleet> {
    let mut names = HashSet::new();
    for spec in &settings.devices {
        if spec.hostname.is_empty() || spec.hostname.contains(char::is_whitespace) {
            bail!("device hostname {:?} must be one word", spec.hostname);
        }
        if !names.insert(spec.hostname.as_str()) {
            bail!("device hostname {:?} appears twice", spec.hostname);
        }
        if spec.auth_methods.is_empty() {
            bail!("device {}: auth_methods must name at least one method", spec.hostname);
        }
        if platform::lookup(&spec.platform).is_none() {
            let known: Vec<&str> = platform::PLATFORMS.iter().map(|p| p.name).collect();
            bail!("device {}: unknown platform {:?} (known: {})", spec.hostname, spec.platform, known.join(", "));
        }
    }
    let log = CommandLog::new();
    let key = ssh::host_key()?;
    let mut devices = Vec::new();
    for spec in settings.devices {
        let addr = SocketAddr::new(settings.listen, spec.port);
        let listener =
            TcpListener::bind(addr).await.with_context(|| format!("device {}: binding {addr}", spec.hostname))?;
        let addr = listener.local_addr()?;
        let platform = platform::lookup(&spec.platform).context("platform checked above")?;
        tracing::debug!(device = %spec.hostname, %addr, platform = platform.name, "listening");
        let config = Arc::new(ssh::server_config(&key, platform.ssh_id, &spec.auth_methods));
        devices.push((Arc::new(Device::new(spec, platform, log.clone())), listener, addr, config));
    }
    Ok(Fleet { devices, log })
}

impl Fleet {
    pub fn devices(&self) -> Vec<RunningDevice> {
        self.devices
            .iter()
            .map(|(d, _, addr, _)| RunningDevice { hostname: d.spec.hostname.clone(), addr: *addr })
            .collect()
    }

    /// The shared command log; clones stay readable while (and after) the fleet runs.
    pub fn command_log(&self) -> CommandLog {
        self.log.clone()
    }

    /// Serves every device until `token` is cancelled, then disconnects open sessions and
    /// waits (briefly) for them to end.
    pub async fn run_until_stopped(self, token: CancellationToken) -> anyhow::Result<()> {
        let tracker = TaskTracker::new();
        for (device, listener, _, config) in self.devices {
            tracker.spawn(ssh::serve(listener, device, config, token.clone(), tracker.clone()));
        }
        tracing::info!(devices = tracker.len(), "simulated devices serving");
        token.cancelled().await;
        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait()).await.is_err() {
            tracing::warn!(remaining = tracker.len(), "simulated sessions still open after the grace period");
        }
        tracing::info!("simulated devices stopped");
        Ok(())
    }
}
