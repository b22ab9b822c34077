//! Reading a secret from the controlling terminal without echoing it.
//!
//! The question and the answer go through `/dev/tty`, not stdin/stdout, so
//! `naasctl run … > out.txt` still asks on the screen and never writes the question into
//! the output. The terminal is switched to byte-at-a-time input without echo and without
//! signal keys for the one answer, and restored afterwards on every path: Ctrl-C arrives as
//! a byte and ends the prompt with [`std::io::ErrorKind::Interrupted`] rather than killing
//! the process with echo still off.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};

use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};

/// Restores the terminal's settings when dropped.
struct Restore<'a> {
    tty: &'a File,
    original: Termios,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.tty, SetArg::TCSAFLUSH, &self.original);
    }
}

pub fn read_hidden(question: &str) -> std::io::Result<String> {
    let mut tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let original = termios::tcgetattr(&tty).map_err(std::io::Error::from)?;
    let mut silent = original.clone();
    silent.local_flags.remove(LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG);
    silent.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
    silent.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
    tty.write_all(question.as_bytes())?;
    tty.flush()?;
    let answer = {
        let _restore = Restore { tty: &tty, original: original.clone() };
        termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &silent).map_err(std::io::Error::from)?;
        read_line(&mut &tty)
    };
    // The Enter (or Ctrl-C) was not echoed: end the prompt's line.
    tty.write_all(b"\n")?;
    answer
}

/// Edits a line from raw bytes: Enter ends it, Backspace/Delete and Ctrl-U edit it,
/// Ctrl-C interrupts, Ctrl-D on an empty line is the end of input.
fn read_line(input: &mut impl Read) -> std::io::Result<String> {
    let mut line: Vec<u8> = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if input.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        match byte[0] {
            b'\r' | b'\n' => break,
            0x03 => return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted")),
            0x04 if line.is_empty() => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            0x15 => line.clear(),
            0x7f | 0x08 => {
                // One character back, however many bytes it took.
                while let Some(last) = line.pop() {
                    if last & 0xc0 != 0x80 {
                        break;
                    }
                }
            }
            other => line.push(other),
        }
    }
    String::from_utf8(line).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::read_line;
    use std::io::ErrorKind;

    #[test]
    fn line_editing_keys() {
        let read = |bytes: &[u8]| read_line(&mut &bytes[..]);
        assert_eq!(read(b"secret\r").unwrap(), "secret");
        assert_eq!(read(b"sex\x7fcret\n").unwrap(), "secret");
        assert_eq!(read("pä\x7fass\r".as_bytes()).unwrap(), "pass", "backspace removes a whole character");
        assert_eq!(read(b"wrong\x15right\r").unwrap(), "right");
        assert_eq!(read(b"half\x03").unwrap_err().kind(), ErrorKind::Interrupted);
        assert_eq!(read(b"\x04").unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert_eq!(read(b"no end").unwrap_err().kind(), ErrorKind::UnexpectedEof);
    }
}
