//! Reading a TextFSM template: the `Value` lines, then the states and their rules.
//!
//! The grammar and its checks follow Google's `textfsm` (the reference implementation
//! ntc-templates are written for), including its error cases, so a template this module
//! accepts is one `textfsm` accepts, and the other way round.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::pyre::Pattern;

/// Longest value or state name.
const MAX_NAME_LEN: usize = 48;

/// Why a template cannot be used: the line (1-based) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TemplateError {
    pub line: usize,
    pub message: String,
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError { line, message: message.into() })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueOption {
    /// The record is dropped unless this value is set.
    Required,
    /// The value stays from record to record until assigned again (or `Clearall`).
    Filldown,
    /// An assignment also fills this column in the earlier records that lack it.
    Fillup,
    /// Part of the record's key (merging the tables of several templates).
    Key,
    /// Every assignment appends to a list.
    List,
}

impl ValueOption {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Required" => Self::Required,
            "Filldown" => Self::Filldown,
            "Fillup" => Self::Fillup,
            "Key" => Self::Key,
            "List" => Self::List,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ValueDef {
    pub name: String,
    /// In declaration order: their hooks run in this order.
    pub options: Vec<ValueOption>,
    /// A `List` value's own pattern, matched again to collect its named groups.
    pub list_pattern: Option<Pattern>,
}

impl ValueDef {
    pub fn has(&self, option: ValueOption) -> bool {
        self.options.contains(&option)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineOp {
    /// Take the next input line and start again at the state's first rule.
    Next,
    /// Keep the line and try the following rules of the state.
    Continue,
    /// Stop: the input is not what the template expects.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordOp {
    NoRecord,
    /// Append the current record to the table, then clear it (except Filldown values).
    Record,
    /// Clear the current record, except Filldown values.
    Clear,
    /// Clear the current record and the remembered Filldown values.
    Clearall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    State(usize),
    /// Stop reading; no record is added at the end.
    End,
    /// Stop reading; the end-of-input record is added (unless an `EOF` state is declared).
    Eof,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub pattern: Pattern,
    pub line_op: LineOp,
    pub record_op: RecordOp,
    pub target: Option<Target>,
    /// The message of an `Error` action, as written (quotes included).
    pub message: Option<String>,
    /// Where the rule is in the template (1-based), for error messages.
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub rules: Vec<Rule>,
}

/// A compiled TextFSM template.
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) values: Vec<ValueDef>,
    pub(crate) states: Vec<State>,
    pub(crate) start: usize,
    /// An (empty) `EOF` state is declared: no record is added at the end of the input.
    pub(crate) eof_declared: bool,
}

/// A rule as read, before its target state is resolved.
struct RawRule {
    pattern: Pattern,
    line_op: LineOp,
    record_op: RecordOp,
    new_state: Option<String>,
    line: usize,
}

static COMMENT: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"^\s*#").expect("valid"));
static STATE_NAME: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"^\w+$").expect("valid"));
const NEW_STATE: &str = r#"(?P<new_state>\w+|".*")"#;
static ACTION: LazyLock<regex::Regex> = LazyLock::new(|| {
    let re =
        format!(r"^\s+(?P<ln_op>Continue|Next|Error)(\.(?P<rec_op>Clear|Clearall|Record|NoRecord))?(\s+{NEW_STATE})?$");
    regex::Regex::new(&re).expect("valid")
});
static ACTION_RECORD: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(&format!(r"^\s+(?P<rec_op>Clear|Clearall|Record|NoRecord)(\s+{NEW_STATE})?$")).expect("valid")
});
static ACTION_STATE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(&format!(r"^(\s+{NEW_STATE})?$")).expect("valid"));

impl Template {
    /// Compiles a template; the first problem found is reported with its line.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut lines = text.split('\n').map(|l| l.trim_end()).enumerate().map(|(i, l)| (i + 1, l)).peekable();
        let mut values: Vec<ValueDef> = Vec::new();
        // Substitutions for `${name}`: the value's pattern as a named group.
        let mut substitutions: HashMap<String, String> = HashMap::new();

        for (n, line) in lines.by_ref() {
            if line.is_empty() {
                break;
            }
            if COMMENT.is_match(line) {
                continue;
            }
            if line.starts_with("Value ") {
                let (value, pattern) = parse_value(line).or_else(|message| fail(n, message))?;
                if values.iter().any(|v| v.name == value.name) {
                    return fail(n, format!("duplicate declarations for Value '{}'", value.name));
                }
                substitutions.insert(value.name.clone(), pattern);
                values.push(value);
            } else if values.is_empty() {
                return fail(n, "no Value definitions found");
            } else {
                return fail(n, "expected a blank line after the last Value entry");
            }
        }

