//! What the device printed, cleaned as it arrives: ANSI escape sequences removed (even when
//! split across reads), backspaces applied, carriage returns dropped. Bounded: pushing past
//! the limit is refused, so a device that never stops talking cannot exhaust the worker.
//!
//! Pure and synchronous, so the parser can be tested (and fuzzed) without a device.

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Start,
    /// Inside `ESC [ …` until a final byte 0x40..=0x7E.
    Csi,
    /// Inside `ESC ] …` until BEL or `ESC \`.
    Osc,
    /// Saw ESC inside an OSC string.
    OscEsc,
}

/// After a pager prompt is removed, the device erases it on screen (IOS: N backspaces,
/// N spaces, N backspaces; Junos: a carriage return, spaces, a carriage return). Those
/// bytes are swallowed, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Erase {
    Off,
    Back(usize),
    Blank {
        width: usize,
        blanked: usize,
    },
    BackAgain {
        left: usize,
    },
    /// After the carriage return, this many spaces so far.
    Line(usize),
}

/// The widest pager erase (a terminal line) swallowed.
const MAX_ERASE: usize = 512;

/// Output exceeded the configured limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

#[derive(Debug)]
pub struct Transcript {
    text: Vec<u8>,
    escape: Escape,
    erase: Erase,
    limit: usize,
}

impl Transcript {
    pub fn new(limit: usize) -> Self {
        Self { text: Vec::new(), escape: Escape::None, erase: Erase::Off, limit }
    }

