//! What a command returns, and rendering output lines into bytes.

use super::Chunk;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Question {
    CopyDestination,
    ConfigureFrom,
    /// Leaving configuration mode with uncommitted changes.
    Uncommitted,
}

/// What a command did: its output lines and what the session does next.
pub(crate) struct Outcome {
    pub lines: Vec<String>,
    pub next: Next,
    /// Never page this output (`| no-more`).
    pub no_more: bool,
}

pub(crate) enum Next {
    Prompt,
    Close,
    AskSecret,
    Ask(Question),
}

impl Outcome {
    pub(super) fn prompt(lines: Vec<String>) -> Self {
        Self { lines, next: Next::Prompt, no_more: false }
    }

    pub(super) fn then(lines: Vec<String>, next: Next) -> Self {
        Self { lines, next, no_more: false }
    }
}

pub(super) fn owned(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| (*l).to_owned()).collect()
}

pub(super) fn render(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 2).sum());
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

pub(super) fn is_enter(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Merges neighbouring chunks of the same kind so each becomes one SSH write.
pub(super) fn coalesce(chunks: Vec<Chunk>) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        match (out.last_mut(), chunk) {
            (Some(Chunk::Echo(a)), Chunk::Echo(b)) | (Some(Chunk::Reply(a)), Chunk::Reply(b)) => a.extend(b),
            (_, chunk) => out.push(chunk),
        }
    }
    out
}
