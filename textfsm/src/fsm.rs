//! Running a template over a command's output: the state machine and the records it
//! builds, with the value options' effects (Filldown, Fillup, Required, List) applied in
//! the order `textfsm` applies them.

use serde_json::{Map, Value};

use crate::pyre::PatternError;
use crate::template::{LineOp, RecordOp, Target, Template, ValueDef, ValueOption};

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// An `Error` rule matched: the input is not what the template expects. Neither the
    /// message nor the error carries the input line (it is device output).
    #[error("{} (template line {rule_line}, input line {input_line})", message.as_deref().unwrap_or("the template rejected the input"))]
    Rejected { message: Option<String>, rule_line: usize, input_line: usize },
    #[error(transparent)]
    Pattern(#[from] PatternError),
}

/// One item of a `List` value: a string, a dictionary of the value's own named groups, or
/// nothing (an optional group that did not take part; `"None"` in records, as in
/// ntc-templates' answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Null,
    Text(String),
    Groups(Vec<(String, Option<String>)>),
}

/// One cell of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    List(Vec<Item>),
}

impl Cell {
    fn is_set(&self) -> bool {
        match self {
            Self::Text(s) => !s.is_empty(),
            Self::List(items) => !items.is_empty(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Text(s) => Value::String(s.clone()),
            Self::List(items) => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        // clitable's table turns every item into text with `str()`, and
                        // `parse_output` (netmiko's `use_textfsm` too) returns that.
                        Item::Null => Value::String("None".to_owned()),
                        Item::Text(s) => Value::String(s.clone()),
                        Item::Groups(groups) => Value::Object(
                            groups
                                .iter()
                                .map(|(k, v)| (k.clone(), v.clone().map_or(Value::Null, Value::String)))
                                .collect(),
                        ),
                    })
                    .collect(),
            ),
        }
    }
}

/// The records a template produced: one row per record, one column per value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The records as ntc-templates' `parse_output` returns them: one object per row,
    /// keyed by the lower-cased value name.
    pub fn records(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|row| {
                let mut record = Map::new();
                for (name, cell) in self.header.iter().zip(row) {
                    record.insert(name.to_lowercase(), cell.to_json());
                }
                Value::Object(record)
            })
            .collect()
    }

    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Adds `other`'s columns that this table lacks (clitable's `extend`): to the row whose
    /// `keys` columns are equal, or, without keys, row by row.
    pub(crate) fn extend(&mut self, other: &Table, keys: &[String]) -> Result<(), String> {
        if let Some(unknown) = keys.iter().find(|k| self.column(k).is_none()) {
            return Err(format!("unknown key column '{unknown}'"));
        }
        let added: Vec<usize> = (0..other.header.len()).filter(|&i| self.column(&other.header[i]).is_none()).collect();
        if added.is_empty() {
            return Ok(());
        }
        for &i in &added {
            self.header.push(other.header[i].clone());
        }
        for row in &mut self.rows {
            row.extend(added.iter().map(|_| Cell::Text(String::new())));
        }
        let width = self.header.len();
        let first_added = width - added.len();
        if keys.is_empty() {
            for (row, source) in self.rows.iter_mut().zip(&other.rows) {
                for (j, &i) in added.iter().enumerate() {
                    row[first_added + j] = source[i].clone();
                }
            }
            return Ok(());
        }
        let mine: Vec<usize> = keys.iter().map(|k| self.column(k).expect("checked above")).collect();
        let theirs: Vec<Option<usize>> = keys.iter().map(|k| other.column(k)).collect();
        for row in &mut self.rows {
            let same =
                |source: &Vec<Cell>| mine.iter().zip(&theirs).all(|(&m, t)| t.is_some_and(|t| row[m] == source[t]));
            if let Some(source) = other.rows.iter().find(|source| same(source)) {
                let values: Vec<Cell> = added.iter().map(|&i| source[i].clone()).collect();
                for (j, value) in values.into_iter().enumerate() {
                    row[first_added + j] = value;
                }
            }
        }
        Ok(())
    }
}

/// A value's current state while parsing (`textfsm`'s `value.value` and its options' own
/// state).
#[derive(Debug, Clone, Default)]
struct Slot {
    /// `None`, a string, or (while a record is saved) the list.
    current: Current,
    /// Filldown: the last assignment, restored when the record is cleared.
    remembered: Option<String>,
    /// List: the items collected for the current record.
    items: Vec<Item>,
}

#[derive(Debug, Clone, Default, PartialEq)]
enum Current {
    #[default]
    None,
    Text(String),
    List(Vec<Item>),
}

impl Current {
    fn is_set(&self) -> bool {
        match self {
            Self::None => false,
            Self::Text(s) => !s.is_empty(),
            Self::List(items) => !items.is_empty(),
        }
    }
}

struct Run<'t> {
    template: &'t Template,
    slots: Vec<Slot>,
    rows: Vec<Vec<Cell>>,
}

