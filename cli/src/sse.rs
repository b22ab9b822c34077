//! A Server-Sent Events reader: bytes in as they arrive, whole events out.
//!
//! Follows the parts of the HTML `text/event-stream` rules the API uses: `event:` names an
//! event, `data:` lines are joined with newlines, a line starting with `:` is a comment
//! (keep-alive), a blank line ends an event; `\n`, `\r\n` and `\r` all end lines.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `message` when the server names none.
    pub name: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of a line not yet ended (a chunk may end mid-line or mid-character).
    partial: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    name: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = String::from_utf8_lossy(&std::mem::take(&mut self.partial)).into_owned();
                    if let Some(event) = self.line(&line) {
                        events.push(event);
                    }
                }
                _ => self.partial.push(byte),
            }
        }
        events
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let data = self.data.take();
            let name = self.name.take();
            return data.map(|data| Event { name: name.unwrap_or_else(|| "message".to_owned()), data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.name = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_comments_and_line_endings() {
        let mut parser = Parser::default();
        let stream = b": keep-alive\n\nevent: status\r\nid: j:queued:0\r\ndata: {\"status\":\r\n\r\nevent:result\rdata:{}\r\rdata: a\ndata: b\n\n";
        let mut events = Vec::new();
        // Byte by byte: every split point, including between \r and \n.
        for byte in stream {
            events.extend(parser.feed(std::slice::from_ref(byte)));
        }
        assert_eq!(
            events,
            [
                Event { name: "status".into(), data: "{\"status\":".into() },
                Event { name: "result".into(), data: "{}".into() },
                Event { name: "message".into(), data: "a\nb".into() },
            ]
        );
        assert!(parser.feed(b"event: status\n").is_empty(), "no event until the blank line");
    }
}
