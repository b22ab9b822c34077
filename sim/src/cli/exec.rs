//! Exec-mode commands (`host>` and `host#`, Junos operational mode, a shell), also
//! reached from configuration mode by `do`.

use super::filter::{self, FilterError, split_pipe};
use super::{Cli, Mode, Next, Outcome, Question, owned};
use crate::platform::{Action, ArgError, Args, Match, Pipe, Show, ShowCtx, Token, match_words, tokenize};

pub(super) fn check_args(spec: Args, args: &[Token<'_>]) -> Result<Option<u32>, ArgError> {
    let number = |t: &Token<'_>, min: u32, max: u32| {
        t.text.parse::<u32>().ok().filter(|n| (min..=max).contains(n)).ok_or(ArgError::Invalid(0))
    };
    match (spec, args) {
        (Args::None | Args::OptNumber(..) | Args::Any, []) => Ok(None),
        (Args::Number(..) | Args::Rest, []) => Err(ArgError::Incomplete),
        (Args::Number(min, max) | Args::OptNumber(min, max), [n]) => number(n, min, max).map(Some),
        (Args::Number(..) | Args::OptNumber(..), [_, ..]) => {
            number(&args[0], 0, u32::MAX)?;
            Err(ArgError::Invalid(1))
        }
        (Args::Rest | Args::Any, _) => Ok(None),
        (Args::None, _) => Err(ArgError::Invalid(0)),
    }
}

/// How a show command's output is to be shaped, from its pipes.
#[derive(Clone, Copy, Default)]
pub(super) struct Display {
    pub set_form: bool,
    pub compare: bool,
}

impl Cli {
    /// Runs an exec command typed after a prompt `width` characters wide.
    pub(super) fn exec(&mut self, text: &str, width: usize, privileged: bool) -> Outcome {
        let platform = self.device.platform;
        let (command, pipe) = split_pipe(text, &platform.pipes);
        let tokens = tokenize(command);
        let entries = platform.exec.iter().filter(|c| privileged || !c.privileged);
        let (found, used) = match match_words(entries, |c| c.words, &tokens, platform.abbreviate) {
            Match::Found(found, used) => (found, used),
            Match::Invalid(0) => return self.unknown(width, tokens[0]),
            Match::Invalid(i) => return self.invalid(width, tokens[i]),
            Match::Incomplete if tokens.is_empty() => {
                return self.invalid(width, Token { start: pipe.map_or(0, |(at, _)| at), text: "|" });
            }
            Match::Incomplete => return self.incomplete(width, command.trim_end().len()),
            Match::Ambiguous(i) => return self.ambiguous(width, tokens[i]),
        };
        let args = &tokens[used..];
        let number = match check_args(found.args, args) {
            Ok(number) => number,
            Err(ArgError::Invalid(i)) => return self.invalid(width, args[i]),
            Err(ArgError::Incomplete) => return self.incomplete(width, command.trim_end().len()),
        };
        let rest = args.first().map_or("", |t| command[t.start..].trim());
        match found.action {
            Action::Show(what) => {
                self.filtered(pipe, width, |cli, display| Outcome::prompt(cli.show(what, rest, display)))
            }
            Action::WriteTerminal => {
                self.filtered(pipe, width, |cli, display| Outcome::prompt(cli.show(Show::RunningConfig, rest, display)))
            }
            _ if pipe.is_some() => self.invalid(width, Token { start: pipe.map_or(0, |(at, _)| at), text: "|" }),
            action => self.act(action, number, rest, privileged),
        }
    }

    /// Runs `run` with the pipes after a command applied to its output.
    pub(super) fn filtered(
        &mut self,
        pipe: Option<(usize, &str)>,
        width: usize,
        run: impl FnOnce(&mut Self, Display) -> Outcome,
    ) -> Outcome {
        let pipes = &self.device.platform.pipes;
        let filters = match pipe.map(|(at, spec)| (at, filter::parse(spec, pipes))) {
            None => Vec::new(),
            Some((_, Ok(filters))) => filters,
            Some((at, Err(FilterError::Invalid(offset)))) => {
                let spec = pipe.map_or("", |(_, spec)| spec);
                let word = spec[offset..].split_whitespace().next().unwrap_or("");
                return self.invalid(width, Token { start: at + 1 + offset, text: word });
            }
            Some((at, Err(FilterError::Incomplete))) => {
                return self.incomplete(width, at + 1 + pipe.map_or(0, |(_, s)| s.trim_end().len()));
            }
        };
        let has = |kind: Pipe| filters.iter().any(|f| f.kind == kind);
        let display = Display { set_form: has(Pipe::DisplaySet), compare: has(Pipe::Compare) };
        let mut outcome = run(self, display);
        for filter in &filters {
            outcome.lines = filter.apply(outcome.lines, pipes);
        }
        outcome.no_more |= has(Pipe::NoMore);
        outcome
    }

