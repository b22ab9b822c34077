//! What the simulated devices were asked to do, readable while the fleet runs.
//!
//! Every non-empty line typed at a device prompt is recorded (valid or not), in the order
//! the device executed it, together with the mode it was typed in. Answers to password
//! and confirmation prompts are not command lines and are never recorded.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// Oldest records are dropped beyond this many, so a long-running simulator stays bounded.
const MAX_RECORDS: usize = 200_000;

/// One command line as a device executed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    /// The device's configured hostname (its identity in the fleet, not the current prompt).
    pub hostname: String,
    /// The line as typed, trimmed (abbreviations are not expanded).
    pub command: String,
    /// The mode the line was typed in: `user`, `privileged`, `config`, or a configuration
    /// sub-mode such as `config-if`, `config-router`, `config-line`, `config-vlan`.
    pub mode: String,
}

#[derive(Default)]
struct Inner {
    records: VecDeque<CommandRecord>,
    sessions: HashMap<String, usize>,
}

/// Shared, cheaply cloneable log of every device in a fleet.
#[derive(Clone, Default)]
pub struct CommandLog {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for CommandLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("CommandLog").field("records", &inner.records.len()).field("sessions", &inner.sessions).finish()
    }
}

impl CommandLog {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the data half-written, so keep going.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every recorded command, oldest first.
    pub fn entries(&self) -> Vec<CommandRecord> {
        self.lock().records.iter().cloned().collect()
    }

    /// The recorded commands of one device, oldest first.
    pub fn entries_for(&self, hostname: &str) -> Vec<CommandRecord> {
        self.lock().records.iter().filter(|r| r.hostname == hostname).cloned().collect()
    }

    /// How many successful SSH logins the device has accepted.
    pub fn sessions_opened(&self, hostname: &str) -> usize {
        self.lock().sessions.get(hostname).copied().unwrap_or(0)
    }

    pub(crate) fn record(&self, hostname: &str, command: &str, mode: &str) {
        // For whoever watches a simulator in a container (`RUST_LOG=naas_sim::commands=debug`).
        tracing::debug!(target: "naas_sim::commands", device = hostname, mode, command, "command");
        let mut inner = self.lock();
        if inner.records.len() >= MAX_RECORDS {
            inner.records.pop_front();
        }
        inner.records.push_back(CommandRecord {
            hostname: hostname.to_owned(),
            command: command.to_owned(),
            mode: mode.to_owned(),
        });
    }

    pub(crate) fn session_opened(&self, hostname: &str) {
        *self.lock().sessions.entry(hostname.to_owned()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_order_and_counts_sessions() {
        let log = CommandLog::new();
        log.record("r1", "show version", "privileged");
        log.record("r2", "conf t", "privileged");
        log.session_opened("r1");
        log.session_opened("r1");
        let clone = log.clone();
        assert_eq!(clone.entries().len(), 2);
        assert_eq!(clone.entries()[1].command, "conf t");
        assert_eq!(clone.entries_for("r1").len(), 1);
        assert_eq!(clone.sessions_opened("r1"), 2);
        assert_eq!(clone.sessions_opened("r9"), 0);
    }
}