        let mut states: Vec<(String, usize, Vec<RawRule>)> = Vec::new();
        loop {
            // The state's name: the first line that is neither blank nor a comment.
            let mut header = None;
            for (n, line) in lines.by_ref() {
                if line.is_empty() || COMMENT.is_match(line) {
                    continue;
                }
                let reserved = ["Continue", "Next", "Error", "Clear", "Clearall", "Record", "NoRecord"];
                if !STATE_NAME.is_match(line) || line.len() > MAX_NAME_LEN || reserved.contains(&line) {
                    return fail(n, format!("invalid state name: '{line}'"));
                }
                if states.iter().any(|(name, _, _)| name == line) {
                    return fail(n, format!("duplicate state name: '{line}'"));
                }
                header = Some((line.to_owned(), n));
                break;
            }
            let Some((name, at)) = header else { break };
            let mut rules = Vec::new();
            for (n, line) in lines.by_ref() {
                if line.is_empty() {
                    break;
                }
                if COMMENT.is_match(line) {
                    continue;
                }
                if !(line.starts_with(" ^") || line.starts_with("  ^") || line.starts_with("\t^")) {
                    return fail(n, "missing white space or caret ('^') before rule");
                }
                rules.push(parse_rule(line, n, &substitutions)?);
            }
            states.push((name, at, rules));
        }
        validate(values, states)
    }

    /// The value names, in declaration order (the table's columns).
    pub fn header(&self) -> Vec<String> {
        self.values.iter().map(|v| v.name.clone()).collect()
    }

    /// The names of the `Key` values.
    pub fn keys(&self) -> Vec<String> {
        self.values.iter().filter(|v| v.has(ValueOption::Key)).map(|v| v.name.clone()).collect()
    }
}

/// `Value [Option[,Option…]] NAME (regex)`: the definition and its `${NAME}` substitution.
fn parse_value(line: &str) -> Result<(ValueDef, String), String> {
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.len() < 3 {
        return Err("expected at least 3 tokens: Value [options] NAME (regex)".into());
    }
    let mut options = Vec::new();
    let (name, regex) = if tokens[2].starts_with('(') {
        (tokens[1], tokens[2..].join(" "))
    } else {
        for option in tokens[1].split(',') {
            let parsed = ValueOption::parse(option).ok_or_else(|| format!("unknown option \"{option}\""))?;
            if options.contains(&parsed) {
                return Err(format!("duplicate option \"{option}\""));
            }
            options.push(parsed);
        }
        (tokens[2], tokens[3..].join(" "))
    };
    if name.len() > MAX_NAME_LEN {
        return Err(format!("invalid Value name '{name}' or name too long"));
    }
    if !regex.starts_with('(') || !regex.ends_with(')') || regex.ends_with("\\)") {
        return Err(format!("Value '{regex}' must be contained within a '()' pair"));
    }
    let own = Pattern::new(&regex).map_err(|e| e.to_string())?;
    let substitution = format!("(?P<{name}>{}", &regex[1..]);
    let list_pattern = options.contains(&ValueOption::List).then_some(own);
    Ok((ValueDef { name: name.to_owned(), options, list_pattern }, substitution))
}

