//! Output filters after a pipe: `| include`, `| exclude`, `| begin`, `| section`, `| count`
//! (IOS names; each platform has its own: Junos `| match`, `| except`, `| find`), plus the
//! ones that change how a command runs: `| no-more`, `| display set`, `| compare`.
//! Patterns are regular expressions, matched literally when invalid.

use regex::Regex;

use crate::platform::{Match, Pipe, Pipes, match_words, tokenize};

#[derive(Debug, PartialEq, Eq)]
pub(super) enum FilterError {
    /// Offset of the bad word within the text after the first pipe.
    Invalid(usize),
    Incomplete,
}

pub(super) struct Filter {
    pub kind: Pipe,
    pattern: Option<Regex>,
}

/// The command before the first `|`, and the offset of the `|` with the text after it.
/// A platform without pipes (a shell) keeps the whole line.
pub(super) fn split_pipe<'a>(text: &'a str, pipes: &Pipes) -> (&'a str, Option<(usize, &'a str)>) {
    match text.find('|') {
        Some(at) if !pipes.kinds.is_empty() => (&text[..at], Some((at, &text[at + 1..]))),
        _ => (text, None),
    }
}

/// The filters in `spec` (the text after the first `|`).
pub(super) fn parse(spec: &str, pipes: &Pipes) -> Result<Vec<Filter>, FilterError> {
    if !pipes.chain {
        return Ok(vec![parse_one(spec, 0, pipes)?]);
    }
    let mut filters = Vec::new();
    let mut offset = 0;
    for part in spec.split('|') {
        filters.push(parse_one(part, offset, pipes)?);
        offset += part.len() + 1;
    }
    Ok(filters)
}

fn parse_one(spec: &str, offset: usize, pipes: &Pipes) -> Result<Filter, FilterError> {
    let tokens = tokenize(spec);
    let (kind, used) = match match_words(pipes.kinds.iter(), |k| k.0, &tokens, true) {
        Match::Found(kind, used) => (kind.1, used),
        Match::Invalid(i) | Match::Ambiguous(i) => return Err(FilterError::Invalid(offset + tokens[i].start)),
        Match::Incomplete => return Err(FilterError::Incomplete),
    };
    let rest = tokens.get(used).map_or("", |t| spec[t.start..].trim());
    let takes_pattern = matches!(kind, Pipe::Include | Pipe::Exclude | Pipe::Begin | Pipe::Section | Pipe::Count);
    if !takes_pattern && !rest.is_empty() {
        return Err(FilterError::Invalid(offset + tokens[used].start));
    }
    if rest.is_empty() && kind != Pipe::Count && takes_pattern {
        return Err(FilterError::Incomplete);
    }
    let pattern = (!rest.is_empty()).then(|| {
        let rest = rest.trim_matches('"');
        Regex::new(rest)
            .unwrap_or_else(|_| Regex::new(&regex::escape(rest)).unwrap_or_else(|_| Regex::new("$^").expect("valid")))
    });
    Ok(Filter { kind, pattern })
}

impl Filter {
    pub fn apply(&self, lines: Vec<String>, pipes: &Pipes) -> Vec<String> {
        let hit = |l: &String| self.pattern.as_ref().is_none_or(|p| p.is_match(l));
        match self.kind {
            Pipe::Include => lines.into_iter().filter(|l| hit(l)).collect(),
            Pipe::Exclude => lines.into_iter().filter(|l| !hit(l)).collect(),
            Pipe::Begin => lines.into_iter().skip_while(|l| !hit(l)).collect(),
            Pipe::Count => vec![pipes.count.replace("{n}", &lines.iter().filter(|l| hit(l)).count().to_string())],
            Pipe::Section => {
                // A top-level line with its indented children, kept when any matches.
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
            Pipe::NoMore | Pipe::DisplaySet | Pipe::Compare => lines,
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
        let pipes = &crate::ios::CISCO_IOS.pipes;
        let text = lines("hostname r1\ninterface Lo7\n description probe\ninterface Gi0/0\n shutdown\nend");
        let run = |spec: &str| parse(spec, pipes).unwrap().remove(0).apply(text.clone(), pipes);
        assert_eq!(run(" include probe"), [" description probe"]);
        assert_eq!(run(" i ^interface").len(), 2);
        assert_eq!(run(" exclude interface").len(), 4);
        assert_eq!(run(" begin Gi0"), ["interface Gi0/0", " shutdown", "end"]);
        assert_eq!(run(" section probe"), ["interface Lo7", " description probe"]);
        assert_eq!(run(" count interface"), ["Number of lines which match regexp = 2"]);
        assert_eq!(run(" include probe|shut").len(), 2, "IOS: the rest of the line is one pattern");
        assert!(matches!(parse(" include ", pipes), Err(FilterError::Incomplete)));
        assert!(matches!(parse(" bogus x", pipes), Err(FilterError::Invalid(1))));
        assert_eq!(split_pipe("sh run | i x", pipes), ("sh run ", Some((7, " i x"))));
    }

    #[test]
    fn junos_pipes_chain() {
        let pipes = &crate::junos::JUNIPER_JUNOS.pipes;
        let filters = parse(" display set | match host | no-more", pipes).unwrap();
        let kinds: Vec<Pipe> = filters.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [Pipe::DisplaySet, Pipe::Include, Pipe::NoMore]);
        let out = filters[1].apply(lines("set system host-name r1\nset system domain-name x"), pipes);
        assert_eq!(out, ["set system host-name r1"]);
        assert_eq!(parse(" display set | bogus", pipes).err(), Some(FilterError::Invalid(15)));
        assert_eq!(filters[0].apply(lines("a\nb"), pipes).len(), 2);
        let count = parse(" count", pipes).unwrap().remove(0).apply(lines("a\nb"), pipes);
        assert_eq!(count, ["Count: 2 lines"]);
    }
}
