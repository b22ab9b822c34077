//! send-command-structured: once the commands ran, each output is parsed with TextFSM, with
//! the caller's own template or the one the templates index names for the platform and
//! command. An output that no template parses into at least one record stays raw text, and
//! the job document's `parsed` says which outputs are records (as netmiko's
//! `use_textfsm`, which NAAS uses, returns the raw text then).
//!
//! Parsing is CPU work on text of any size, so it runs on the blocking pool. Nothing about
//! an output's content is logged: only which command (by position) fell back and why.

use std::sync::Arc;

use naas_nats::{JobMessage, Structured};
use naas_shared::error::{ErrorCode, JobFailure};
use naas_textfsm::{Library, LookupError, Template};
use serde_json::{Map, Value};

/// The structured job cannot run on this worker: it has no templates index and the job
/// brings no template of its own.
pub(crate) fn refuse(library: Option<&Library>, job: &JobMessage) -> Option<JobFailure> {
    let structured = job.structured.as_ref()?;
    if structured.template.is_none() && library.is_none() {
        let message = "this worker has no TextFSM templates index (structured.templates_dir is not set)";
        return Some(JobFailure::new(ErrorCode::Internal, message));
    }
    None
}

/// The results with every parsable output replaced by its records, and the `parsed` flags.
pub(crate) async fn parse(library: Option<Arc<Library>>, job: &JobMessage, results: Value) -> (Value, Value) {
    let Some(spec) = job.structured.clone() else { return (results, Value::Null) };
    let commands = job.commands.as_slice().to_vec();
    let platform = job.platform.clone();
    let work = move || parse_all(library.as_deref(), &platform, &spec, &commands, results);
    match tokio::task::spawn_blocking(work).await {
        Ok(parsed) => parsed,
        Err(error) => {
            tracing::error!(%error, "parsing the outputs panicked");
            (Value::Null, Value::Null)
        }
    }
}

/// `results` is the send-command results object: one entry per command, in order.
fn parse_all(
    library: Option<&Library>,
    platform: &str,
    spec: &Structured,
    commands: &[String],
    results: Value,
) -> (Value, Value) {
    let Value::Object(outputs) = results else { return (results, Value::Null) };
    let own = spec.template.as_deref().map(Template::parse);
    let mut records = Map::new();
    let mut flags = Map::new();
    for (position, ((key, output), command)) in outputs.into_iter().zip(commands).enumerate() {
        let Value::String(text) = output else {
            records.insert(key.clone(), output);
            flags.insert(key, Value::Bool(false));
            continue;
        };
        let parsed = match &own {
            Some(Ok(template)) => template.parse_text(&text).map_err(|e| e.to_string()),
            Some(Err(error)) => Err(format!("the request's template is invalid: {error}")),
            None => lookup(library, platform, command, &text),
        }
        .map(|table| table.records())
        .and_then(|rows| if rows.is_empty() { Err("no records".into()) } else { Ok(rows) });
        match parsed {
            Ok(rows) => {
                records.insert(key.clone(), Value::Array(rows));
                flags.insert(key, Value::Bool(true));
            }
            Err(reason) => {
                tracing::info!(command_index = position, reason = reason.as_str(), "output left as text");
                records.insert(key.clone(), Value::String(text));
                flags.insert(key, Value::Bool(false));
            }
        }
    }
    (Value::Object(records), Value::Object(flags))
}

/// The index's template for the command; IOS-XE falls back to IOS templates (as netmiko
/// does), since ntc-templates has few of its own.
fn lookup(library: Option<&Library>, platform: &str, command: &str, text: &str) -> Result<naas_textfsm::Table, String> {
    let library = library.ok_or("no templates index")?;
    let first = library.parse(platform, command, text);
    let result = match first {
        Ok(table) if !table.rows.is_empty() || platform != "cisco_xe" => Ok(table),
        _ if platform == "cisco_xe" => library.parse("cisco_ios", command, text),
        other => other,
    };
    result.map_err(|error| {
        if matches!(error, LookupError::Template { .. } | LookupError::Read { .. }) {
            tracing::warn!(%error, "a template of the index cannot be used");
        }
        error.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(template: Option<&str>) -> Structured {
        Structured { template: template.map(str::to_owned) }
    }

    #[test]
    fn own_template_parses_every_output_and_empty_tables_stay_text() {
        let template = "Value NAME (\\S+)\n\nStart\n  ^name ${NAME} -> Record\n";
        let results = json!({"show a": "name x\nname y\n", "show b": "nothing", "show a [2]": "name z"});
        let commands = ["show a".to_owned(), "show b".to_owned(), "show a".to_owned()];
        let (records, flags) = parse_all(None, "cisco_ios", &spec(Some(template)), &commands, results);
        assert_eq!(
            records,
            json!({"show a": [{"name": "x"}, {"name": "y"}], "show b": "nothing", "show a [2]": [{"name": "z"}]})
        );
        assert_eq!(flags, json!({"show a": true, "show b": false, "show a [2]": true}));
    }

    #[test]
    fn without_an_index_outputs_stay_text() {
        let (records, flags) =
            parse_all(None, "cisco_ios", &spec(None), &["show version".to_owned()], json!({"show version": "x"}));
        assert_eq!((records, flags), (json!({"show version": "x"}), json!({"show version": false})));
    }
}
