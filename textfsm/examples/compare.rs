//! Measures this crate's engine against the `textfsm-rust` crate on the same cases: how
//! many outputs each parses to exactly the expected records, why the others fail, and how
//! long parsing takes. `scripts/textfsm-compare.sh` collects the cases (ntc-templates' test
//! corpus and this crate's fixtures, with `scripts/textfsm_cases.py`) and runs this;
//! docs/structured.md ("Choosing the engine") has the results.
//!
//! Usage: `cargo run --release -p naas-textfsm --example compare -- <cases.json> [repeats]`
//!
//! Both engines do what the worker does: pick the template(s) for the platform and command
//! in the templates directory's `index`, parse, and return records keyed by the lower-cased
//! value names (`""` for a value not set, `List` values as arrays). The comparison is the one
//! of ntc-templates' own test, made strict on types: the same number of records, the same
//! keys in each, and equal JSON values (a string is not a one-item list, `null` is not `""`).
//!
//! Time: each case is parsed once untimed (templates compile on first use and are kept),
//! then `repeats` times (default 5) timed; the figure per record is the sum of those parses
//! over the number of expected records.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

#[derive(serde::Deserialize)]
struct Cases {
    sets: Vec<Set>,
}

#[derive(serde::Deserialize)]
struct Set {
    name: String,
    templates: PathBuf,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    platform: String,
    command: String,
    sample: String,
    text: String,
    expected: Value,
    reference: Reference,
}

#[derive(serde::Deserialize)]
struct Reference {
    pass: bool,
}

/// Why an engine's answer is not the expected one: the class, and one line of detail.
struct Failure {
    class: &'static str,
    detail: String,
}

fn failure(class: &'static str, detail: impl Into<String>) -> Failure {
    Failure { class, detail: detail.into() }
}

trait Engine {
    fn name(&self) -> &'static str;
    fn parse(&self, platform: &str, command: &str, text: &str) -> Result<Vec<Value>, Failure>;
}

struct Naas(naas_textfsm::Library);

impl Engine for Naas {
    fn name(&self) -> &'static str {
        "naas-textfsm"
    }

    fn parse(&self, platform: &str, command: &str, text: &str) -> Result<Vec<Value>, Failure> {
        use naas_textfsm::LookupError;
        match self.0.parse(platform, command, text) {
            Ok(table) => Ok(table.records()),
            Err(LookupError::NoTemplate) => Err(failure("no template in the index", "")),
            Err(e @ (LookupError::Read { .. } | LookupError::Template { .. })) => {
                Err(failure("template does not compile", e.to_string()))
            }
            Err(e @ LookupError::Parse { .. }) => Err(failure("parse error", e.to_string())),
            Err(e @ LookupError::Merge { .. }) => Err(failure("templates not merged", e.to_string())),
        }
    }
}

struct Crate(textfsm_rust::CliTable);

impl Engine for Crate {
    fn name(&self) -> &'static str {
        "textfsm-rust 0.3.1"
    }

    fn parse(&self, platform: &str, command: &str, text: &str) -> Result<Vec<Value>, Failure> {
        use textfsm_rust::{CliTableError, ListItem, Value as Cell};
        let attributes =
            HashMap::from([("Platform".to_owned(), platform.to_owned()), ("Command".to_owned(), command.to_owned())]);
        let table = self.0.parse_cmd(text, &attributes).map_err(|e| match e {
            CliTableError::NoMatch(_) => failure("no template in the index", ""),
            CliTableError::Parse(e) => failure("parse error", e.to_string()),
            CliTableError::Template(e) => failure("template does not compile", e.to_string()),
            other => failure("template does not compile", other.to_string()),
        })?;
        let header: Vec<String> = table.header().iter().map(|h| h.to_lowercase()).collect();
        let cell = |cell: &Cell| match cell {
            Cell::Empty => Value::String(String::new()),
            Cell::Single(s) => Value::String(s.clone()),
            Cell::List(items) => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        ListItem::String(s) => Value::String(s.clone()),
                        ListItem::Dict(d) => {
                            Value::Object(d.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
                        }
                    })
                    .collect(),
            ),
        };
        Ok(table
            .iter()
            .map(|row| Value::Object(header.iter().cloned().zip(row.values().iter().map(cell)).collect::<Map<_, _>>()))
            .collect())
    }
}

