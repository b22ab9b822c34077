//! The device CLI as a plain synchronous state machine: bytes typed by the client go in,
//! output chunks come out. It knows nothing about SSH; `ssh.rs` moves the bytes, and
//! nothing about any one network OS: the platform's data says what to print and accept.
//!
//! This file is the line editor (echo, Enter variants, backspace, control keys) and the
//! prompts; `modal.rs` is the pager and the password and confirmation prompts; `exec.rs`
//! runs exec-mode commands, `config.rs` configuration mode, `candidate.rs` staging,
//! commit and leaving configuration mode, `statement.rs` Junos-style `set`/`delete`/`edit`,
//! `errors.rs` the error messages, `filter.rs` the `| include` style filters and
//! `outcome.rs` what a command returns.

mod candidate;
mod config;
mod errors;
mod exec;
mod filter;
mod modal;
mod outcome;
mod statement;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::config_store::Edit;
use crate::device::Device;
use crate::platform::{Level, SubMode};

pub(crate) use outcome::{Next, Outcome, Question};
use outcome::{coalesce, is_enter, owned, render};

/// Output of [`Cli::feed`], in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// Write at once: the echo of typed characters, pager continuation.
    Echo(Vec<u8>),
    /// A command's response (ending in the next prompt): write after the device latency.
    Reply(Vec<u8>),
    /// Close the session once everything before has been written.
    Close,
}

#[derive(Clone)]
pub(crate) enum Mode {
    User,
    Exec,
    Config,
    Sub { sub: &'static SubMode, header: String },
}

enum Input {
    Line,
    Secret,
    Question(Question),
    More { rest: VecDeque<String>, total: usize },
}

pub(crate) struct Cli {
    device: Arc<Device>,
    mode: Mode,
    input: Input,
    line: Vec<u8>,
    secret: Vec<u8>,
    after_cr: bool,
    /// 0 outside an escape sequence, 1 after ESC, 2 inside `ESC [ ...`.
    escape: u8,
    term_length: usize,
    term_width: usize,
    bad_secrets: u8,
    closed: bool,
    /// This session's uncommitted changes (a per-session candidate, IOS-XR).
    staged: Vec<Edit>,
    /// In Junos `configure exclusive`: the shared candidate's changes die with this session.
    exclusive: bool,
}

const ERASE_CHAR: &[u8] = b"\x08 \x08";

impl Drop for Cli {
    /// A session in `configure exclusive` that ends (closed, or the connection dropped)
    /// takes its uncommitted changes with it, as Junos does.
    fn drop(&mut self) {
        if self.exclusive {
            self.device.state().candidate.clear();
        }
    }
}

impl Cli {
    pub fn new(device: Arc<Device>) -> Self {
        let platform = device.platform;
        Self {
            mode: if platform.login == Level::User { Mode::User } else { Mode::Exec },
            input: Input::Line,
            line: Vec::new(),
            secret: Vec::new(),
            after_cr: false,
            escape: 0,
            term_length: platform.paging.length,
            term_width: platform.paging.width,
            bad_secrets: 0,
            closed: false,
            staged: Vec::new(),
            exclusive: false,
            device,
        }
    }

    pub fn prompt(&self) -> String {
        let prompts = &self.device.platform.prompts;
        let user = self.device.spec.username.as_str();
        let (template, label, path) = match &self.mode {
            Mode::User => (prompts.user, String::new(), ""),
            Mode::Exec => (prompts.exec, String::new(), ""),
            Mode::Config => (prompts.config, String::new(), ""),
            Mode::Sub { sub, header } => {
                (prompts.sub, sub.label.map_or_else(|| sub.name.to_owned(), |f| f(header)), header.as_str())
            }
        };
        template
            .replace("{host}", &self.device.hostname())
            .replace("{user}", user)
            .replace("{sigil}", if user == "root" { "#" } else { "$" })
            .replace("{label}", &label)
            .replace("{path}", path)
    }

    /// Width of the prompt's last line: where typed text starts (for the `^` marker).
    fn prompt_width(&self) -> usize {
        let prompt = self.prompt();
        prompt.len() - prompt.rfind('\n').map_or(0, |i| i + 1)
    }

    pub fn mode_name(&self) -> &'static str {
        let names = &self.device.platform.modes;
        match &self.mode {
            Mode::User => names.user,
            Mode::Exec => names.exec,
            Mode::Config => names.config,
            Mode::Sub { sub, .. } => sub.name,
        }
    }

    fn in_config(&self) -> bool {
        matches!(self.mode, Mode::Config | Mode::Sub { .. })
    }

