//! One simulated device: its spec, platform and state shared by all of its sessions.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::config_store::RunningConfig;
use crate::log::CommandLog;
use crate::platform::Platform;
use crate::settings::DeviceSpec;

pub(crate) struct Device {
    pub spec: DeviceSpec,
    pub platform: &'static Platform,
    pub log: CommandLog,
    pub booted: Instant,
    state: Mutex<State>,
}

pub(crate) struct State {
    pub running: RunningConfig,
    /// `show startup-config` text, replaced by `write memory`.
    pub startup: String,
}

impl Device {
    pub fn new(spec: DeviceSpec, platform: &'static Platform, log: CommandLog) -> Self {
        let running = (platform.text.baseline)(&spec);
        let startup = running.lines().join("\n");
        Self { spec, platform, log, booted: Instant::now(), state: Mutex::new(State { running, startup }) }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn hostname(&self) -> String {
        self.state().running.hostname().to_owned()
    }

    /// Username and password check for both SSH password and keyboard-interactive auth.
    pub fn accepts_login(&self, user: &str, password: &[u8]) -> bool {
        user == self.spec.username && password == self.spec.password.as_bytes()
    }
}