/// The first difference between `got` and `expected` records, classified.
fn compare(got: &[Value], expected: &[Value]) -> Result<(), Failure> {
    if got.len() != expected.len() {
        return Err(failure("record count", format!("{} records, expected {}", got.len(), expected.len())));
    }
    for (n, (got, want)) in got.iter().zip(expected).enumerate() {
        let (Some(got), Some(want)) = (got.as_object(), want.as_object()) else {
            return Err(failure("record count", format!("record {n} is not an object")));
        };
        let mut missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
        missing.extend(got.keys().filter(|k| !want.contains_key(*k)));
        if !missing.is_empty() {
            return Err(failure("keys", format!("record {n}: keys {missing:?} differ")));
        }
        for (key, want) in want {
            let got = &got[key];
            if got == want {
                continue;
            }
            let class = match (got, want) {
                (Value::String(g), Value::String(w)) if g.trim() == w.trim() => "value: whitespace",
                (Value::String(_), Value::String(_)) => "value: text",
                (Value::Array(g), Value::Array(w)) if g.len() != w.len() => "value: list length",
                (Value::Array(g), Value::Array(w))
                    if g.iter().zip(w).any(|(g, w)| matches!((g, w), (Value::String(_), Value::Null))) =>
                {
                    "value: list item null"
                }
                (Value::Array(_), Value::Array(_)) => "value: list item",
                _ => "value: type",
            };
            let show = |v: &Value| {
                let s = v.to_string();
                if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
            };
            return Err(failure(class, format!("record {n} {key}: {} expected {}", show(got), show(want))));
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failures: Vec<(String, String, Failure)>,
    first_use: Duration,
    parsing: Duration,
    records: usize,
    cases: usize,
}

/// Runs every case through every engine, one case at a time, so that both engines see the
/// same load on the machine.
fn run(engines: &[Box<dyn Engine>], set: &Set, templates_of: &dyn Fn(&Case) -> String, repeats: u32) -> Vec<Tally> {
    let mut tallies: Vec<Tally> = engines.iter().map(|_| Tally::default()).collect();
    for case in &set.cases {
        let expected = case.expected.as_array().map(Vec::as_slice).unwrap_or_default();
        for (engine, tally) in engines.iter().zip(&mut tallies) {
            let start = Instant::now();
            let outcome = engine.parse(&case.platform, &case.command, &case.text);
            tally.first_use += start.elapsed();
            match outcome.and_then(|got| compare(&got, expected)) {
                Ok(()) => tally.passed += 1,
                Err(f) => tally.failures.push((templates_of(case), case.sample.clone(), f)),
            }
            let start = Instant::now();
            for _ in 0..repeats {
                std::hint::black_box(engine.parse(&case.platform, &case.command, &case.text).ok());
            }
            tally.parsing += start.elapsed();
            tally.records += expected.len();
            tally.cases += 1;
        }
    }
    tallies
}

fn percent(part: usize, whole: usize) -> String {
    format!("{:.2} %", part as f64 * 100.0 / whole.max(1) as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: compare <cases.json> [repeats]")?);
    let repeats: u32 = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let cases: Cases = serde_json::from_str(&std::fs::read_to_string(&path)?)?;

    for set in &cases.sets {
        let dir: &Path = &set.templates;
        let library = naas_textfsm::Library::load(dir)?;
        let templates_of = |case: &Case| {
            library.templates_for(&case.platform, &case.command).map_or_else(|| "-".to_owned(), |t| t.join(":"))
        };
        let reference = set.cases.iter().filter(|c| c.reference.pass).count();
        let total = set.cases.len();
        println!("## {} ({total} cases, {} templates dir)", set.name, dir.display());
        println!("reference implementation (Python textfsm): {reference}/{total} pass ({})", percent(reference, total));
        let engines: Vec<Box<dyn Engine>> = vec![
            Box::new(Naas(naas_textfsm::Library::load(dir)?)),
            Box::new(Crate(textfsm_rust::CliTable::new(dir.join("index"), dir)?)),
        ];
        for (engine, tally) in engines.iter().zip(run(&engines, set, &templates_of, repeats)) {
            let parses = tally.cases as f64 * f64::from(repeats);
            println!(
                "{}: {}/{total} pass ({}); first use (compile + parse) {:.1} ms; parsing {:.2} µs/record ({} records), {:.1} µs/case, over {repeats} repeats",
                engine.name(),
                tally.passed,
                percent(tally.passed, total),
                tally.first_use.as_secs_f64() * 1e3,
                tally.parsing.as_secs_f64() * 1e6 / (tally.records as f64 * f64::from(repeats)).max(1.0),
                tally.records,
                tally.parsing.as_secs_f64() * 1e6 / parses.max(1.0),
            );
            let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, _, f) in &tally.failures {
                *classes.entry(f.class).or_default() += 1;
            }
            for (class, count) in &classes {
                println!("  {count:>4}  {class}");
            }
            for (template, sample, f) in &tally.failures {
                println!("  FAIL {template} [{sample}] {}: {}", f.class, f.detail);
            }
        }
        println!();
    }
    Ok(())
}