    /// What the device prints when the shell starts.
    pub fn start(&self) -> Vec<u8> {
        [self.device.platform.text.banner.as_bytes(), self.prompt().as_bytes()].concat()
    }

    /// Runs one command in privileged mode without paging and returns its output (no
    /// prompt): what an SSH `exec` request gets.
    pub fn run_once(device: Arc<Device>, line: &str) -> Vec<u8> {
        let mut cli = Self::new(device);
        cli.mode = Mode::Exec;
        cli.term_length = 0;
        cli.record(line.trim());
        render(&cli.exec(line, 0, true).lines)
    }

    fn record(&self, command: &str) {
        self.device.log.record(&self.device.spec.hostname, command, self.mode_name());
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Chunk> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.closed {
                break;
            }
            if b == b'\n' && self.after_cr {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            match (self.escape, b) {
                (1, b'[' | b'O') => self.escape = 2,
                (1, _) => self.escape = 0,
                (2, 0x40..=0x7e) => self.escape = 0,
                (2, _) => {}
                (_, 0x1b) => self.escape = 1,
                (_, 0) => {}
                _ => match std::mem::replace(&mut self.input, Input::Line) {
                    Input::Line => self.line_byte(b, &mut out),
                    Input::Secret => self.secret_byte(b, &mut out),
                    Input::Question(q) => self.question_byte(q, b, &mut out),
                    Input::More { rest, total } => self.more_byte(rest, total, b, &mut out),
                },
            }
        }
        coalesce(out)
    }

    fn line_byte(&mut self, b: u8, out: &mut Vec<Chunk>) {
        match b {
            _ if is_enter(b) => {
                out.push(Chunk::Echo(b"\r\n".to_vec()));
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                self.enter(&line, out);
            }
            0x08 | 0x7f if !self.line.is_empty() => {
                self.line.pop();
                out.push(Chunk::Echo(ERASE_CHAR.to_vec()));
            }
            0x03 => {
                self.line.clear();
                let interrupt = self.device.platform.text.interrupt;
                out.push(Chunk::Echo(format!("{interrupt}\r\n{}", self.prompt()).into_bytes()));
            }
            0x15 => out.push(Chunk::Echo(ERASE_CHAR.repeat(std::mem::take(&mut self.line).len()))),
            0x17 => {
                let keep = self.line.trim_ascii_end().iter().rposition(|&c| c == b' ').map_or(0, |i| i + 1);
                out.push(Chunk::Echo(ERASE_CHAR.repeat(self.line.len() - keep)));
                self.line.truncate(keep);
            }
            0x1a if self.in_config() && self.device.platform.config.ctrl_z => {
                self.line.clear();
                out.push(Chunk::Echo(b"^Z\r\n".to_vec()));
                let outcome = self.leave(false);
                self.finish(outcome, out);
            }
            0x20..=0x7e | 0x80..=0xff => {
                self.line.push(b);
                out.push(Chunk::Echo(vec![b]));
            }
            _ => {}
        }
    }

    /// A complete line was entered.
    fn enter(&mut self, line: &str, out: &mut Vec<Chunk>) {
        if line.trim().is_empty() {
            out.push(Chunk::Reply(self.prompt().into_bytes()));
            return;
        }
        self.record(line.trim());
        let width = self.prompt_width();
        let outcome = match self.mode {
            Mode::User => self.exec(line, width, false),
            Mode::Exec => self.exec(line, width, true),
            Mode::Config | Mode::Sub { .. } => self.configure(line, width),
        };
        self.finish(outcome, out);
    }

    fn finish(&mut self, outcome: Outcome, out: &mut Vec<Chunk>) {
        let text = &self.device.platform.text;
        let mut reply = render(&outcome.lines);
        match outcome.next {
            Next::Prompt => return self.respond(outcome.lines, outcome.no_more, out),
            Next::Close => {
                self.closed = true;
                out.extend([Chunk::Reply(reply), Chunk::Close]);
                return;
            }
            Next::AskSecret => {
                reply.extend_from_slice(text.password_prompt.as_bytes());
                self.input = Input::Secret;
            }
            Next::Ask(question) => {
                let ask = match question {
                    Question::CopyDestination => text.copy_destination,
                    Question::ConfigureFrom => text.configure_from,
                    Question::Uncommitted => self.device.platform.config.candidate.as_ref().map_or("", |c| c.question),
                };
                reply.extend_from_slice(ask.as_bytes());
                self.input = Input::Question(question);
            }
        }
        out.push(Chunk::Reply(reply));
    }
}