impl Template {
    /// Parses `text` (a command's output) into a table.
    pub fn parse_text(&self, text: &str) -> Result<Table, ParseError> {
        let mut run = Run { template: self, slots: vec![Slot::default(); self.values.len()], rows: Vec::new() };
        run.clear_all();
        let mut state = Target::State(self.start);
        for (n, line) in split_lines(text).into_iter().enumerate() {
            let Target::State(current) = state else { break };
            state = run.check_line(current, line, n + 1)?;
            if !matches!(state, Target::State(_)) {
                break;
            }
        }
        if state != Target::End && !self.eof_declared {
            run.append_record();
        }
        Ok(Table { header: self.header(), rows: run.rows })
    }
}

/// Python's `str.splitlines()`.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let breaks = matches!(
            c,
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
        if breaks {
            lines.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                chars.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

impl Run<'_> {
    fn value(&self, index: usize) -> &ValueDef {
        &self.template.values[index]
    }

    /// Runs the current state's rules over one line; returns where the machine is next.
    fn check_line(&mut self, state: usize, line: &str, line_number: usize) -> Result<Target, ParseError> {
        let template = self.template;
        for rule in &template.states[state].rules {
            let Some(groups) = rule.pattern.match_groups(line)? else { continue };
            for (name, text) in groups {
                if let Some(index) = template.values.iter().position(|v| v.name == name) {
                    self.assign(index, text)?;
                }
            }
            match rule.record_op {
                RecordOp::Record => self.append_record(),
                RecordOp::Clear => self.clear(),
                RecordOp::Clearall => self.clear_all(),
                RecordOp::NoRecord => {}
            }
            match rule.line_op {
                LineOp::Error => {
                    return Err(ParseError::Rejected {
                        message: rule.message.clone(),
                        rule_line: rule.line,
                        input_line: line_number,
                    });
                }
                LineOp::Continue => continue,
                LineOp::Next => return Ok(rule.target.unwrap_or(Target::State(state))),
            }
        }
        Ok(Target::State(state))
    }

    fn assign(&mut self, index: usize, text: Option<String>) -> Result<(), ParseError> {
        self.slots[index].current = text.clone().map_or(Current::None, Current::Text);
        let value = self.value(index);
        for option in value.options.clone() {
            match option {
                ValueOption::Filldown => self.slots[index].remembered = text.clone(),
                ValueOption::Fillup => {
                    if let Current::Text(s) = &self.slots[index].current
                        && !s.is_empty()
                    {
                        let fill = Cell::Text(s.clone());
                        for row in self.rows.iter_mut().rev() {
                            if row[index].is_set() {
                                break;
                            }
                            row[index] = fill.clone();
                        }
                    }
                }
                ValueOption::List => {
                    let value = self.value(index);
                    let pattern = value.list_pattern.as_ref().expect("List values keep their pattern");
                    let nested = match (&text, pattern.groups() > 1) {
                        (Some(t), true) => pattern.match_groups(t)?.filter(|groups| !groups.is_empty()),
                        _ => None,
                    };
                    let item = match (nested, &text) {
                        (Some(groups), _) => Item::Groups(groups),
                        (None, Some(t)) => Item::Text(t.clone()),
                        (None, None) => Item::Null,
                    };
                    self.slots[index].items.push(item);
                }
                ValueOption::Required | ValueOption::Key => {}
            }
        }
        Ok(())
    }

    /// Clears the record; Filldown values come back, List items stay for Filldown lists.
    fn clear(&mut self) {
        for index in 0..self.slots.len() {
            let filldown = self.value(index).has(ValueOption::Filldown);
            let list = self.value(index).has(ValueOption::List);
            let slot = &mut self.slots[index];
            slot.current = Current::None;
            if filldown {
                slot.current = slot.remembered.clone().map_or(Current::None, Current::Text);
            }
            if list && !filldown {
                slot.items.clear();
            }
        }
    }

    fn clear_all(&mut self) {
        for slot in &mut self.slots {
            *slot = Slot::default();
        }
    }

    /// Adds the current record to the table unless a Required value is missing or every
    /// value is empty; then clears it.
    fn append_record(&mut self) {
        if self.slots.is_empty() {
            return;
        }
        let mut record = Vec::with_capacity(self.slots.len());
        for index in 0..self.slots.len() {
            for option in self.value(index).options.clone() {
                match option {
                    ValueOption::Required if !self.slots[index].current.is_set() => {
                        self.clear();
                        return;
                    }
                    ValueOption::List => {
                        let items = self.slots[index].items.clone();
                        self.slots[index].current = Current::List(items);
                    }
                    _ => {}
                }
            }
            record.push(self.slots[index].current.clone());
        }
        let empty = |c: &Current| matches!(c, Current::None) || matches!(c, Current::List(items) if items.is_empty());
        if record.iter().all(empty) {
            return;
        }
        let row = record
            .into_iter()
            .map(|c| match c {
                Current::None => Cell::Text(String::new()),
                Current::Text(s) => Cell::Text(s),
                Current::List(items) => Cell::List(items),
            })
            .collect();
        self.rows.push(row);
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::split_lines;

    #[test]
    fn lines_split_as_python_does() {
        assert_eq!(split_lines("a\nb\r\nc\rd\n"), ["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\n\nb"), ["a", "", "b"]);
        assert!(split_lines("").is_empty());
    }
}
