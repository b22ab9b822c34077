//! Configuration mode: lines are checked by their first keyword against the platform's
//! whitelist for the current (sub-)mode and stored in the device's running config.

use super::{Cli, Mode, Outcome};
use crate::platform::{ArgError, KeywordError, Match, SubMode, Token, match_keyword, match_words, tokenize};

/// Keywords the engine handles itself in every configuration mode.
const ENGINE: &[&str] = &["do", "end", "exit", "no"];

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
    fn sub(&self) -> Option<(&'static SubMode, String)> {
        match &self.mode {
            Mode::Sub { sub, header } => Some((sub, header.clone())),
            _ => None,
        }
    }

    /// Expands a first keyword: the sub-mode's own keywords first, then global ones
    /// (typing a global command in a sub-mode runs it at the global level, as IOS does).
    fn resolve(&self, typed: &str, engine: bool) -> Result<(Scope, &'static str), KeywordError> {
        let rules = &self.device.platform.config;
        let with_engine = |list: &[&'static str]| {
            let mut all = list.to_vec();
            if engine {
                all.extend(ENGINE);
            }
            all
        };
        let scope_of = |k: &str, otherwise| if ENGINE.contains(&k) { Scope::Engine } else { otherwise };
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
        let keyword = match self.resolve(first.text, true) {
            Ok(found) => found,
            Err(KeywordError::Unknown) => return self.invalid(width, first.start),
            Err(KeywordError::Ambiguous) => return self.ambiguous(first.text),
        };
        tokens[0].text = keyword.1;
        match keyword {
            (Scope::Engine, "do") => match tokens.get(1) {
                Some(rest) => self.exec(&text[rest.start..], width + rest.start, true),
                None => self.incomplete(),
            },
            (Scope::Engine, "end" | "exit") if tokens.len() > 1 => self.invalid(width, tokens[1].start),
            (Scope::Engine, "end") => {
                self.mode = Mode::Privileged;
                Outcome::prompt(Vec::new())
            }
            (Scope::Engine, "exit") => {
                self.mode = if self.sub().is_some() { Mode::Config } else { Mode::Privileged };
                Outcome::prompt(Vec::new())
            }
            (Scope::Engine, _) | (Scope::Global, "default") => self.negate(&tokens, width),
            (scope, _) => self.set(scope, &tokens, width),
        }
    }

    /// If the (expanded) tokens name a sub-mode, its canonical section header.
    fn section_header(
        &self,
        tokens: &[Token<'_>],
        width: usize,
    ) -> Option<Result<(&'static SubMode, String), Outcome>> {
        let submodes = self.device.platform.config.submodes;
        match match_words(submodes.iter(), |s| s.enter, tokens) {
            Match::Found(sub, used) => {
                let args: Vec<&str> = tokens[used..].iter().map(|t| t.text).collect();
                Some(match (sub.header)(&args) {
                    Ok(header) => Ok((sub, header)),
                    Err(ArgError::Invalid(i)) => Err(self.invalid(width, tokens[used + i].start)),
                    Err(ArgError::Incomplete) => Err(self.incomplete()),
                })
            }
            Match::Incomplete => Some(Err(self.incomplete())),
            Match::Ambiguous(i) => Some(Err(self.ambiguous(tokens[i].text))),
            Match::Invalid(_) => None,
        }
    }

    fn set(&mut self, scope: Scope, tokens: &[Token<'_>], width: usize) -> Outcome {
        let rules = &self.device.platform.config;
        let keyword = tokens[0].text;
        if scope == Scope::Global {
            match self.section_header(tokens, width) {
                Some(Ok((sub, header))) => {
                    self.device.state().running.enter_section(&header);
                    self.mode = Mode::Sub { sub, header };
                    return Outcome::prompt(Vec::new());
                }
                Some(Err(outcome)) => return outcome,
                None => {}
            }
            if tokens.len() == 1 && !rules.global_bare.contains(&keyword) {
                return self.incomplete();
            }
            self.device.state().running.set_global(&join(tokens));
            self.mode = Mode::Config;
        } else if let Some((sub, header)) = self.sub() {
            if tokens.len() == 1 && !sub.bare.contains(&keyword) {
                return self.incomplete();
            }
            self.device.state().running.set_child(&header, &join(tokens));
        }
        Outcome::prompt(Vec::new())
    }

    /// `no X ...` / `default X ...`: removes matching lines or sections.
    fn negate(&mut self, tokens: &[Token<'_>], width: usize) -> Outcome {
        let Some(target) = tokens.get(1) else {
            return self.incomplete();
        };
        let mut rest = tokens[1..].to_vec();
        match self.resolve(target.text, false) {
            Err(KeywordError::Unknown) => self.invalid(width, target.start),
            Err(KeywordError::Ambiguous) => self.ambiguous(target.text),
            Ok((Scope::Sub, keyword)) => {
                rest[0].text = keyword;
                if let Some((_, header)) = self.sub() {
                    self.device.state().running.remove_child(&header, &join(&rest));
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
                self.device.state().running.remove_global(&prefix);
                Outcome::prompt(Vec::new())
            }
        }
    }
}