    /// Appends raw bytes from the device.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), TooLarge> {
        for &b in bytes {
            if self.escape == Escape::None && self.swallow_erase(b) {
                continue;
            }
            self.escape = match (self.escape, b) {
                (Escape::None, 0x1b) => Escape::Start,
                (Escape::None, b'\r' | 0x00 | 0x07) => Escape::None,
                (Escape::None, 0x08) => {
                    if self.text.last().is_some_and(|&c| c != b'\n') {
                        self.text.pop();
                    }
                    Escape::None
                }
                (Escape::None, b) => {
                    if self.text.len() >= self.limit {
                        return Err(TooLarge);
                    }
                    self.text.push(b);
                    Escape::None
                }
                (Escape::Start, b'[') => Escape::Csi,
                (Escape::Start, b']') => Escape::Osc,
                (Escape::Start, _) => Escape::None,
                (Escape::Csi, 0x40..=0x7e) => Escape::None,
                (Escape::Csi, _) => Escape::Csi,
                (Escape::Osc, 0x07) => Escape::None,
                (Escape::Osc, 0x1b) => Escape::OscEsc,
                (Escape::Osc, _) => Escape::Osc,
                (Escape::OscEsc, _) => Escape::None,
            };
        }
        Ok(())
    }

    /// Whether `b` belongs to the erase sequence that follows a removed pager prompt.
    fn swallow_erase(&mut self, b: u8) -> bool {
        let (next, swallowed) = match (self.erase, b) {
            (Erase::Off, _) => return false,
            (Erase::Back(0), b'\r') => (Erase::Line(0), true),
            (Erase::Line(n), b' ') if n < MAX_ERASE => (Erase::Line(n + 1), true),
            (Erase::Line(_), b'\r') => (Erase::Off, true),
            (Erase::Line(n), _) => {
                // Not an erase after all: the spaces were output (within the limit).
                let room = self.limit.saturating_sub(self.text.len());
                self.text.extend(std::iter::repeat_n(b' ', n.min(room)));
                (Erase::Off, false)
            }
            (Erase::Back(n), 0x08) => (Erase::Back(n + 1), true),
            (Erase::Back(n), b' ') if n > 0 => (Erase::Blank { width: n, blanked: 1 }, true),
            (Erase::Blank { width, blanked }, b' ') if blanked < width => {
                (Erase::Blank { width, blanked: blanked + 1 }, true)
            }
            (Erase::Blank { width, .. }, 0x08) => (Erase::BackAgain { left: width - 1 }, true),
            (Erase::BackAgain { left }, 0x08) if left > 0 => (Erase::BackAgain { left: left - 1 }, true),
            _ => (Erase::Off, false),
        };
        self.erase = if matches!(next, Erase::BackAgain { left: 0 }) { Erase::Off } else { next };
        swallowed
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The first `n` bytes (where a command's echo is).
    pub fn head(&self, n: usize) -> String {
        String::from_utf8_lossy(&self.text[..n.min(self.text.len())]).into_owned()
    }

    /// The last `n` bytes.
    pub fn tail(&self, n: usize) -> String {
        String::from_utf8_lossy(&self.text[self.text.len().saturating_sub(n)..]).into_owned()
    }

    /// The text after the last newline, looking back at most 1 KiB: prompts are short, and
    /// checking for one after every read must not cost time proportional to the output.
    pub fn last_line(&self) -> String {
        let window = self.text.len().saturating_sub(1024);
        let start = self.text[window..].iter().rposition(|&b| b == b'\n').map_or(window, |i| window + i + 1);
        String::from_utf8_lossy(&self.text[start..]).into_owned()
    }

    /// If the text ends with `pattern` (e.g. a `--More--` pager), removes it and says so.
    pub fn strip_trailing(&mut self, pattern: &Regex) -> bool {
        let tail_start = self.text.len().saturating_sub(256);
        let tail = String::from_utf8_lossy(&self.text[tail_start..]).into_owned();
        match pattern.find_iter(&tail).last() {
            Some(m) if m.end() == tail.len() => {
                let cut = tail_start + tail[..m.start()].len();
                self.text.truncate(cut.min(self.text.len()));
                // Keep the line breaks before the pager's own line (the one it started on
                // and any empty lines that ended the page).
                let matched = m.as_str();
                let leading = &matched[..matched.len() - matched.trim_start().len()];
                self.text.extend(std::iter::repeat_n(b'\n', leading.matches('\n').count()));
                self.erase = Erase::Back(0);
                true
            }
            _ => false,
        }
    }

    /// Takes everything collected so far.
    pub fn take(&mut self) -> String {
        let text = std::mem::take(&mut self.text);
        String::from_utf8_lossy(&text).into_owned()
    }
}

/// Removes the echoed command (and anything before it) and the trailing prompt line from
/// one command's transcript, leaving exactly the device's output.
pub fn command_output(text: &str, command: &str) -> String {
    let body = match text.find(command.trim()) {
        Some(at) => match text[at..].find('\n') {
            Some(nl) => &text[at + nl + 1..],
            None => "",
        },
        None => text,
    };
    match body.rfind('\n') {
        Some(nl) => body[..nl].to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(chunks: &[&[u8]]) -> String {
        let mut t = Transcript::new(1 << 20);
        for c in chunks {
            t.push(c).unwrap();
        }
        t.take()
    }

    #[test]
    fn strips_ansi_even_across_chunks() {
        assert_eq!(cleaned(&[b"\x1b[1;32mgreen\x1b[0m\r\n"]), "green\n");
        assert_eq!(cleaned(&[b"a\x1b", b"[3", b"1mb\x1b]0;title\x07c"]), "abc");
        assert_eq!(cleaned(&[b"x\x1b]0;t\x1b\\y"]), "xy");
    }

    #[test]
    fn applies_backspaces_like_a_terminal() {
        assert_eq!(cleaned(&[b"line\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08next"]), "line\nnext");
        assert_eq!(cleaned(&[b"a\n\x08b"]), "a\nb");
    }

    #[test]
    fn refuses_output_over_the_limit() {
        let mut t = Transcript::new(4);
        assert!(t.push(b"abcd").is_ok());
        assert_eq!(t.push(b"e"), Err(TooLarge));
    }

    #[test]
    fn a_paged_listing_reads_as_if_it_was_never_paged() {
        let pager = Regex::new(r"\s*--More--\s*$").unwrap();
        let mut t = Transcript::new(1024);
        t.push(b"interface Gi1\r\n --More-- ").unwrap();
        assert!(t.strip_trailing(&pager));
        t.push(b"\x08\x08\x08\x08\x08\x08\x08\x08\x08         \x08\x08\x08\x08\x08\x08\x08\x08\x08 ip address 10.0.0.1\r\n").unwrap();
        assert_eq!(t.take(), "interface Gi1\n ip address 10.0.0.1\n");
    }

    #[test]
    fn an_empty_line_at_the_end_of_a_page_is_kept() {
        let pager = Regex::new(r"\s*--More--\s*").unwrap();
        let mut t = Transcript::new(1024);
        t.push(b"last of page\r\n\r\n --More-- ").unwrap();
        assert!(t.strip_trailing(&pager));
        t.push(b"\x08\x08\x08\x08\x08\x08\x08\x08\x08         \x08\x08\x08\x08\x08\x08\x08\x08\x08next page\r\n")
            .unwrap();
        assert_eq!(t.take(), "last of page\n\nnext page\n");
    }

    #[test]
    fn a_junos_pager_erased_with_carriage_returns_leaves_nothing() {
        let pager = Regex::new(r"\s*---\(more( \d+%)?\)---\s*").unwrap();
        let mut t = Transcript::new(1024);
        t.push(b"ge-0/0/1\r\n---(more 13%)---").unwrap();
        assert!(t.strip_trailing(&pager));
        t.push(b"\r                                        \r  description uplink;\r\n").unwrap();
        assert_eq!(t.take(), "ge-0/0/1\n  description uplink;\n");
        t.push(b"x\n---(more)---").unwrap();
        assert!(t.strip_trailing(&pager));
        t.push(b"\r   indented, not an erase\n").unwrap();
        assert_eq!(t.take(), "x\n   indented, not an erase\n");
    }

    #[test]
    fn strips_a_trailing_pager() {
        let pager = Regex::new(r"\s*--More--\s*$").unwrap();
        let mut t = Transcript::new(1024);
        t.push(b"line1\nline2\n --More-- ").unwrap();
        assert!(t.strip_trailing(&pager));
        assert_eq!(t.take(), "line1\nline2\n");
        t.push(b"no pager here").unwrap();
        assert!(!t.strip_trailing(&pager));
    }

    #[test]
    fn output_loses_only_echo_and_prompt() {
        let text = "show version\nCisco IOS Software\nuptime is 1 day\nr1#";
        assert_eq!(command_output(text, "show version"), "Cisco IOS Software\nuptime is 1 day");
        assert_eq!(command_output("junk\nshow clock\n*10:00\nr1#", "show clock"), "*10:00");
        assert_eq!(command_output("terminal length 0\nr1#", "terminal length 0"), "");
    }
}

#[cfg(test)]
mod properties;
