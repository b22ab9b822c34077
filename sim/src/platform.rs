//! A platform is data: prompts, mode names, command tables, configuration rules (in
//! `config_rules.rs`), error texts, paging and output texts. The CLI engine (`cli/`) interprets it and the SSH
//! plumbing (`ssh.rs`) only reads its SSH identification, so a new network OS is a new
//! data module (like `ios.rs`) plus one line in [`PLATFORMS`].

use crate::config_store::{Edit, RunningConfig};
use crate::device::CommitRecord;
use crate::settings::DeviceSpec;

pub(crate) use crate::config_rules::{ArgError, Candidate, ConfigAction, ConfigCommand, ConfigRules, Leave, SubMode};
pub(crate) use crate::words::{KeywordError, Match, Token, match_keyword, match_words, tokenize};

pub(crate) struct Platform {
    pub name: &'static str,
    /// What the SSH server announces, e.g. `SSH-2.0-Cisco-1.25`.
    pub ssh_id: &'static str,
    /// Where a new session starts.
    pub login: Level,
    pub prompts: Prompts,
    pub modes: ModeNames,
    /// Keywords may be shortened to any unambiguous prefix (`sh ver`); a shell's may not.
    pub abbreviate: bool,
    pub exec: &'static [ExecCommand],
    pub config: ConfigRules,
    pub errors: Errors,
    pub paging: Paging,
    pub pipes: Pipes,
    pub text: Texts,
}

/// Every platform `build()` accepts.
pub(crate) static PLATFORMS: &[&Platform] = &[
    &crate::ios::CISCO_IOS,
    &crate::ios::CISCO_XE,
    &crate::nxos::CISCO_NXOS,
    &crate::xr::CISCO_XR,
    &crate::eos::ARISTA_EOS,
    &crate::junos::JUNIPER_JUNOS,
    &crate::os10::DELL_OS10,
    &crate::linux::LINUX,
];

pub(crate) fn lookup(name: &str) -> Option<&'static Platform> {
    PLATFORMS.iter().copied().find(|p| p.name == name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    User,
    Exec,
}

/// Prompt templates: `{host}` the current hostname, `{user}` the login name, `{sigil}` `#`
/// for root and `$` otherwise, `{label}` the sub-mode label, `{path}` the sub-mode header.
pub(crate) struct Prompts {
    pub user: &'static str,
    pub exec: &'static str,
    pub config: &'static str,
    pub sub: &'static str,
}

/// Mode names recorded in the command log (sub-modes use [`SubMode::name`]).
pub(crate) struct ModeNames {
    pub user: &'static str,
    pub exec: &'static str,
    pub config: &'static str,
}

pub(crate) struct Paging {
    /// Terminal length of a new session; 0 = no paging.
    pub length: usize,
    pub width: usize,
    /// The pager prompt; `{pct}` becomes the percentage shown so far.
    pub more: &'static str,
    /// Written when the pager prompt is answered, to erase it.
    pub erase: &'static str,
}

/// Output filters after `|`.
pub(crate) struct Pipes {
    /// Keywords of each filter, e.g. `(&["display", "set"], Pipe::DisplaySet)`.
    pub kinds: &'static [(&'static [&'static str], Pipe)],
    /// `a | b | c` chains filters; otherwise the rest of the line is one pattern (IOS).
    pub chain: bool,
    /// `| count` output; `{n}` is the number of lines.
    pub count: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pipe {
    Include,
    Exclude,
    Begin,
    Section,
    Count,
    NoMore,
    DisplaySet,
    Compare,
}

/// Error messages; `{word}` is the offending word.
pub(crate) struct Errors {
    /// The first word is no command.
    pub unknown: Msg,
    /// A later word is wrong.
    pub invalid: Msg,
    pub incomplete: Msg,
    pub ambiguous: Msg,
}

#[derive(Clone, Copy)]
pub(crate) struct Msg {
    /// Print a `^` under the offending word (the end of the line when incomplete) first.
    pub caret: bool,
    pub text: &'static str,
    /// Follow the message with an empty line.
    pub blank: bool,
}

/// An exec-mode command: its keywords, privilege and arguments.
pub(crate) struct ExecCommand {
    pub words: &'static [&'static str],
    pub privileged: bool,
    pub args: Args,
    pub action: Action,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Args {
    None,
    Number(u32, u32),
    OptNumber(u32, u32),
    /// At least one word.
    Rest,
    /// Any words or none.
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Enable,
    Disable,
    Exit,
    /// Asks where to configure from (IOS `configure`).
    Configure,
    ConfigureTerminal,
    /// Junos `configure exclusive`: the candidate is locked to this session, and its
    /// uncommitted changes are discarded when the session leaves configuration mode or ends.
    ConfigureExclusive,
    TerminalLength,
    TerminalWidth,
    Show(Show),
    WriteMemory,
    WriteTerminal,
    CopyRunStart,
    Ping,
    /// Fixed output (possibly none).
    Say(&'static [&'static str]),
}

/// Commands whose output a platform's `show` function writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Show {
    Version,
    RunningConfig,
    StartupConfig,
    IpInterfaceBrief,
    /// `show interfaces [NAME]`: state, addresses and counters per interface.
    Interfaces,
    Clock,
    TechSupport,
    Privilege,
    Terminal,
    CommitList,
    CommitDetail,
    /// The candidate configuration as a whole (Junos `show` in configuration mode).
    Candidate,
    /// The uncommitted changes (XR `show configuration`, Junos `show | compare`).
    Changes,
    Hostname,
    Echo,
    Uname,
    Whoami,
    Id,
    Pwd,
    Cat,
    Ip,
    Date,
}

/// What output functions need to know about the device and the session.
pub(crate) struct ShowCtx<'a> {
    pub spec: &'a DeviceSpec,
    /// The running configuration, or the candidate for [`Show::Candidate`].
    pub config: &'a RunningConfig,
    pub startup: &'a str,
    pub commits: &'a [CommitRecord],
    pub staged: &'a [Edit],
    pub uptime: std::time::Duration,
    pub privileged: bool,
    /// Terminal length and width of the session.
    pub terminal: (usize, usize),
    /// The command's arguments as typed.
    pub args: &'a str,
    /// `| display set` was asked for.
    pub set_form: bool,
}

pub(crate) struct Texts {
    /// Written once when the shell starts, before the first prompt.
    pub banner: &'static str,
    pub password_prompt: &'static str,
    pub access_denied: &'static str,
    pub bad_secrets: &'static str,
    /// Echoed for Ctrl-C before the new line.
    pub interrupt: &'static str,
    /// Printed by `exit` before the session closes.
    pub logout: &'static [&'static str],
    pub copy_destination: &'static str,
    pub configure_from: &'static str,
    pub saved: &'static [&'static str],
    /// Printed by `terminal length` / `width`; `{n}` is the value; empty = nothing.
    pub length_set: &'static str,
    pub width_set: &'static str,
    pub show: fn(Show, &ShowCtx<'_>) -> Vec<String>,
    pub ping: fn(&str) -> Vec<String>,
    pub baseline: fn(&DeviceSpec) -> RunningConfig,
}
