//! Error messages as the platform prints them: with or without a `^` marker under the
//! offending word, with or without an empty line after.

use super::{Cli, Outcome};
use crate::platform::{Msg, Token};

impl Cli {
    /// `msg` about `word`, which starts `at` characters into a line typed after a prompt
    /// `width` characters wide.
    fn message(&self, msg: Msg, width: usize, at: usize, word: &str) -> Outcome {
        let mut lines = Vec::with_capacity(3);
        if msg.caret {
            lines.push(format!("{}^", " ".repeat(width + at)));
        }
        lines.push(msg.text.replace("{word}", word));
        if msg.blank {
            lines.push(String::new());
        }
        Outcome::prompt(lines)
    }

    /// The first word is no command.
    pub(super) fn unknown(&self, width: usize, token: Token<'_>) -> Outcome {
        self.message(self.device.platform.errors.unknown, width, token.start, token.text)
    }

    pub(super) fn invalid(&self, width: usize, token: Token<'_>) -> Outcome {
        self.message(self.device.platform.errors.invalid, width, token.start, token.text)
    }

    /// The line ends too early; `end` is where it ends.
    pub(super) fn incomplete(&self, width: usize, end: usize) -> Outcome {
        self.message(self.device.platform.errors.incomplete, width, end, "")
    }

    pub(super) fn ambiguous(&self, width: usize, token: Token<'_>) -> Outcome {
        self.message(self.device.platform.errors.ambiguous, width, token.start, token.text)
    }
}
