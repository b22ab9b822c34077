//! One simulated device: its spec, platform and state shared by all of its sessions.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::config_store::{Edit, RunningConfig};
use crate::log::CommandLog;
use crate::platform::Platform;
use crate::settings::DeviceSpec;

/// Commit history kept per device (Junos keeps 50 rollbacks).
const MAX_COMMITS: usize = 50;

/// XR numbers commits from here.
const FIRST_COMMIT_ID: u64 = 1_000_000_001;

pub(crate) struct Device {
    pub spec: DeviceSpec,
    pub platform: &'static Platform,
    pub log: CommandLog,
    pub booted: Instant,
    state: Mutex<State>,
}

/// One commit of a candidate configuration.
#[derive(Clone, Debug)]
pub(crate) struct CommitRecord {
    pub id: u64,
    pub user: String,
    pub comment: Option<String>,
    pub at: OffsetDateTime,
    /// `commit confirmed`: the rollback timeout, while not yet confirmed.
    pub confirm: Option<Duration>,
    /// The configuration before this commit (what `rollback 1` loads after it).
    pub before: RunningConfig,
}

pub(crate) struct State {
    pub running: RunningConfig,
    /// `show startup-config` text, replaced by `write memory`.
    pub startup: String,
    /// The shared candidate's uncommitted changes (Junos).
    pub candidate: Vec<Edit>,
    /// Oldest first.
    pub commits: Vec<CommitRecord>,
    /// A `commit confirmed` waiting for confirmation: when it rolls back, and to what.
    pending: Option<(Instant, RunningConfig)>,
}

/// What a `commit` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CommitRequest {
    pub comment: Option<String>,
    pub confirm: Option<Duration>,
    pub check: bool,
    pub and_quit: bool,
}

impl State {
    /// Rolls back an unconfirmed `commit confirmed` whose time is up.
    fn settle(&mut self, now: Instant) {
        if let Some((deadline, before)) = self.pending.take_if(|(deadline, _)| *deadline <= now) {
            tracing::info!(late = ?now.duration_since(deadline), "commit confirmed timed out: rolling back");
            self.running = before;
            if let Some(last) = self.commits.last_mut() {
                last.confirm = None;
            }
        }
    }

    /// Applies `edits` to the running configuration and records the commit. A plain
    /// commit confirms a pending `commit confirmed`.
    pub fn commit(&mut self, edits: &[Edit], user: &str, request: &CommitRequest) {
        let before = self.running.clone();
        for edit in edits {
            self.running.apply(edit);
        }
        let id = self.commits.last().map_or(FIRST_COMMIT_ID, |c| c.id + 1);
        if let Some(last) = self.commits.last_mut() {
            last.confirm = None;
        }
        self.pending = match request.confirm {
            Some(timeout) => {
                let rollback_to = self.pending.take().map_or_else(|| before.clone(), |(_, old)| old);
                Some((Instant::now() + timeout, rollback_to))
            }
            None => None,
        };
        self.commits.push(CommitRecord {
            id,
            user: user.to_owned(),
            comment: request.comment.clone(),
            at: OffsetDateTime::now_utc(),
            confirm: request.confirm,
            before,
        });
        if self.commits.len() > MAX_COMMITS {
            self.commits.remove(0);
        }
    }

    /// The configuration `n` commits ago (0 = the running configuration).
    pub fn rollback(&self, n: usize) -> Option<RunningConfig> {
        match n {
            0 => Some(self.running.clone()),
            n => self.commits.len().checked_sub(n).map(|i| self.commits[i].before.clone()),
        }
    }
}

impl Device {
    pub fn new(spec: DeviceSpec, platform: &'static Platform, log: CommandLog) -> Self {
        let running = (platform.text.baseline)(&spec);
        let startup = running.lines().join("\n");
        let state = State { running, startup, candidate: Vec::new(), commits: Vec::new(), pending: None };
        Self { spec, platform, log, booted: Instant::now(), state: Mutex::new(state) }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.settle(Instant::now());
        state
    }

    pub fn hostname(&self) -> String {
        self.state().running.hostname().to_owned()
    }

    /// Username and password check for both SSH password and keyboard-interactive auth.
    pub fn accepts_login(&self, user: &str, password: &[u8]) -> bool {
        user == self.spec.username && password == self.spec.password.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmed_commits_roll_back_unless_confirmed() {
        let device =
            Device::new(DeviceSpec::new("cisco_xr", "xr1", "u", "p", ""), &crate::xr::CISCO_XR, CommandLog::new());
        let edit = [Edit::Global("hostname xr9".into())];
        let confirmed = CommitRequest { confirm: Some(Duration::ZERO), ..CommitRequest::default() };
        device.state().commit(&edit, "u", &confirmed);
        assert_eq!(device.hostname(), "xr1", "a zero timeout has already expired");
        let confirmed = CommitRequest { confirm: Some(Duration::from_secs(600)), ..CommitRequest::default() };
        device.state().commit(&edit, "u", &confirmed);
        device.state().commit(&[], "u", &CommitRequest::default());
        let mut state = device.state();
        state.settle(Instant::now() + Duration::from_secs(3600));
        assert_eq!(state.running.hostname(), "xr9", "the second commit confirmed the first");
        assert_eq!(state.commits.len(), 3);
        assert_eq!(state.rollback(2).map(|c| c.hostname().to_owned()).as_deref(), Some("xr1"));
        assert!(state.rollback(4).is_none());
    }
}