/// `  ^regex [-> [LineOp][.RecordOp] [NewState | "error message"]]`
fn parse_rule(line: &str, n: usize, substitutions: &HashMap<String, String>) -> Result<RawRule, TemplateError> {
    let line = line.trim();
    // The last ` ->` separates the pattern from the action.
    let split = line
        .char_indices()
        .filter(|&(i, c)| c.is_whitespace() && line[i + c.len_utf8()..].starts_with("->"))
        .map(|(i, c)| (i, i + c.len_utf8() + 2))
        .next_back();
    let (matcher, action) = match split {
        Some((end, action)) => (&line[..end], Some(&line[action..])),
        None => (line, None),
    };
    let regex = if substitutions.is_empty() {
        matcher.to_owned()
    } else {
        substitute(matcher, substitutions).or_else(|()| {
            fail(n, format!("duplicate or invalid variable substitution: '{matcher}' (write a literal $ as $$)"))
        })?
    };
    let pattern = Pattern::new(&regex).or_else(|e| fail(n, e.to_string()))?;
    let mut rule = RawRule { pattern, line_op: LineOp::Next, record_op: RecordOp::NoRecord, new_state: None, line: n };
    let Some(action) = action else { return Ok(rule) };
    let caps = ACTION
        .captures(action)
        .or_else(|| ACTION_RECORD.captures(action))
        .or_else(|| ACTION_STATE.captures(action))
        .ok_or_else(|| TemplateError { line: n, message: format!("badly formatted rule '{line}'") })?;
    if let Some(op) = caps.name("ln_op") {
        rule.line_op = match op.as_str() {
            "Continue" => LineOp::Continue,
            "Error" => LineOp::Error,
            _ => LineOp::Next,
        };
    }
    if let Some(op) = caps.name("rec_op") {
        rule.record_op = match op.as_str() {
            "Record" => RecordOp::Record,
            "Clear" => RecordOp::Clear,
            "Clearall" => RecordOp::Clearall,
            _ => RecordOp::NoRecord,
        };
    }
    rule.new_state = caps.name("new_state").map(|s| s.as_str().to_owned()).filter(|s| !s.is_empty());
    if rule.line_op == LineOp::Continue && rule.new_state.is_some() {
        return fail(n, "a Continue action cannot change state");
    }
    if rule.line_op != LineOp::Error && rule.new_state.as_deref().is_some_and(|s| s.starts_with('"')) {
        return fail(n, "alphanumeric characters only in state names");
    }
    Ok(rule)
}

/// Python's `string.Template(text).substitute(map)`: `$$` is `$`, `$name` and `${name}`
/// are replaced; an unknown name or any other `$` is an error.
fn substitute(text: &str, map: &HashMap<String, String>) -> Result<String, ()> {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    let ident_len = |s: &str| {
        let mut chars = s.char_indices();
        match chars.next() {
            Some((_, c)) if c == '_' || c.is_ascii_alphabetic() => {}
            _ => return 0,
        }
        chars.find(|&(_, c)| !(c == '_' || c.is_ascii_alphanumeric())).map_or(s.len(), |(i, _)| i)
    };
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(braced) = after.strip_prefix('{') {
            let len = ident_len(braced);
            if len == 0 || !braced[len..].starts_with('}') {
                return Err(());
            }
            out.push_str(map.get(&braced[..len]).ok_or(())?);
            rest = &braced[len + 1..];
        } else {
            let len = ident_len(after);
            if len == 0 {
                return Err(());
            }
            out.push_str(map.get(&after[..len]).ok_or(())?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The whole-template checks: a `Start` state, empty `End`/`EOF` states, known targets.
fn validate(values: Vec<ValueDef>, states: Vec<(String, usize, Vec<RawRule>)>) -> Result<Template, TemplateError> {
    let last_line = states.last().map_or(1, |(_, at, rules)| rules.last().map_or(*at, |r| r.line));
    let position = |name: &str| states.iter().position(|(n, _, _)| n == name);
    if position("Start").is_none() {
        return fail(last_line, "missing state 'Start'");
    }
    for reserved in ["End", "EOF"] {
        if let Some(i) = position(reserved)
            && !states[i].2.is_empty()
        {
            return fail(states[i].1, format!("the '{reserved}' state must be empty"));
        }
    }
    let eof_declared = position("EOF").is_some();
    // `End` is a destination only; it is not kept as a state.
    let kept: Vec<&(String, usize, Vec<RawRule>)> = states.iter().filter(|(n, _, _)| n != "End").collect();
    let index = |name: &str| kept.iter().position(|(n, _, _)| n == name);
    let mut compiled = Vec::with_capacity(kept.len());
    for (name, _, rules) in &kept {
        let mut out = Vec::with_capacity(rules.len());
        for rule in rules {
            let (target, message) = match (&rule.new_state, rule.line_op) {
                (None, _) => (None, None),
                (Some(text), LineOp::Error) => (None, Some(text.clone())),
                (Some(state), _) if state == "End" => (Some(Target::End), None),
                (Some(state), _) if state == "EOF" => (Some(Target::Eof), None),
                (Some(state), _) => match index(state) {
                    Some(i) => (Some(Target::State(i)), None),
                    None => return fail(rule.line, format!("state '{state}' not found, referenced in state '{name}'")),
                },
            };
            out.push(Rule {
                pattern: rule.pattern.clone(),
                line_op: rule.line_op,
                record_op: rule.record_op,
                target,
                message,
                line: rule.line,
            });
        }
        compiled.push(State { rules: out });
    }
    let start = index("Start").expect("checked above");
    Ok(Template { values, states: compiled, start, eof_declared })
}
