//! Entering and leaving configuration mode, and candidate configurations: where an edit
//! goes (the running configuration at once, this session's candidate, or the device's
//! shared candidate), `commit`, `abort`, `rollback` and the question about uncommitted
//! changes. What is printed and asked is the platform's [`Candidate`] data.

use std::time::Duration;

use super::{Cli, Mode, Next, Outcome, Question, owned};
use crate::config_store::Edit;
use crate::device::{CommitRequest, State};
use crate::platform::{ArgError, Candidate, Leave, Token, match_keyword};

const COMMIT_WORDS: &[&str] =
    &["and-quit", "best-effort", "check", "comment", "confirmed", "force", "label", "replace", "synchronize"];

/// `commit [confirmed [<n> | minutes <n>]] [comment <text> | comment "<text>"] [label <x>]
/// [check] [and-quit]`; `line` is the text the `args` tokens point into.
fn parse_commit(line: &str, args: &[Token<'_>], c: &Candidate) -> Result<CommitRequest, ArgError> {
    let mut request = CommitRequest::default();
    let number = |i: usize| args.get(i).and_then(|t| t.text.parse::<u64>().ok());
    let mut i = 0;
    while i < args.len() {
        let keyword = match_keyword(COMMIT_WORDS, args[i].text).map_err(|_| ArgError::Invalid(i))?;
        i += 1;
        match keyword {
            "comment" => {
                let start = args.get(i).ok_or(ArgError::Incomplete)?.start;
                let rest = line[start..].trim_end();
                match rest.strip_prefix('"') {
                    Some(quoted) => {
                        let close = quoted.find('"').unwrap_or(quoted.len());
                        request.comment = Some(quoted[..close].to_owned());
                        let after = start + close + 2;
                        i = args.iter().position(|t| t.start >= after).unwrap_or(args.len());
                    }
                    None => {
                        request.comment = Some(rest.to_owned());
                        i = args.len();
                    }
                }
            }
            "confirmed" => {
                let in_minutes = args.get(i).is_some_and(|t| c.seconds && "minutes".starts_with(t.text));
                let (value, used, seconds_each, min) = match number(i) {
                    _ if in_minutes => (number(i + 1).ok_or(ArgError::Incomplete)?, 2, 60, 1),
                    Some(n) if c.seconds => (n, 1, 1, 30),
                    Some(n) => (n, 1, 60, 1),
                    None => (c.confirm_default, 0, 1, 0),
                };
                if !(min..=65_535).contains(&value) {
                    return Err(ArgError::Invalid(i + used - 1));
                }
                request.confirm = Some(Duration::from_secs(value * seconds_each));
                i += used;
            }
            "label" => i += 1,
            "check" => request.check = true,
            "and-quit" => request.and_quit = true,
            _ => {}
        }
    }
    Ok(request)
}

impl Cli {
    fn candidate(&self) -> Option<&'static Candidate> {
        self.device.platform.config.candidate.as_ref()
    }

    fn shared(&self) -> bool {
        self.candidate().is_some_and(|c| c.shared)
    }

    /// Applies an edit, or stages it where the platform keeps its candidate.
    pub(super) fn apply_edit(&mut self, edit: Edit) {
        match self.candidate() {
            None => self.device.state().running.apply(&edit),
            Some(c) if c.shared => self.device.state().candidate.push(edit),
            Some(_) => self.staged.push(edit),
        }
    }

    /// The uncommitted changes this session sees.
    pub(super) fn staged_view<'s>(&'s self, state: &'s State) -> &'s [Edit] {
        if self.shared() { &state.candidate } else { &self.staged }
    }

    fn replace_staged(&mut self, edits: Vec<Edit>) -> Vec<Edit> {
        if self.shared() {
            std::mem::replace(&mut self.device.state().candidate, edits)
        } else {
            std::mem::replace(&mut self.staged, edits)
        }
    }

    fn dirty(&self) -> bool {
        let state = self.device.state();
        !self.staged_view(&state).is_empty()
    }

    pub(super) fn enter_config(&mut self) -> Outcome {
        self.mode = Mode::Config;
        let mut lines = owned(self.device.platform.config.enter);
        if let Some(c) = self.candidate()
            && self.dirty()
        {
            lines.extend(owned(c.dirty));
        }
        Outcome::prompt(lines)
    }

    /// `end`, `exit` at the top, Ctrl-Z (`force`: Junos `exit configuration-mode`).
    pub(super) fn leave(&mut self, force: bool) -> Outcome {
        match self.candidate() {
            Some(c) if self.dirty() && !force => Outcome::then(owned(c.dirty), Next::Ask(Question::Uncommitted)),
            Some(c) if self.dirty() => {
                let mut lines = owned(c.dirty);
                lines.extend(self.exit_config());
                Outcome::prompt(lines)
            }
            _ => Outcome::prompt(self.exit_config()),
        }
    }

    fn exit_config(&mut self) -> Vec<String> {
        self.mode = Mode::Exec;
        if std::mem::take(&mut self.exclusive) {
            self.device.state().candidate.clear();
        }
        owned(self.device.platform.config.leave)
    }

    pub(super) fn answer_uncommitted(&mut self, answer: &str) -> Outcome {
        let Some(c) = self.candidate() else {
            return Outcome::prompt(Vec::new());
        };
        let typed = answer.to_ascii_lowercase();
        let choice =
            c.answers.iter().find(|(word, _)| !typed.is_empty() && word.starts_with(&typed)).map_or(c.default, |a| a.1);
        let mut lines = Vec::new();
        match choice {
            Leave::Stay => return Outcome::prompt(lines),
            Leave::Keep => {}
            Leave::Discard => drop(self.replace_staged(Vec::new())),
            Leave::Commit => lines = self.commit_staged(&CommitRequest::default()),
        }
        lines.extend(self.exit_config());
        Outcome::prompt(lines)
    }

    pub(super) fn commit(&mut self, line: &str, args: &[Token<'_>], width: usize) -> Outcome {
        let Some(c) = self.candidate() else {
            return Outcome::prompt(Vec::new());
        };
        let request = match parse_commit(line, args, c) {
            Ok(request) => request,
            Err(ArgError::Invalid(i)) => return self.invalid(width, args[i]),
            Err(ArgError::Incomplete) => return self.incomplete(width, line.trim_end().len()),
        };
        if request.check {
            return Outcome::prompt(owned(c.checked));
        }
        if let Some(nothing) = c.nothing
            && !self.dirty()
        {
            return Outcome::prompt(vec![nothing.to_owned()]);
        }
        let mut lines = self.commit_staged(&request);
        if request.and_quit {
            lines.extend(self.exit_config());
        }
        Outcome::prompt(lines)
    }

    fn commit_staged(&mut self, request: &CommitRequest) -> Vec<String> {
        let edits = self.replace_staged(Vec::new());
        self.device.state().commit(&edits, &self.device.spec.username, request);
        let Some(c) = self.candidate() else { return Vec::new() };
        let mut lines = Vec::new();
        if let Some(timeout) = request.confirm {
            let minutes = timeout.as_secs().div_ceil(60).to_string();
            lines.extend(c.confirmed.iter().map(|l| l.replace("{minutes}", &minutes)));
        }
        lines.extend(owned(c.committed));
        lines
    }

    /// XR `abort`: drop the changes and leave.
    pub(super) fn abort(&mut self) -> Outcome {
        self.replace_staged(Vec::new());
        Outcome::prompt(self.exit_config())
    }

    /// Junos `rollback [n]`: the configuration of `n` commits ago becomes the candidate.
    pub(super) fn rollback(&mut self, n: u32) -> Outcome {
        let rolled_back = self.candidate().map_or(&[][..], |c| c.rolled_back);
        let config = self.device.state().rollback(n as usize);
        match config {
            None => Outcome::prompt(vec![format!("error: rollback {n} does not exist")]),
            Some(_) if n == 0 => {
                self.replace_staged(Vec::new());
                Outcome::prompt(owned(rolled_back))
            }
            Some(config) => {
                self.replace_staged(vec![Edit::Replace(Box::new(config))]);
                Outcome::prompt(owned(rolled_back))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::tokenize;

    fn parse(line: &str, c: &Candidate) -> Result<CommitRequest, ArgError> {
        let tokens = tokenize(line);
        parse_commit(line, &tokens[1..], c)
    }

    #[test]
    fn commit_arguments() {
        let xr = crate::xr::CISCO_XR.config.candidate.as_ref().unwrap();
        let junos = crate::junos::JUNIPER_JUNOS.config.candidate.as_ref().unwrap();
        let r = parse("commit comment naas job 42", xr).unwrap();
        assert_eq!(r.comment.as_deref(), Some("naas job 42"));
        let r = parse("commit confirmed minutes 5 comment naas job 42", xr).unwrap();
        assert_eq!((r.confirm, r.comment.as_deref()), (Some(Duration::from_secs(300)), Some("naas job 42")));
        assert_eq!(parse("commit confirmed 60", xr).unwrap().confirm, Some(Duration::from_secs(60)));
        assert_eq!(parse("commit confirmed 10", xr), Err(ArgError::Invalid(1)));
        assert_eq!(parse("commit comment", xr), Err(ArgError::Incomplete));
        assert_eq!(parse("commit bogus", xr), Err(ArgError::Invalid(0)));
        let r = parse("commit confirmed 5 comment \"naas job 42\" and-quit", junos).unwrap();
        assert_eq!((r.confirm, r.comment.as_deref()), (Some(Duration::from_secs(300)), Some("naas job 42")));
        assert!(r.and_quit);
        assert_eq!(parse("commit confirmed", junos).unwrap().confirm, Some(Duration::from_secs(600)));
        assert!(parse("commit check", junos).unwrap().check);
    }
}
