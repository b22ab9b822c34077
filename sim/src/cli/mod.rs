//! The device CLI as a plain synchronous state machine: bytes typed by the client go in,
//! output chunks come out. It knows nothing about SSH; `ssh.rs` moves the bytes.
//!
//! This file is the line editor (echo, Enter variants, backspace, control keys) and the
//! mode prompts; `modal.rs` is the `--More--` pager and the password and confirmation
//! prompts; `exec.rs` runs exec-mode commands, `config.rs` configuration mode and
//! `filter.rs` the `| include` style filters.

mod config;
mod exec;
mod filter;
mod modal;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::device::Device;
use crate::platform::SubMode;

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
    Privileged,
    Config,
    Sub { sub: &'static SubMode, header: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Question {
    CopyDestination,
    ConfigureFrom,
}

/// What a command did: its output lines and what the session does next.
pub(crate) struct Outcome {
    pub lines: Vec<String>,
    pub next: Next,
}

pub(crate) enum Next {
    Prompt,
    Close,
    AskSecret,
    Ask(Question),
}

impl Outcome {
    fn prompt(lines: Vec<String>) -> Self {
        Self { lines, next: Next::Prompt }
    }
}

enum Input {
    Line,
    Secret,
    Question(Question),
    More(VecDeque<String>),
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
}

const ERASE_CHAR: &[u8] = b"\x08 \x08";

fn render(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 2).sum());
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn is_enter(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

impl Cli {
    pub fn new(device: Arc<Device>) -> Self {
        Self {
            device,
            mode: Mode::User,
            input: Input::Line,
            line: Vec::new(),
            secret: Vec::new(),
            after_cr: false,
            escape: 0,
            term_length: 24,
            term_width: 80,
            bad_secrets: 0,
            closed: false,
        }
    }

    pub fn prompt(&self) -> String {
        let host = self.device.hostname();
        match &self.mode {
            Mode::User => format!("{host}>"),
            Mode::Privileged => format!("{host}#"),
            Mode::Config => format!("{host}(config)#"),
            Mode::Sub { sub, .. } => format!("{host}({})#", sub.name),
        }
    }

    pub fn mode_name(&self) -> &'static str {
        match &self.mode {
            Mode::User => "user",
            Mode::Privileged => "privileged",
            Mode::Config => "config",
            Mode::Sub { sub, .. } => sub.name,
        }
    }

    /// What the device prints when the shell starts.
    pub fn start(&self) -> Vec<u8> {
        [self.device.platform.text.banner.as_bytes(), self.prompt().as_bytes()].concat()
    }

    /// Runs one command in privileged mode without paging and returns its output (no
    /// prompt): what an SSH `exec` request gets.
    pub fn run_once(device: Arc<Device>, line: &str) -> Vec<u8> {
        let mut cli = Self::new(device);
        cli.mode = Mode::Privileged;
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
                    Input::More(rest) => self.more_byte(rest, b, &mut out),
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
                out.push(Chunk::Echo(format!("\r\n{}", self.prompt()).into_bytes()));
            }
            0x15 => out.push(Chunk::Echo(ERASE_CHAR.repeat(std::mem::take(&mut self.line).len()))),
            0x17 => {
                let keep = self.line.trim_ascii_end().iter().rposition(|&c| c == b' ').map_or(0, |i| i + 1);
                out.push(Chunk::Echo(ERASE_CHAR.repeat(self.line.len() - keep)));
                self.line.truncate(keep);
            }
            0x1a if matches!(self.mode, Mode::Config | Mode::Sub { .. }) => {
                self.line.clear();
                self.mode = Mode::Privileged;
                out.push(Chunk::Echo(format!("^Z\r\n{}", self.prompt()).into_bytes()));
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
        let width = self.prompt().len();
        let outcome = match self.mode {
            Mode::User => self.exec(line, width, false),
            Mode::Privileged => self.exec(line, width, true),
            Mode::Config | Mode::Sub { .. } => self.configure(line, width),
        };
        self.finish(outcome, out);
    }

    fn finish(&mut self, outcome: Outcome, out: &mut Vec<Chunk>) {
        let text = &self.device.platform.text;
        let mut reply = render(&outcome.lines);
        match outcome.next {
            Next::Prompt => return self.respond(outcome.lines, out),
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
                };
                reply.extend_from_slice(ask.as_bytes());
                self.input = Input::Question(question);
            }
        }
        out.push(Chunk::Reply(reply));
    }
}

/// Merges neighbouring chunks of the same kind so each becomes one SSH write.
fn coalesce(chunks: Vec<Chunk>) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        match (out.last_mut(), chunk) {
            (Some(Chunk::Echo(a)), Chunk::Echo(b)) | (Some(Chunk::Reply(a)), Chunk::Reply(b)) => a.extend(b),
            (_, chunk) => out.push(chunk),
        }
    }
    out
}
