//! Configuration mode: the platform's own configuration commands (`end`, `do`, `no`,
//! `commit`, `set`, ...) run here or in `candidate.rs` / `statement.rs`; any other line is
//! checked by its first keyword against the platform's whitelist for the current
//! (sub-)mode and becomes an [`Edit`] of the configuration.

use super::exec::check_args;
use super::filter::split_pipe;
use super::{Cli, Mode, Outcome};
use crate::config_store::Edit;
use crate::platform::{
    ArgError, ConfigAction, KeywordError, Match, SubMode, Token, match_keyword, match_words, tokenize,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Engine,
    Sub,
    Global,
}

fn join(tokens: &[Token<'_>]) -> String {
    tokens.iter().map(|t| t.text).collect::<Vec<_>>().join(" ")
}

impl Cli {
    pub(super) fn sub(&self) -> Option<(&'static SubMode, String)> {
        match &self.mode {
            Mode::Sub { sub, header } => Some((sub, header.clone())),
            _ => None,
        }
    }

    /// First words of the platform's configuration commands.
    fn engine_words(&self) -> Vec<&'static str> {
        let mut words: Vec<&'static str> = self.device.platform.config.commands.iter().map(|c| c.words[0]).collect();
        words.dedup();
        words
    }

    /// Expands a first keyword: the sub-mode's own keywords first, then global ones
    /// (typing a global command in a sub-mode runs it at the global level, as IOS does).
    fn resolve(&self, typed: &str, engine: bool) -> Result<(Scope, &'static str), KeywordError> {
        let rules = &self.device.platform.config;
        let engine_words = if engine { self.engine_words() } else { Vec::new() };
        let with_engine = |list: &[&'static str]| [list, &engine_words].concat();
        let scope_of = |k: &str, otherwise| if engine_words.contains(&k) { Scope::Engine } else { otherwise };
        if let Some((sub, _)) = self.sub() {
            match match_keyword(&with_engine(sub.keywords), typed) {
                Ok(k) => return Ok((scope_of(k, Scope::Sub), k)),
                Err(KeywordError::Ambiguous) => return Err(KeywordError::Ambiguous),
                Err(KeywordError::Unknown) => {}
            }
            return match_keyword(rules.global, typed).map(|k| (Scope::Global, k));
        }
        match_keyword(&with_engine(rules.global), typed).map(|k| (scope_of(k, Scope::Global), k))
    }

    /// A line typed in configuration mode after a prompt `width` characters wide.
    pub(super) fn configure(&mut self, text: &str, width: usize) -> Outcome {
        let mut tokens = tokenize(text);
        let Some(first) = tokens.first().copied() else {
            return Outcome::prompt(Vec::new());
        };
        match self.resolve(first.text, true) {
            Ok((Scope::Engine, _)) => self.engine(text, width),
            Ok((scope, keyword)) => {
                tokens[0].text = keyword;
                self.set(scope, &tokens, width)
            }
            Err(KeywordError::Unknown) => self.unknown(width, first),
            Err(KeywordError::Ambiguous) => self.ambiguous(width, first),
        }
    }

    /// One of the platform's configuration commands.
    fn engine(&mut self, text: &str, width: usize) -> Outcome {
        let platform = self.device.platform;
        let (command, pipe) = split_pipe(text, &platform.pipes);
        let tokens = tokenize(command);
        let end = command.trim_end().len();
        let (found, used) = match match_words(platform.config.commands.iter(), |c| c.words, &tokens, true) {
            Match::Found(found, used) => (found, used),
            Match::Invalid(i) => return self.invalid(width, tokens[i]),
            Match::Incomplete => return self.incomplete(width, end),
            Match::Ambiguous(i) => return self.ambiguous(width, tokens[i]),
        };
        let args = &tokens[used..];
        let number = match check_args(found.args, args) {
            Ok(number) => number,
            Err(ArgError::Invalid(i)) => return self.invalid(width, args[i]),
            Err(ArgError::Incomplete) => return self.incomplete(width, end),
        };
        let pipe_token = pipe.map(|(at, _)| Token { start: at, text: "|" });
        match found.action {
            ConfigAction::Do => self.exec(&text[args[0].start..], width + args[0].start, true),
            ConfigAction::Exec => self.exec(text, width, true),
            ConfigAction::Show(what) => {
                let rest = args.first().map_or("", |t| command[t.start..].trim());
                self.filtered(pipe, width, |cli, display| Outcome::prompt(cli.show(what, rest, display)))
            }
            _ if pipe_token.is_some() => self.invalid(width, pipe_token.unwrap_or(tokens[0])),
            ConfigAction::End => self.leave(false),
            ConfigAction::LeaveConfig => self.leave(true),
            ConfigAction::Exit if self.sub().is_none() => self.leave(false),
            ConfigAction::Exit | ConfigAction::Top => {
                self.mode = Mode::Config;
                Outcome::prompt(Vec::new())
            }
            ConfigAction::Negate => self.negate(&tokens, width),
            ConfigAction::Commit => self.commit(command, args, width),
            ConfigAction::Abort => self.abort(),
            ConfigAction::Rollback => self.rollback(number.unwrap_or(0)),
            ConfigAction::Set | ConfigAction::Delete | ConfigAction::Edit => {
                self.statement(found.action, args, width, end)
            }
        }
    }

    /// If the (expanded) tokens name a sub-mode, its canonical section header.
    fn section_header(
        &self,
        tokens: &[Token<'_>],
        width: usize,
    ) -> Option<Result<(&'static SubMode, String), Outcome>> {
        let submodes = self.device.platform.config.submodes.iter().filter(|s| !s.enter.is_empty());
        match match_words(submodes, |s| s.enter, tokens, true) {
            Match::Found(sub, used) => {
                let args: Vec<&str> = tokens[used..].iter().map(|t| t.text).collect();
                Some(match (sub.header)(&args) {
                    Ok(header) => Ok((sub, header)),
                    Err(ArgError::Invalid(i)) => Err(self.invalid(width, tokens[used + i])),
                    Err(ArgError::Incomplete) => Err(self.incomplete(width, Self::end_of(tokens))),
                })
            }
            Match::Incomplete => Some(Err(self.incomplete(width, Self::end_of(tokens)))),
            Match::Ambiguous(i) => Some(Err(self.ambiguous(width, tokens[i]))),
            Match::Invalid(_) => None,
        }
    }

    fn end_of(tokens: &[Token<'_>]) -> usize {
        tokens.last().map_or(0, |t| t.start + t.text.len())
    }

    fn set(&mut self, scope: Scope, tokens: &[Token<'_>], width: usize) -> Outcome {
        let rules = &self.device.platform.config;
        let keyword = tokens[0].text;
        if scope == Scope::Global {
            match self.section_header(tokens, width) {
                Some(Ok((sub, header))) => {
                    self.apply_edit(Edit::Section(header.clone()));
                    self.mode = Mode::Sub { sub, header };
                    return Outcome::prompt(Vec::new());
                }
                Some(Err(outcome)) => return outcome,
                None => {}
            }
            if tokens.len() == 1 && !rules.global_bare.contains(&keyword) {
                return self.incomplete(width, Self::end_of(tokens));
            }
            self.apply_edit(Edit::Global(join(tokens)));
            self.mode = Mode::Config;
        } else if let Some((sub, header)) = self.sub() {
            if tokens.len() == 1 && !sub.bare.contains(&keyword) {
                return self.incomplete(width, Self::end_of(tokens));
            }
            self.apply_edit(Edit::Child(header, join(tokens)));
        }
        Outcome::prompt(Vec::new())
    }

    /// `no X ...` / `default X ...`: removes matching lines or sections.
    fn negate(&mut self, tokens: &[Token<'_>], width: usize) -> Outcome {
        let Some(target) = tokens.get(1).copied() else {
            return self.incomplete(width, Self::end_of(tokens));
        };
        let mut rest = tokens[1..].to_vec();
        match self.resolve(target.text, false) {
            Err(KeywordError::Unknown) => self.invalid(width, target),
            Err(KeywordError::Ambiguous) => self.ambiguous(width, target),
            Ok((Scope::Sub, keyword)) => {
                rest[0].text = keyword;
                if let Some((_, header)) = self.sub() {
                    self.apply_edit(Edit::RemoveChild(header, join(&rest)));
                }
                Outcome::prompt(Vec::new())
            }
            Ok((_, keyword)) => {
                rest[0].text = keyword;
                let prefix = match self.section_header(&rest, width) {
                    Some(Ok((_, header))) => header,
                    Some(Err(outcome)) => return outcome,
                    None => join(&rest),
                };
                if self.sub().is_some() {
                    self.mode = Mode::Config;
                }
                self.apply_edit(Edit::RemoveGlobal(prefix));
                Outcome::prompt(Vec::new())
            }
        }
    }
}
