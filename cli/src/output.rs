//! Rendering: JSON, YAML, aligned tables, and a job's output as text.

use serde_json::Value;

use crate::error::CliError;

pub fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialise");
    text.push('\n');
    text
}

pub fn yaml(value: &Value) -> Result<String, CliError> {
    serde_norway::to_string(value).map_err(|e| CliError::usage(format!("rendering YAML: {e}")))
}

/// Columns padded to their widest cell, two spaces apart, no borders, no trailing
/// blanks: `grep`/`awk` read it as easily as a person.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::TableStyle::new()).set_header(header.to_vec()).add_rows(rows.iter().cloned());
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table.trim_fmt() + "\n"
}

pub fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `1.234 s`, `850 ms`.
pub fn duration(ms: Option<u64>) -> String {
    match ms {
        None => "-".to_owned(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

/// A job document's results as a person reads them: the output of each command (under a
/// `--- command ---` header when there are several), or each configuration line with its
/// verdict.
pub fn job_text(document: &Value) -> String {
    let mut text = String::new();
    let results = &document["results"];
    match document["kind"].as_str() {
        Some("config") => {
            if let Some(lines) = results["lines"].as_array() {
                for line in lines {
                    let error = &line["error"];
                    if error.is_null() {
                        text.push_str(&format!("ok     {}\n", text_of(&line["line"])));
                    } else {
                        text.push_str(&format!("error  {}\n       {}\n", text_of(&line["line"]), text_of(error)));
                    }
                }
            }
            if let Some(candidate) = results["candidate"].as_str() {
                text.push_str(&format!("candidate {candidate}\n"));
            }
        }
        _ => {
            if let Some(outputs) = results.as_object() {
                let headers = outputs.len() > 1;
                for (command, output) in outputs {
                    if headers {
                        text.push_str(&format!("--- {command} ---\n"));
                    }
                    let output = text_of(output);
                    text.push_str(&output);
                    if !output.is_empty() && !output.ends_with('\n') {
                        text.push('\n');
                    }
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_and_text_shows_outputs() {
        let rows = vec![
            vec!["r1".into(), "finished".into(), "".into()],
            vec!["core-2".into(), "failed".into(), "AUTH_FAILURE".into()],
        ];
        assert_eq!(
            table(&["DEVICE", "STATUS", "ERROR_CODE"], &rows),
            "DEVICE  STATUS    ERROR_CODE\nr1      finished\ncore-2  failed    AUTH_FAILURE\n"
        );
        let one = json!({"kind": "command", "results": {"show clock": "12:00"}});
        assert_eq!(job_text(&one), "12:00\n");
        let two = json!({"kind": "command", "results": {"show clock": "12:00\n", "show users": ""}});
        assert_eq!(job_text(&two), "--- show clock ---\n12:00\n--- show users ---\n");
        let config = json!({"kind": "config", "results": {"lines": [
            {"line": "interface Lo1", "output": "", "error": null},
            {"line": "bogus", "output": "% Invalid", "error": "% Invalid input"}]}});
        assert_eq!(job_text(&config), "ok     interface Lo1\nerror  bogus\n       % Invalid input\n");
        assert_eq!(duration(Some(1234)), "1.2 s");
        assert_eq!(duration(Some(85)), "85 ms");
    }
}
