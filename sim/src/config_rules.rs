//! The configuration-mode part of a platform: its own commands, which lines it accepts
//! where, its sub-modes, and how a candidate configuration behaves.

use crate::platform::{Args, Show};

/// Checks a Junos-style statement's words and returns them canonical.
pub(crate) type StatementCheck = fn(&[&str]) -> Result<Vec<String>, ArgError>;

/// Configuration mode.
pub(crate) struct ConfigRules {
    /// Printed on entering and leaving configuration mode.
    pub enter: &'static [&'static str],
    pub leave: &'static [&'static str],
    /// Commands the engine runs itself (`end`, `do`, `no`, `commit`, `set`, ...).
    pub commands: &'static [ConfigCommand],
    /// First keywords of configuration lines accepted at the global level.
    pub global: &'static [&'static str],
    /// Global keywords that are complete without arguments.
    pub global_bare: &'static [&'static str],
    /// Sub-modes; with a `statement` checker the first one is the edit level.
    pub submodes: &'static [SubMode],
    /// Junos-style statements (`set`, `delete`, `edit`): checks the words (edit level
    /// first) and returns them canonical.
    pub statement: Option<StatementCheck>,
    /// Lines are staged until `commit` (IOS-XR, Junos) instead of applied at once.
    pub candidate: Option<Candidate>,
    /// Ctrl-Z leaves configuration mode like `end`.
    pub ctrl_z: bool,
}

#[derive(Clone, Copy)]
pub(crate) struct ConfigCommand {
    pub words: &'static [&'static str],
    pub args: Args,
    pub action: ConfigAction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigAction {
    /// Runs the rest of the line as an exec command (`do`, Junos `run`).
    Do,
    /// Runs the whole line as an exec command (`show` in configuration mode).
    Exec,
    /// Back to exec mode.
    End,
    /// Up one level; from the top like `end`.
    Exit,
    /// Back to the top configuration level.
    Top,
    /// Junos `exit configuration-mode`: leaves even with uncommitted changes.
    LeaveConfig,
    /// `no ...` / `default ...`.
    Negate,
    Commit,
    /// Discards the uncommitted changes and leaves (XR `abort`).
    Abort,
    /// Junos `rollback [n]`: loads a committed configuration into the candidate.
    Rollback,
    Show(Show),
    Set,
    Delete,
    Edit,
}

/// How a candidate configuration behaves.
pub(crate) struct Candidate {
    /// One candidate per device (Junos `configure`) rather than one per session (XR).
    pub shared: bool,
    /// Asked by `end`/`exit` when there are uncommitted changes.
    pub question: &'static str,
    /// Answers to the question (any prefix), and what an empty or other answer does.
    pub answers: &'static [(&'static str, Leave)],
    pub default: Leave,
    /// Printed when leaving (or entering) with uncommitted changes.
    pub dirty: &'static [&'static str],
    /// Printed by `commit` when nothing is staged; `None` commits anyway.
    pub nothing: Option<&'static str>,
    pub committed: &'static [&'static str],
    /// Printed by `commit confirmed`; `{minutes}` is the timeout.
    pub confirmed: &'static [&'static str],
    pub checked: &'static [&'static str],
    pub rolled_back: &'static [&'static str],
    /// `commit confirmed <n>` counts seconds (XR) rather than minutes (Junos).
    pub seconds: bool,
    /// Default `commit confirmed` timeout in seconds.
    pub confirm_default: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leave {
    Commit,
    Discard,
    /// Leave; the changes stay in the candidate.
    Keep,
    Stay,
}

pub(crate) struct SubMode {
    /// Shown in the prompt unless `label` says otherwise, and recorded in the command log.
    pub name: &'static str,
    /// Global keywords that enter this mode, e.g. `["interface"]` or `["ip", "access-list"]`.
    pub enter: &'static [&'static str],
    /// Checks the arguments after `enter` and returns the canonical section header.
    pub header: fn(&[&str]) -> Result<String, ArgError>,
    pub keywords: &'static [&'static str],
    /// Keywords complete without arguments (`shutdown`).
    pub bare: &'static [&'static str],
    /// The prompt label from the header (EOS `config-if-Et1`).
    pub label: Option<fn(&str) -> String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgError {
    /// The argument at this index (relative to the arguments) is wrong.
    Invalid(usize),
    Incomplete,
}
