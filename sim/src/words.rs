//! Command-line words: splitting a line into tokens and matching them against keyword
//! tables, IOS style (any unambiguous prefix) or exactly (a shell).

/// A word of a command line and where it starts (for the `^` marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub start: usize,
    pub text: &'a str,
}

pub(crate) fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                tokens.push(Token { start: s, text: &line[s..i] });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push(Token { start: s, text: &line[s..] });
    }
    tokens
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Match<T> {
    /// The entry and how many tokens its keywords used.
    Found(T, usize),
    /// The token at this index matches nothing.
    Invalid(usize),
    Incomplete,
    /// The token at this index is a prefix of several keywords.
    Ambiguous(usize),
}

/// IOS-style keyword matching: each token may be any unambiguous prefix of the keyword at
/// its position (unless `abbreviate` is false: then words match exactly, case included);
/// an exact keyword always wins.
pub(crate) fn match_words<'t, T: Copy>(
    entries: impl IntoIterator<Item = T>,
    words: impl Fn(T) -> &'t [&'t str],
    tokens: &[Token<'_>],
    abbreviate: bool,
) -> Match<T> {
    let mut candidates: Vec<T> = entries.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        let typed = if abbreviate { token.text.to_ascii_lowercase() } else { token.text.to_owned() };
        let fits = |w: &str| if abbreviate { w.starts_with(&typed) } else { w == typed };
        let continuing: Vec<T> =
            candidates.iter().copied().filter(|&e| words(e).get(i).is_some_and(|w| fits(w))).collect();
        if continuing.is_empty() {
            return match candidates.iter().copied().find(|&e| words(e).len() == i) {
                Some(done) => Match::Found(done, i),
                None => Match::Invalid(i),
            };
        }
        let mut distinct: Vec<&str> = continuing.iter().map(|&e| words(e)[i]).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let chosen = if distinct.contains(&typed.as_str()) {
            typed.clone()
        } else if distinct.len() == 1 {
            distinct[0].to_owned()
        } else {
            return Match::Ambiguous(i);
        };
        candidates = continuing.into_iter().filter(|&e| words(e)[i] == chosen).collect();
    }
    match candidates.iter().copied().find(|&e| words(e).len() == tokens.len()) {
        Some(done) => Match::Found(done, tokens.len()),
        None => Match::Incomplete,
    }
}

/// Expands one possibly abbreviated keyword against a list.
pub(crate) fn match_keyword(list: &[&'static str], typed: &str) -> Result<&'static str, KeywordError> {
    let typed = typed.to_ascii_lowercase();
    if let Some(exact) = list.iter().copied().find(|k| *k == typed) {
        return Ok(exact);
    }
    let mut hits = list.iter().copied().filter(|k| k.starts_with(&typed));
    match (hits.next(), hits.next()) {
        (Some(one), None) => Ok(one),
        (Some(_), Some(_)) => Err(KeywordError::Ambiguous),
        _ => Err(KeywordError::Unknown),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeywordError {
    Unknown,
    Ambiguous,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[&[&str]] = &[&["show", "version"], &["show", "ip", "interface", "brief"], &["setup"], &["exit"]];

    fn run(line: &str) -> Match<usize> {
        let tokens = tokenize(line);
        match_words(0..TABLE.len(), |i| TABLE[i], &tokens, true)
    }

    #[test]
    fn abbreviations_resolve_word_by_word() {
        assert_eq!(run("sh ver"), Match::Found(0, 2));
        assert_eq!(run("sh ip int br"), Match::Found(1, 4));
        assert_eq!(run("s ver"), Match::Ambiguous(0));
        assert_eq!(run("show bogus"), Match::Invalid(1));
        assert_eq!(run("show ip"), Match::Incomplete);
        assert_eq!(run("exit now"), Match::Found(3, 1));
        let exact = |line: &str| match_words(0..TABLE.len(), |i| TABLE[i], &tokenize(line), false);
        assert_eq!(exact("sh ver"), Match::Invalid(0));
        assert_eq!(exact("exit"), Match::Found(3, 1));
    }

    #[test]
    fn tokens_know_their_offsets() {
        let t = tokenize("  sh  run ");
        assert_eq!(t, vec![Token { start: 2, text: "sh" }, Token { start: 6, text: "run" }]);
    }

    #[test]
    fn keywords_expand_unless_ambiguous() {
        const LIST: &[&str] = &["description", "duplex", "shutdown"];
        assert_eq!(match_keyword(LIST, "desc"), Ok("description"));
        assert_eq!(match_keyword(LIST, "d"), Err(KeywordError::Ambiguous));
        assert_eq!(match_keyword(LIST, "x"), Err(KeywordError::Unknown));
    }
}
