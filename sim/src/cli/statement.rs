//! Junos-style statements: `set`, `delete` and `edit` take a path below the current edit
//! level (`[edit interfaces]`), which the platform's statement checker validates.

use super::{Cli, Mode, Outcome};
use crate::config_store::Edit;
use crate::platform::{ArgError, ConfigAction, Token};

impl Cli {
    /// The words of the current edit level.
    fn level(&self) -> Vec<String> {
        match &self.mode {
            Mode::Sub { header, .. } => header.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn statement(&mut self, action: ConfigAction, args: &[Token<'_>], width: usize, end: usize) -> Outcome {
        let rules = &self.device.platform.config;
        let (Some(check), Some(level_mode)) = (rules.statement, rules.submodes.first()) else {
            return Outcome::prompt(Vec::new());
        };
        let level = self.level();
        let mut words: Vec<&str> = level.iter().map(String::as_str).collect();
        words.extend(args.iter().map(|t| t.text));
        let canonical = match check(&words) {
            Ok(canonical) => canonical,
            Err(ArgError::Invalid(i)) => {
                return self.invalid(width, args[i.saturating_sub(level.len()).min(args.len() - 1)]);
            }
            Err(ArgError::Incomplete) => return self.incomplete(width, end),
        };
        let statement = canonical.join(" ");
        match action {
            ConfigAction::Set if canonical.len() < 2 => self.incomplete(width, end),
            ConfigAction::Set => {
                self.apply_edit(Edit::Global(statement));
                Outcome::prompt(Vec::new())
            }
            ConfigAction::Delete => {
                let found = {
                    let state = self.device.state();
                    let mut config = state.running.clone();
                    self.staged_view(&state).iter().for_each(|e| config.apply(e));
                    config.statements().any(|s| s == statement || s.starts_with(&format!("{statement} ")))
                };
                if !found {
                    return Outcome::prompt(vec!["warning: statement not found".into()]);
                }
                self.apply_edit(Edit::RemoveGlobal(statement));
                Outcome::prompt(Vec::new())
            }
            _ => {
                self.mode = Mode::Sub { sub: level_mode, header: statement };
                Outcome::prompt(Vec::new())
            }
        }
    }
}
