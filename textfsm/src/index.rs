//! The template index of a templates directory (`textfsm`'s clitable, as ntc-templates
//! ships it): which template parses which command on which platform.
//!
//! The `index` file is comma-separated: a header naming the columns (`Template, Hostname,
//! Platform, Command`), then one row per template; `#` starts a comment line, a row with
//! the wrong number of columns is skipped. Every column but `Template` is a regular
//! expression matched at the start of the attribute (`Platform` against the job's
//! platform, `Command` against the command). In `Command`, `sh[[ow]]` is shorthand for
//! `sh(o(w)?)?`: every abbreviation of the word. The first row that matches wins; its
//! `Template` may name several files joined by `:`, whose tables are merged on their `Key`
//! values (or row by row without keys).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use crate::fsm::{ParseError, Table};
use crate::pyre::Pattern;
use crate::template::{Template, TemplateError};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Why a command's output could not be parsed with the index.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no template in the index for this platform and command")]
    NoTemplate,
    #[error("cannot read template {name}: {source}")]
    Read { name: String, source: std::io::Error },
    #[error("template {name} is invalid: {error}")]
    Template { name: String, error: TemplateError },
    #[error("template {name}: {error}")]
    Parse { name: String, error: ParseError },
    #[error("templates {names} cannot be merged: {message}")]
    Merge { names: String, message: String },
}

struct Row {
    /// The template file names, in order.
    templates: Vec<String>,
    /// Attribute column name → pattern (`None`: an empty cell, matching anything).
    patterns: Vec<(String, Option<Pattern>)>,
}

/// A templates directory: its index, and the templates compiled so far.
pub struct Library {
    dir: PathBuf,
    rows: Vec<Row>,
    compiled: Mutex<HashMap<String, Arc<Template>>>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("dir", &self.dir).field("rows", &self.rows.len()).finish_non_exhaustive()
    }
}

static COMPLETION: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"\[\[(.+?)\]\]").expect("valid"));

/// `sh[[ow]]` → `sh(o(w)?)?`.
fn expand_completions(command: &str) -> String {
    COMPLETION
        .replace_all(command, |caps: &regex::Captures<'_>| {
            let word: Vec<String> = caps[1].chars().map(String::from).collect();
            format!("({}{}", word.join("("), ")?".repeat(word.len()))
        })
        .into_owned()
}

impl Library {
    /// Reads `dir/index` and checks every pattern in it; templates are compiled on first use.
    pub fn load(dir: &Path) -> Result<Self, IndexError> {
        let path = dir.join("index");
        let text = std::fs::read_to_string(&path).map_err(|source| IndexError::Read { path: path.clone(), source })?;
        let invalid = |message: String| IndexError::Invalid { path: path.clone(), message };
        let mut lines = text.lines().enumerate();
        let header: Vec<String> = loop {
            let Some((_, line)) = lines.next() else { return Err(invalid("no header line".into())) };
            let header = line.split('#').next().unwrap_or("").trim();
            if !header.is_empty() {
                break header.split(',').map(|c| c.trim().to_owned()).collect();
            }
        };
        for (i, column) in header.iter().enumerate() {
            if header[..i].contains(column) {
                return Err(invalid(format!("duplicate column {column:?}")));
            }
        }
        let template_column =
            header.iter().position(|c| c == "Template").ok_or_else(|| invalid("no \"Template\" column".into()))?;
        let mut rows = Vec::new();
        for (n, line) in lines {
            if line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            if cells.len() != header.len() {
                continue;
            }
            let mut patterns = Vec::new();
            for (column, cell) in header.iter().zip(&cells) {
                if column == "Template" {
                    continue;
                }
                let source = if column == "Command" { expand_completions(cell) } else { (*cell).to_owned() };
                let pattern = match source.is_empty() {
                    true => None,
                    false => Some(Pattern::new(&source).map_err(|e| invalid(format!("line {}: {e}", n + 1)))?),
                };
                patterns.push((column.clone(), pattern));
            }
            let templates = cells[template_column].split(':').map(str::to_owned).collect();
            rows.push(Row { templates, patterns });
        }
        Ok(Self { dir: dir.to_owned(), rows, compiled: Mutex::new(HashMap::new()) })
    }

    /// Rows in the index.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The template files the index names for `platform` and `command`.
    pub fn templates_for(&self, platform: &str, command: &str) -> Option<&[String]> {
        let attributes = [("Platform", platform), ("Command", command)];
        self.rows
            .iter()
            .find(|row| {
                row.patterns.iter().all(|(column, pattern)| {
                    let value = attributes.iter().find(|(name, _)| name == column).map(|(_, v)| *v);
                    match (value, pattern) {
                        (Some(value), Some(pattern)) => pattern.is_match(value).unwrap_or(false),
                        // Columns the caller has no attribute for, and empty cells, match.
                        _ => true,
                    }
                })
            })
            .map(|row| row.templates.as_slice())
    }

    /// Parses `output` of `command` on `platform` with the template(s) the index names.
    pub fn parse(&self, platform: &str, command: &str, output: &str) -> Result<Table, LookupError> {
        let names = self.templates_for(platform, command).ok_or(LookupError::NoTemplate)?;
        let mut table: Option<Table> = None;
        let mut keys: Vec<String> = Vec::new();
        for name in names {
            let template = self.template(name)?;
            let parsed =
                template.parse_text(output).map_err(|error| LookupError::Parse { name: name.clone(), error })?;
            if keys.is_empty() {
                keys = template.keys();
            }
            match &mut table {
                None => table = Some(parsed),
                Some(table) => table
                    .extend(&parsed, &keys)
                    .map_err(|message| LookupError::Merge { names: names.join(":"), message })?,
            }
        }
        Ok(table.unwrap_or_default())
    }

    /// A template file, compiled once and kept.
    fn template(&self, name: &str) -> Result<Arc<Template>, LookupError> {
        if let Some(template) = self.compiled.lock().expect("not poisoned").get(name) {
            return Ok(template.clone());
        }
        let file = Path::new(name);
        if file.components().count() != 1 || name.starts_with('.') {
            let source = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a plain file name");
            return Err(LookupError::Read { name: name.to_owned(), source });
        }
        let text = std::fs::read_to_string(self.dir.join(file))
            .map_err(|source| LookupError::Read { name: name.to_owned(), source })?;
        let template =
            Arc::new(Template::parse(&text).map_err(|error| LookupError::Template { name: name.to_owned(), error })?);
        self.compiled.lock().expect("not poisoned").insert(name.to_owned(), template.clone());
        Ok(template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_expand_to_optional_letters() {
        assert_eq!(expand_completions("sh[[ow]] ver[[sion]]"), "sh(o(w)?)? ver(s(i(o(n)?)?)?)?");
        assert_eq!(expand_completions("show clock"), "show clock");
    }
}
