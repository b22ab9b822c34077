//! Reading a secret from the controlling terminal without echoing it.
//!
//! The question and the answer go through `/dev/tty`, not stdin/stdout, so
//! `naasctl run … > out.txt` still asks on the screen and never writes the question into
//! the output. Echo is switched off with termios for the one line and restored afterwards,
//! also when reading fails.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

use nix::sys::termios::{self, LocalFlags, SetArg, Termios};

/// Restores the terminal's settings when dropped.
struct EchoOff<'a> {
    tty: &'a File,
    original: Termios,
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.tty, SetArg::TCSAFLUSH, &self.original);
    }
}

pub fn read_hidden(question: &str) -> std::io::Result<String> {
    let mut tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let original = termios::tcgetattr(&tty).map_err(std::io::Error::from)?;
    let mut silent = original.clone();
    silent.local_flags.remove(LocalFlags::ECHO);
    // The newline the user types is still shown, so the next output starts on a new line.
    silent.local_flags.insert(LocalFlags::ECHONL);
    tty.write_all(question.as_bytes())?;
    tty.flush()?;
    let answer = {
        let _restore = EchoOff { tty: &tty, original: original.clone() };
        termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &silent).map_err(std::io::Error::from)?;
        let mut line = String::new();
        BufReader::new(&tty).read_line(&mut line)?;
        line
    };
    Ok(answer.trim_end_matches(['\r', '\n']).to_owned())
}
