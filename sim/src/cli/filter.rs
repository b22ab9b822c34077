//! Output filters after a pipe: `| include`, `| exclude`, `| begin`, `| section`, `| count`.
//! The pattern is the rest of the line, a regular expression as on IOS.

use regex::Regex;

use crate::platform::{match_keyword, tokenize};

const KINDS: &[&str] = &["begin", "count", "exclude", "include", "section"];

#[derive(Debug)]
pub(super) enum FilterError {
    /// Offset of the bad word within the text after the pipe.
    Invalid(usize),
    Incomplete,
}

pub(super) struct Filter {
    kind: &'static str,
    pattern: Regex,
}

/// The command before the first `|`, and the offset of the `|` with the text after it.
pub(super) fn split_pipe(text: &str) -> (&str, Option<(usize, &str)>) {
    match text.find('|') {
        Some(at) => (&text[..at], Some((at, &text[at + 1..]))),
        None => (text, None),
    }
}

impl Filter {
    pub fn parse(spec: &str) -> Result<Self, FilterError> {
        let tokens = tokenize(spec);
        let first = tokens.first().ok_or(FilterError::Incomplete)?;
        let kind = match_keyword(KINDS, first.text).map_err(|_| FilterError::Invalid(first.start))?;
        let pattern = spec[first.start + first.text.len()..].trim();
        if pattern.is_empty() {
            return Err(FilterError::Incomplete);
        }
        let pattern = Regex::new(pattern).unwrap_or_else(|_| {
            // An invalid expression is matched literally rather than refused.
            Regex::new(&regex::escape(pattern)).unwrap_or_else(|_| Regex::new("$^").expect("valid"))
        });
        Ok(Self { kind, pattern })
    }

    pub fn apply(&self, lines: Vec<String>) -> Vec<String> {
        let hit = |l: &String| self.pattern.is_match(l);
        match self.kind {
            "include" => lines.into_iter().filter(|l| hit(l)).collect(),
            "exclude" => lines.into_iter().filter(|l| !hit(l)).collect(),
            "begin" => lines.into_iter().skip_while(|l| !hit(l)).collect(),
            "count" => {
                vec![format!("Number of lines which match regexp = {}", lines.iter().filter(|l| hit(l)).count())]
            }
            _ => {
                // section: a top-level line with its indented children, kept when any matches.
                let mut out = Vec::new();
                let mut group: Vec<String> = Vec::new();
                let mut flush = |group: &mut Vec<String>| {
                    if group.iter().any(hit) {
                        out.append(group);
                    }
                    group.clear();
                };
                for line in lines {
                    if !line.starts_with(' ') {
                        flush(&mut group);
                    }
                    group.push(line);
                }
                flush(&mut group);
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn filters() {
        let text = lines("hostname r1\ninterface Lo7\n description probe\ninterface Gi0/0\n shutdown\nend");
        let run = |spec: &str| Filter::parse(spec).unwrap().apply(text.clone());
        assert_eq!(run(" include probe"), [" description probe"]);
        assert_eq!(run(" i ^interface").len(), 2);
        assert_eq!(run(" exclude interface").len(), 4);
        assert_eq!(run(" begin Gi0"), ["interface Gi0/0", " shutdown", "end"]);
        assert_eq!(run(" section probe"), ["interface Lo7", " description probe"]);
        assert_eq!(run(" count interface"), ["Number of lines which match regexp = 2"]);
        assert!(matches!(Filter::parse(" include "), Err(FilterError::Incomplete)));
        assert!(matches!(Filter::parse(" bogus x"), Err(FilterError::Invalid(1))));
        assert_eq!(split_pipe("sh run | i x"), ("sh run ", Some((7, " i x"))));
    }
}
