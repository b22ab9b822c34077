//! Job results as a caller may see them: for an API key with the `redact` scope, the
//! secrets the job's platform prints (`secret_patterns` of its definition) are replaced by
//! `<redacted>` in every output, parsed record and error message of the document.

use std::borrow::Cow;
use std::sync::Arc;

use naas_shared::job::JobDocument;
use naas_shared::platform::{Platform, Platforms};
use serde_json::Value;

use crate::auth::Caller;

/// `doc` as `caller` may see it.
pub fn for_caller(caller: &Caller, platforms: &Platforms, mut doc: JobDocument) -> JobDocument {
    if caller.redact {
        redact(platforms, &mut doc);
    }
    doc
}

/// Redacts `doc` with its platform's patterns (the detected one for an `autodetect` job;
/// every platform's when the name is not known here).
pub fn redact(platforms: &Platforms, doc: &mut JobDocument) {
    let named = doc.detected_platform.as_deref().unwrap_or(&doc.platform);
    let chosen: Vec<Arc<Platform>> = match platforms.get(named) {
        Some(platform) => vec![platform],
        None => platforms.all().cloned().collect(),
    };
    if let Some(results) = &mut doc.results {
        walk(results, &chosen);
    }
    if let Some(error) = &mut doc.error {
        redact_text(error, &chosen);
    }
}

fn walk(value: &mut Value, platforms: &[Arc<Platform>]) {
    match value {
        Value::String(text) => redact_text(text, platforms),
        Value::Array(items) => items.iter_mut().for_each(|item| walk(item, platforms)),
        Value::Object(fields) => fields.values_mut().for_each(|field| walk(field, platforms)),
        _ => {}
    }
}

fn redact_text(text: &mut String, platforms: &[Arc<Platform>]) {
    for platform in platforms {
        if let Cow::Owned(redacted) = platform.redact(text) {
            *text = redacted;
        }
    }
}
