//! Exec-mode commands (`host>` and `host#`), also reached from configuration mode by `do`.

use super::filter::{Filter, FilterError, split_pipe};
use super::{Cli, Mode, Next, Outcome, Question};
use crate::platform::{Action, ArgError, Args, Match, Show, ShowCtx, Token, match_words, tokenize};

fn check_args(spec: Args, args: &[Token<'_>]) -> Result<Option<u32>, ArgError> {
    let number = |t: &Token<'_>, min: u32, max: u32| {
        t.text.parse::<u32>().ok().filter(|n| (min..=max).contains(n)).ok_or(ArgError::Invalid(0))
    };
    match (spec, args) {
        (Args::None | Args::OptNumber(..), []) => Ok(None),
        (Args::Number(..) | Args::Rest, []) => Err(ArgError::Incomplete),
        (Args::Number(min, max) | Args::OptNumber(min, max), [n]) => number(n, min, max).map(Some),
        (Args::Number(..) | Args::OptNumber(..), [_, ..]) => {
            number(&args[0], 0, u32::MAX)?;
            Err(ArgError::Invalid(1))
        }
        (Args::Rest, _) => Ok(None),
        (Args::None, _) => Err(ArgError::Invalid(0)),
    }
}

impl Cli {
    /// The `^` marker block: under `offset` characters after a prompt `width` wide.
    pub(super) fn invalid(&self, width: usize, offset: usize) -> Outcome {
        let text = &self.device.platform.text;
        Outcome::prompt(vec![format!("{}^", " ".repeat(width + offset)), text.invalid_input.into(), String::new()])
    }

    pub(super) fn incomplete(&self) -> Outcome {
        Outcome::prompt(vec![self.device.platform.text.incomplete.into(), String::new()])
    }

    pub(super) fn ambiguous(&self, typed: &str) -> Outcome {
        Outcome::prompt(vec![format!("{}\"{typed}\"", self.device.platform.text.ambiguous)])
    }

    /// Runs an exec command typed after a prompt `width` characters wide.
    pub(super) fn exec(&mut self, text: &str, width: usize, privileged: bool) -> Outcome {
        let (command, pipe) = split_pipe(text);
        let tokens = tokenize(command);
        let entries = self.device.platform.exec.iter().filter(|c| privileged || !c.privileged);
        let (found, used) = match match_words(entries, |c| c.words, &tokens) {
            Match::Found(found, used) => (found, used),
            Match::Invalid(i) => return self.invalid(width, tokens[i].start),
            Match::Incomplete if tokens.is_empty() => return self.invalid(width, pipe.map_or(0, |(at, _)| at)),
            Match::Incomplete => return self.incomplete(),
            Match::Ambiguous(i) => return self.ambiguous(tokens[i].text),
        };
        let args = &tokens[used..];
        let number = match check_args(found.args, args) {
            Ok(number) => number,
            Err(ArgError::Invalid(i)) => return self.invalid(width, args[i].start),
            Err(ArgError::Incomplete) => return self.incomplete(),
        };
        let filter = match pipe {
            None => None,
            Some((at, _)) if !matches!(found.action, Action::Show(_) | Action::WriteTerminal) => {
                return self.invalid(width, at);
            }
            Some((at, spec)) => match Filter::parse(spec) {
                Ok(filter) => Some(filter),
                Err(FilterError::Invalid(offset)) => return self.invalid(width, at + 1 + offset),
                Err(FilterError::Incomplete) => return self.incomplete(),
            },
        };
        let rest = args.first().map_or("", |t| command[t.start..].trim());
        let mut outcome = self.act(found.action, number, rest, privileged);
        if let Some(filter) = filter {
            outcome.lines = filter.apply(outcome.lines);
        }
        outcome
    }

    fn act(&mut self, action: Action, number: Option<u32>, rest: &str, privileged: bool) -> Outcome {
        let in_config = matches!(self.mode, Mode::Config | Mode::Sub { .. });
        let text = &self.device.platform.text;
        let next = match action {
            Action::Enable if privileged || self.device.spec.enable_secret.is_empty() => {
                if !in_config {
                    self.mode = Mode::Privileged;
                }
                Next::Prompt
            }
            Action::Enable => Next::AskSecret,
            Action::Disable => {
                self.mode = Mode::User;
                Next::Prompt
            }
            Action::Exit => Next::Close,
            Action::Configure => Next::Ask(Question::ConfigureFrom),
            Action::ConfigureTerminal => {
                self.mode = Mode::Config;
                return Outcome::prompt(vec![text.enter_config.into()]);
            }
            Action::TerminalLength => {
                self.term_length = number.unwrap_or(24) as usize;
                Next::Prompt
            }
            Action::TerminalWidth => {
                self.term_width = number.unwrap_or(80) as usize;
                Next::Prompt
            }
            Action::Show(what) => return Outcome::prompt(self.show(what)),
            Action::WriteTerminal => return Outcome::prompt(self.show(Show::RunningConfig)),
            Action::WriteMemory => return Outcome::prompt(self.save()),
            Action::CopyRunStart => Next::Ask(Question::CopyDestination),
            Action::Ping => return Outcome::prompt((text.ping)(rest)),
        };
        Outcome { lines: Vec::new(), next }
    }

    pub(super) fn show(&self, what: Show) -> Vec<String> {
        let state = self.device.state();
        let ctx = ShowCtx {
            spec: &self.device.spec,
            config: &state.running,
            startup: &state.startup,
            uptime: self.device.booted.elapsed(),
            privileged: !matches!(self.mode, Mode::User),
            terminal: (self.term_length, self.term_width),
        };
        (self.device.platform.text.show)(what, &ctx)
    }

    /// `write memory`: the running configuration becomes the startup configuration.
    fn save(&self) -> Vec<String> {
        let mut state = self.device.state();
        state.startup = state.running.lines().join("\n");
        self.device.platform.text.saved.iter().map(|l| (*l).to_owned()).collect()
    }

    /// The answer to a confirmation question.
    pub(super) fn answer(&mut self, question: Question, answer: &str) -> Outcome {
        match question {
            Question::CopyDestination if answer.is_empty() || answer == "startup-config" => {
                Outcome::prompt(self.save())
            }
            Question::CopyDestination => Outcome::prompt(vec![format!("%Error opening {answer} (Permission denied)")]),
            Question::ConfigureFrom if "terminal".starts_with(&answer.to_ascii_lowercase()) => {
                self.act(Action::ConfigureTerminal, None, "", true)
            }
            Question::ConfigureFrom => Outcome::prompt(vec!["?Must be \"terminal\", \"memory\" or \"network\"".into()]),
        }
    }
}
