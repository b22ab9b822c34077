//! Modal input after a command: the `--More--` pager, the enable password and
//! confirmation questions (`Destination filename [startup-config]?`).

use std::collections::VecDeque;

use super::{Chunk, Cli, Input, Mode, Question, is_enter, render};

impl Cli {
    /// Lines per page, if paging is on.
    fn page(&self) -> Option<usize> {
        (self.term_length > 0).then(|| self.term_length.saturating_sub(1).max(1))
    }

    /// The pager prompt after `shown` of `total` lines.
    fn more(&self, shown: usize, total: usize) -> String {
        let pct = shown * 100 / total.max(1);
        self.device.platform.paging.more.replace("{pct}", &pct.to_string())
    }

    /// Output then prompt, one page at a time if it is longer than the terminal.
    pub(super) fn respond(&mut self, lines: Vec<String>, no_more: bool, out: &mut Vec<Chunk>) {
        match self.page() {
            Some(page) if !no_more && lines.len() > page => {
                let total = lines.len();
                let mut rest = VecDeque::from(lines);
                let first: Vec<String> = rest.drain(..page).collect();
                let mut reply = render(&first);
                reply.extend_from_slice(self.more(page, total).as_bytes());
                out.push(Chunk::Reply(reply));
                self.input = Input::More { rest, total };
            }
            _ => {
                let mut reply = render(&lines);
                reply.extend_from_slice(self.prompt().as_bytes());
                out.push(Chunk::Reply(reply));
            }
        }
    }

    pub(super) fn more_byte(&mut self, mut rest: VecDeque<String>, total: usize, b: u8, out: &mut Vec<Chunk>) {
        let mut echo = self.device.platform.paging.erase.as_bytes().to_vec();
        let take = match b {
            b' ' => self.page().unwrap_or(usize::MAX),
            _ if is_enter(b) => 1,
            _ => 0,
        };
        if take == 0 {
            rest.clear();
        }
        let shown: Vec<String> = rest.drain(..take.min(rest.len())).collect();
        echo.extend(render(&shown));
        if rest.is_empty() {
            echo.extend_from_slice(self.prompt().as_bytes());
        } else {
            echo.extend_from_slice(self.more(total - rest.len(), total).as_bytes());
            self.input = Input::More { rest, total };
        }
        out.push(Chunk::Echo(echo));
    }

    pub(super) fn secret_byte(&mut self, b: u8, out: &mut Vec<Chunk>) {
        match b {
            _ if is_enter(b) => {
                out.push(Chunk::Echo(b"\r\n".to_vec()));
                let typed = std::mem::take(&mut self.secret);
                let text = &self.device.platform.text;
                if typed == self.device.spec.enable_secret.as_bytes() {
                    self.mode = Mode::Exec;
                    self.bad_secrets = 0;
                    out.push(Chunk::Reply(self.prompt().into_bytes()));
                } else {
                    self.bad_secrets += 1;
                    let message = if self.bad_secrets >= 3 { text.bad_secrets } else { text.access_denied };
                    if self.bad_secrets >= 3 {
                        self.bad_secrets = 0;
                    }
                    out.push(Chunk::Reply(format!("{message}\r\n\r\n{}", self.prompt()).into_bytes()));
                }
            }
            0x03 => {
                self.secret.clear();
                let interrupt = self.device.platform.text.interrupt;
                out.push(Chunk::Echo(format!("{interrupt}\r\n{}", self.prompt()).into_bytes()));
            }
            0x08 | 0x7f => {
                self.secret.pop();
                self.input = Input::Secret;
            }
            _ => {
                self.secret.push(b);
                self.input = Input::Secret;
            }
        }
    }

    pub(super) fn question_byte(&mut self, question: Question, b: u8, out: &mut Vec<Chunk>) {
        match b {
            _ if is_enter(b) => {
                out.push(Chunk::Echo(b"\r\n".to_vec()));
                let answer = String::from_utf8_lossy(&std::mem::take(&mut self.line)).trim().to_owned();
                let outcome = self.answer(question, &answer);
                self.finish(outcome, out);
            }
            0x03 => {
                self.line.clear();
                out.push(Chunk::Echo(format!("\r\n{}", self.prompt()).into_bytes()));
            }
            _ => {
                self.input = Input::Question(question);
                self.line_byte(b, out);
            }
        }
    }
}
