//! Python regular expressions, as TextFSM templates write them, run with Rust engines.
//!
//! Templates are written for Python's `re`. Most patterns mean the same to the `regex`
//! crate once a few spellings are translated ([`translate`]); lookarounds (which some
//! ntc-templates use) need a backtracking engine, so a pattern the `regex` crate refuses
//! is compiled with `fancy-regex` instead. Matching is `re.match`: anchored at the start
//! of the text, not at its end.

/// A compiled pattern with Python `re.match` semantics.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    engine: Engine,
    /// Named groups in the order Python's `groupdict()` lists them.
    names: Vec<String>,
    /// Capture groups of the pattern as written (Python's `.groups`).
    groups: usize,
}

#[derive(Debug, Clone)]
enum Engine {
    Plain(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
}

/// One successful match: each named group's text, `None` when it did not take part.
pub(crate) type Groups = Vec<(String, Option<String>)>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("invalid regular expression {pattern:?}: {reason}")]
    Invalid { pattern: String, reason: String },
    #[error("the regular expression {pattern:?} gave up on a line (backtracking limit)")]
    Backtracking { pattern: String },
}

impl Pattern {
    /// Compiles a Python pattern for anchored matching.
    pub(crate) fn new(python: &str) -> Result<Self, PatternError> {
        let translated = translate(python);
        let anchored = format!("^(?:{translated})");
        let invalid = |reason: String| PatternError::Invalid { pattern: python.to_owned(), reason };
        let engine = match regex::Regex::new(&anchored) {
            Ok(re) => Engine::Plain(re),
            Err(plain) => match fancy_regex::Regex::new(&anchored) {
                Ok(re) => Engine::Fancy(Box::new(re)),
                // Lookarounds make the first engine refuse; otherwise its message is clearer.
                Err(fancy) if python.contains("(?") => return Err(invalid(fancy.to_string())),
                Err(_) => return Err(invalid(first_line(&plain.to_string()))),
            },
        };
        let names: Vec<String> = match &engine {
            Engine::Plain(re) => re.capture_names().flatten().map(str::to_owned).collect(),
            Engine::Fancy(re) => re.capture_names().flatten().map(str::to_owned).collect(),
        };
        if let Some(twice) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)).map(|(_, n)| n) {
            return Err(invalid(format!("redefinition of group name {twice:?}")));
        }
        // The wrapping `(?:…)` adds no group; group 0 is the whole match.
        let groups = match &engine {
            Engine::Plain(re) => re.captures_len() - 1,
            Engine::Fancy(re) => re.captures_len() - 1,
        };
        Ok(Self { engine, names, groups })
    }

    /// Capture groups in the pattern (Python's `pattern.groups`).
    pub(crate) fn groups(&self) -> usize {
        self.groups
    }

    /// `re.match(text)`: the named groups, or `None` when the text does not match.
    pub(crate) fn match_groups(&self, text: &str) -> Result<Option<Groups>, PatternError> {
        let found = |name: &str, value: Option<&str>| (name.to_owned(), value.map(str::to_owned));
        match &self.engine {
            Engine::Plain(re) => Ok(re
                .captures(text)
                .map(|caps| self.names.iter().map(|n| found(n, caps.name(n).map(|m| m.as_str()))).collect())),
            Engine::Fancy(re) => match re.captures(text) {
                Ok(caps) => {
                    Ok(caps.map(|caps| self.names.iter().map(|n| found(n, caps.name(n).map(|m| m.as_str()))).collect()))
                }
                Err(_) => Err(PatternError::Backtracking { pattern: re.as_str().to_owned() }),
            },
        }
    }

    /// `re.match(text) is not None`.
    pub(crate) fn is_match(&self, text: &str) -> Result<bool, PatternError> {
        match &self.engine {
            Engine::Plain(re) => Ok(re.is_match(text)),
            Engine::Fancy(re) => {
                re.is_match(text).map_err(|_| PatternError::Backtracking { pattern: re.as_str().into() })
            }
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().rev().find(|l| l.trim_start().starts_with("error:")).unwrap_or(text).trim().to_owned()
}

/// Characters that mean something to the Rust engines and may be escaped there.
const RUST_META: &str = "\\.+*?()|[]{}^$#&-~";

/// Rewrites the spellings where Python and Rust disagree:
/// - an escaped punctuation character Rust does not accept escaped (`\'`, `\<`, `\/`, `\ `)
///   becomes the plain character (Python reads it literally; Rust reads `\<` as a word
///   boundary and refuses most others);
/// - `\Z` (end of text) becomes `\z`;
/// - a `{` that does not start a repetition is a literal, as is a lone `}`; `{,n}` is
///   `{0,n}`;
/// - inside a character class, `[` and the set operators `&&`, `--` and `~~` are literals
///   in Python, so `[`, `&` and `~` are escaped;
/// - `(?#…)` comments are dropped.
pub(crate) fn translate(python: &str) -> String {
    let chars: Vec<char> = python.chars().collect();
    let mut out = String::with_capacity(python.len() + 8);
    // Open groups: where each starts in `out`, and whether it is a lookaround.
    let mut groups: Vec<(usize, bool)> = Vec::new();
    // A lookaround that just closed (its start in `out`): Python lets it be repeated.
    let mut closed_lookaround: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_lookaround = closed_lookaround.take();
        if let Some(start) = after_lookaround
            && let Some((at_least_once, used)) = quantifier(&chars[i..])
        {
            // Repeating a zero-width assertion: once if at least once, else it always holds.
            if !at_least_once {
                out.truncate(start);
            }
            i += used;
            continue;
        }
        match c {
            '\\' if i + 1 < chars.len() => {
                escape(chars[i + 1], false, &mut out);
                i += 2;
            }
            '[' => i = class(&chars, i, &mut out),
            '{' => match repetition(&chars[i..]) {
                Some((text, used)) => {
                    out.push_str(&text);
                    i += used;
                }
                None => {
                    out.push_str("\\{");
                    i += 1;
                }
            },
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            '(' if chars[i..].starts_with(&['(', '?', '#']) => {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                i += 1;
            }
            '(' => {
                let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
                let lookaround = ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|p| rest.starts_with(p));
                groups.push((out.len(), lookaround));
                out.push('(');
                i += 1;
            }
            ')' => {
                if let Some((start, true)) = groups.pop() {
                    closed_lookaround = Some(start);
                }
                out.push(')');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn escape(next: char, in_class: bool, out: &mut String) {
    match next {
        'Z' if !in_class => out.push_str("\\z"),
        c if c.is_ascii_alphanumeric() => {
            out.push('\\');
            out.push(c);
        }
        c if RUST_META.contains(c) => {
            out.push('\\');
            out.push(c);
        }
        c if c.is_ascii() => out.push_str(&regex::escape(&c.to_string())),
        // Python reads `\é` as `é`.
        c => out.push(c),
    }
}

/// Copies the character class starting at `start` (a `[`); returns the index after it.
fn class(chars: &[char], start: usize, out: &mut String) -> usize {
    let mut i = start + 1;
    let mut body = String::new();
    if chars.get(i) == Some(&'^') {
        body.push('^');
        i += 1;
    }
    // A `]` first in the class is a literal.
    if chars.get(i) == Some(&']') {
        body.push_str("\\]");
        i += 1;
    }
    while i < chars.len() {
        match chars[i] {
            ']' => {
                out.push('[');
                out.push_str(&body);
                out.push(']');
                return i + 1;
            }
            '\\' if i + 1 < chars.len() => {
                escape(chars[i + 1], true, &mut body);
                i += 2;
            }
            c @ ('[' | '&' | '~') => {
                body.push('\\');
                body.push(c);
                i += 1;
            }
            c => {
                body.push(c);
                i += 1;
            }
        }
    }
    // Unterminated: let the engine report it.
    out.push('[');
    out.push_str(&body);
    chars.len()
}

/// A quantifier at the start of `chars` (with its lazy `?` or possessive `+`): whether it
/// demands at least one repetition, and its length.
fn quantifier(chars: &[char]) -> Option<(bool, usize)> {
    let (at_least_once, used) = match chars.first()? {
        '+' => (true, 1),
        '*' | '?' => (false, 1),
        '{' => {
            let (text, used) = repetition(chars)?;
            (!text.starts_with("{0"), used)
        }
        _ => return None,
    };
    let modifier = matches!(chars.get(used), Some('?' | '+'));
    Some((at_least_once, used + usize::from(modifier)))
}

/// A `{m}`, `{m,}`, `{m,n}` or `{,n}` repetition at the start of `chars`: its Rust
/// spelling and its length.
fn repetition(chars: &[char]) -> Option<(String, usize)> {
    let end = chars.iter().position(|&c| c == '}')?;
    let inner: String = chars[1..end].iter().collect();
    let (low, high) = match inner.split_once(',') {
        None => (inner.as_str(), None),
        Some((low, high)) => (low, Some(high)),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(low) || !high.is_none_or(digits) || (low.is_empty() && high.is_none_or(str::is_empty)) {
        return None;
    }
    let low = if low.is_empty() { "0" } else { low };
    let text = match high {
        None => format!("{{{low}}}"),
        Some(high) => format!("{{{low},{high}}}"),
    };
    Some((text, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(python: &str, text: &str) -> bool {
        Pattern::new(python).unwrap().is_match(text).unwrap()
    }

    #[test]
    fn python_spellings_are_translated() {
        assert_eq!(translate(r"\'x\'"), "'x'");
        assert_eq!(translate(r"a\Z"), r"a\z");
        assert_eq!(translate(r"\d{2,3}\s{,2}x{3}"), r"\d{2,3}\s{0,2}x{3}");
        assert_eq!(translate(r"{foo}"), r"\{foo\}");
        assert_eq!(translate(r"[[\]a&&b~~]"), r"[\[\]a\&\&b\~\~]");
        assert_eq!(translate(r"[]a]"), r"[\]a]");
        assert_eq!(translate(r"a(?# note)b"), "ab");
        assert_eq!(translate(r"\<\>\/\:\ \-"), r"<>/: \-");
        // A repeated lookaround: once when at least once, dropped when optional.
        assert_eq!(translate(r"a(?<=[^()\s])+(b)*"), r"a(?<=[^()\s])(b)*");
        assert_eq!(translate(r"a(?=x)?b"), "ab");
    }

    #[test]
    fn matching_is_anchored_at_the_start_only() {
        assert!(matches(r"abc", "abcdef"));
        assert!(!matches(r"bcd", "abcdef"));
        // Alternatives are anchored too, as with re.match.
        assert!(!matches(r"x|cd", "abcd"));
        assert!(matches(r"\s+Up\s", "  Up 2 days"));
    }

    #[test]
    fn lookarounds_use_the_backtracking_engine() {
        let p = Pattern::new(r"(?P<A>\S+)(?=\s+up)").unwrap();
        assert!(matches!(p.engine, Engine::Fancy(_)));
        assert_eq!(p.match_groups("Gi0/1 up").unwrap().unwrap(), vec![("A".into(), Some("Gi0/1".into()))]);
        assert!(matches(r"(?<!x)ab", "ab"));
        assert!(!matches(r"a(?!b)", "ab"));
    }

    #[test]
    fn groups_that_did_not_take_part_are_none() {
        let p = Pattern::new(r"(?P<A>\w+)(\s+(?P<B>\d+))?").unwrap();
        assert_eq!(p.groups(), 3);
        let g = p.match_groups("word").unwrap().unwrap();
        assert_eq!(g, vec![("A".into(), Some("word".into())), ("B".into(), None)]);
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::new(r"(unclosed").is_err());
        assert!(Pattern::new(r"(?P<a>x)(?P<a>y)").is_err());
        assert!(Pattern::new(r"[abc").is_err());
    }
}
