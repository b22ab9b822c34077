//! A platform is data: its command table, configuration rules and texts. The CLI engine
//! (`cli/`) interprets it and the SSH plumbing (`ssh.rs`) knows nothing about it, so a new
//! network OS is a new data module next to `ios.rs` plus one line in [`lookup`].

use crate::config_store::RunningConfig;
use crate::settings::DeviceSpec;

pub(crate) struct Platform {
    pub name: &'static str,
    pub exec: &'static [ExecCommand],
    pub config: ConfigRules,
    pub text: Texts,
}

/// The platforms `build()` accepts.
pub(crate) fn lookup(name: &str) -> Option<&'static Platform> {
    [&crate::ios::CISCO_IOS].into_iter().find(|p| p.name == name)
}

/// An exec-mode command: its keywords (each may be abbreviated), privilege and arguments.
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
    Rest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Enable,
    Disable,
    Exit,
    Configure,
    ConfigureTerminal,
    TerminalLength,
    TerminalWidth,
    Show(Show),
    WriteMemory,
    WriteTerminal,
    CopyRunStart,
    Ping,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Show {
    Version,
    RunningConfig,
    StartupConfig,
    IpInterfaceBrief,
    Clock,
    TechSupport,
    Privilege,
    Terminal,
}

/// Configuration mode: which first keywords are accepted where.
pub(crate) struct ConfigRules {
    pub global: &'static [&'static str],
    /// Global keywords that are complete without arguments.
    pub global_bare: &'static [&'static str],
    pub submodes: &'static [SubMode],
    /// Line prefixes that hold one value: setting one replaces the previous line.
    pub singletons: &'static [&'static str],
}

pub(crate) struct SubMode {
    /// Shown in the prompt, `host(config-if)#`, and recorded in the command log.
    pub name: &'static str,
    /// Global keywords that enter this mode, e.g. `["interface"]` or `["ip", "access-list"]`.
    pub enter: &'static [&'static str],
    /// Checks the arguments after `enter` and returns the canonical section header.
    pub header: fn(&[&str]) -> Result<String, ArgError>,
    pub keywords: &'static [&'static str],
    /// Keywords complete without arguments (`shutdown`).
    pub bare: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgError {
    /// The argument at this index (relative to the arguments) is wrong.
    Invalid(usize),
    Incomplete,
}

/// What `show` needs to know about the device.
pub(crate) struct ShowCtx<'a> {
    pub spec: &'a DeviceSpec,
    pub config: &'a RunningConfig,
    pub startup: &'a str,
    pub uptime: std::time::Duration,
    pub privileged: bool,
    /// Terminal length and width of the session.
    pub terminal: (usize, usize),
}

pub(crate) struct Texts {
    /// Written once when the shell starts, before the first prompt.
    pub banner: &'static str,
    pub enter_config: &'static str,
    pub password_prompt: &'static str,
    pub access_denied: &'static str,
    pub bad_secrets: &'static str,
    pub invalid_input: &'static str,
    pub incomplete: &'static str,
    pub ambiguous: &'static str,
    pub more: &'static str,
    pub copy_destination: &'static str,
    pub configure_from: &'static str,
    pub saved: &'static [&'static str],
    pub show: fn(Show, &ShowCtx<'_>) -> Vec<String>,
    pub ping: fn(&str) -> Vec<String>,
    pub baseline: fn(&DeviceSpec) -> RunningConfig,
}

/// A word of a command line and where it starts (for the `^` marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub start: usize,
    pub text: &'a str,
}

pub(crate) fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                tokens.push(Token { start: s, text: &line[s..i] });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push(Token { start: s, text: &line[s..] });
    }
    tokens
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Match<T> {
    /// The entry and how many tokens its keywords used.
    Found(T, usize),
    /// The token at this index matches nothing.
    Invalid(usize),
    Incomplete,
    /// The token at this index is a prefix of several keywords.
    Ambiguous(usize),
}

/// IOS-style keyword matching: each token may be any unambiguous prefix of the keyword at
/// its position; an exact keyword always wins.
pub(crate) fn match_words<'t, T: Copy>(
    entries: impl IntoIterator<Item = T>,
    words: impl Fn(T) -> &'t [&'t str],
    tokens: &[Token<'_>],
) -> Match<T> {
    let mut candidates: Vec<T> = entries.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        let typed = token.text.to_ascii_lowercase();
        let continuing: Vec<T> =
            candidates.iter().copied().filter(|&e| words(e).get(i).is_some_and(|w| w.starts_with(&typed))).collect();
        if continuing.is_empty() {
            return match candidates.iter().copied().find(|&e| words(e).len() == i) {
                Some(done) => Match::Found(done, i),
                None => Match::Invalid(i),
            };
        }
        let mut distinct: Vec<&str> = continuing.iter().map(|&e| words(e)[i]).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let chosen = if distinct.contains(&typed.as_str()) {
            typed.clone()
        } else if distinct.len() == 1 {
            distinct[0].to_owned()
        } else {
            return Match::Ambiguous(i);
        };
        candidates = continuing.into_iter().filter(|&e| words(e)[i] == chosen).collect();
    }
    match candidates.iter().copied().find(|&e| words(e).len() == tokens.len()) {
        Some(done) => Match::Found(done, tokens.len()),
        None => Match::Incomplete,
    }
}

/// Expands one possibly abbreviated keyword against a list.
pub(crate) fn match_keyword(list: &[&'static str], typed: &str) -> Result<&'static str, KeywordError> {
    let typed = typed.to_ascii_lowercase();
    if let Some(exact) = list.iter().copied().find(|k| *k == typed) {
        return Ok(exact);
    }
    let mut hits = list.iter().copied().filter(|k| k.starts_with(&typed));
    match (hits.next(), hits.next()) {
        (Some(one), None) => Ok(one),
        (Some(_), Some(_)) => Err(KeywordError::Ambiguous),
        _ => Err(KeywordError::Unknown),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeywordError {
    Unknown,
    Ambiguous,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[&[&str]] = &[&["show", "version"], &["show", "ip", "interface", "brief"], &["setup"], &["exit"]];

    fn run(line: &str) -> Match<usize> {
        let tokens = tokenize(line);
        match_words(0..TABLE.len(), |i| TABLE[i], &tokens)
    }

    #[test]
    fn abbreviations_resolve_word_by_word() {
        assert_eq!(run("sh ver"), Match::Found(0, 2));
        assert_eq!(run("sh ip int br"), Match::Found(1, 4));
        assert_eq!(run("s ver"), Match::Ambiguous(0));
        assert_eq!(run("show bogus"), Match::Invalid(1));
        assert_eq!(run("show ip"), Match::Incomplete);
        assert_eq!(run("exit now"), Match::Found(3, 1));
    }

    #[test]
    fn tokens_know_their_offsets() {
        let t = tokenize("  sh  run ");
        assert_eq!(t, vec![Token { start: 2, text: "sh" }, Token { start: 6, text: "run" }]);
    }

    #[test]
    fn keywords_expand_unless_ambiguous() {
        const LIST: &[&str] = &["description", "duplex", "shutdown"];
        assert_eq!(match_keyword(LIST, "desc"), Ok("description"));
        assert_eq!(match_keyword(LIST, "d"), Err(KeywordError::Ambiguous));
        assert_eq!(match_keyword(LIST, "x"), Err(KeywordError::Unknown));
    }
}