    pub(super) fn act(&mut self, action: Action, number: Option<u32>, rest: &str, privileged: bool) -> Outcome {
        let text = &self.device.platform.text;
        let next = match action {
            Action::Enable if privileged || self.device.spec.enable_secret.is_empty() => {
                if !self.in_config() {
                    self.mode = Mode::Exec;
                }
                Next::Prompt
            }
            Action::Enable => Next::AskSecret,
            Action::Disable => {
                self.mode = Mode::User;
                Next::Prompt
            }
            Action::Exit => return Outcome::then(owned(text.logout), Next::Close),
            Action::Configure => Next::Ask(Question::ConfigureFrom),
            Action::ConfigureTerminal => return self.enter_config(),
            Action::ConfigureExclusive => {
                if !self.device.state().candidate.is_empty() {
                    // Someone else's uncommitted changes: exclusive mode is refused.
                    return Outcome::prompt(vec!["error: configuration database modified".to_owned()]);
                }
                self.exclusive = true;
                let mut outcome = self.enter_config();
                outcome.lines.insert(0, "warning: uncommitted changes will be discarded on exit".to_owned());
                return outcome;
            }
            Action::TerminalLength | Action::TerminalWidth => {
                let n = number.unwrap_or_default();
                let said = if action == Action::TerminalLength {
                    self.term_length = n as usize;
                    text.length_set
                } else {
                    self.term_width = n as usize;
                    text.width_set
                };
                let lines = if said.is_empty() { Vec::new() } else { vec![said.replace("{n}", &n.to_string())] };
                return Outcome::prompt(lines);
            }
            Action::Show(what) => return Outcome::prompt(self.show(what, rest, Display::default())),
            Action::WriteTerminal => return Outcome::prompt(self.show(Show::RunningConfig, rest, Display::default())),
            Action::WriteMemory => return Outcome::prompt(self.save()),
            Action::CopyRunStart => Next::Ask(Question::CopyDestination),
            Action::Ping => return Outcome::prompt((text.ping)(rest)),
            Action::Say(lines) => return Outcome::prompt(owned(lines)),
        };
        Outcome::then(Vec::new(), next)
    }

    /// A command's output from the platform's texts.
    pub(super) fn show(&self, what: Show, args: &str, display: Display) -> Vec<String> {
        let what = if display.compare && what == Show::Candidate { Show::Changes } else { what };
        let state = self.device.state();
        let staged = self.staged_view(&state);
        let candidate = (what == Show::Candidate).then(|| {
            let mut config = state.running.clone();
            staged.iter().for_each(|edit| config.apply(edit));
            config
        });
        let ctx = ShowCtx {
            spec: &self.device.spec,
            config: candidate.as_ref().unwrap_or(&state.running),
            startup: &state.startup,
            commits: &state.commits,
            staged,
            uptime: self.device.booted.elapsed(),
            privileged: !matches!(self.mode, Mode::User),
            terminal: (self.term_length, self.term_width),
            args,
            set_form: display.set_form,
        };
        (self.device.platform.text.show)(what, &ctx)
    }

    /// `write memory`: the running configuration becomes the startup configuration.
    fn save(&self) -> Vec<String> {
        let mut state = self.device.state();
        state.startup = state.running.lines().join("\n");
        owned(self.device.platform.text.saved)
    }

    /// The answer to a confirmation question.
    pub(super) fn answer(&mut self, question: Question, answer: &str) -> Outcome {
        match question {
            Question::CopyDestination if answer.is_empty() || answer == "startup-config" => {
                Outcome::prompt(self.save())
            }
            Question::CopyDestination => Outcome::prompt(vec![format!("%Error opening {answer} (Permission denied)")]),
            Question::ConfigureFrom if "terminal".starts_with(&answer.to_ascii_lowercase()) => self.enter_config(),
            Question::ConfigureFrom => Outcome::prompt(vec!["?Must be \"terminal\", \"memory\" or \"network\"".into()]),
            Question::Uncommitted => self.answer_uncommitted(answer),
        }
    }
}
