//! `naasctl events`: tails the job lifecycle subjects
//! (`<prefix>.events.<context>.<host>.<job_id>.<status>`) and the result subjects
//! (`<prefix>.results.<context>.<job_id>`) with core NATS subscriptions: live only, from
//! now on (docs/events.md describes replaying the streams).
//!
//! Filtering happens on the server through the subject where the subject carries the
//! field (context, host for lifecycle events). Result subjects carry no host, so with
//! `--host` a result is shown when its document names the host or when its job's
//! lifecycle events were seen for that host (a sealed result only names its job).

use std::collections::HashSet;

use futures::StreamExt;
use naas_nats::Topology;
use naas_shared::domain::{Context, Host};
use naas_shared::secret::Secret;
use serde_json::{Value, json};

use crate::args::{EventKinds, EventsArgs, Output};
use crate::config::Settings;
use crate::error::{CliError, Exit};
use crate::{Console, output};

const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// The subject filters for the chosen kinds, as the topology names them.
fn filters(topology: &Topology, kinds: EventKinds, context: Option<&Context>, host: Option<&Host>) -> Vec<String> {
    let mut filters = Vec::new();
    if kinds != EventKinds::Results {
        filters.push(topology.events_filter(context, host));
    }
    if kinds != EventKinds::Lifecycle {
        filters.push(topology.results_filter(context));
    }
    filters
}

pub async fn tail(
    args: &EventsArgs,
    settings: &Settings,
    output: Option<Output>,
    quiet: bool,
    console: &Console,
) -> Result<Exit, CliError> {
    let prefix = args.prefix.clone().or(settings.prefix.clone()).unwrap_or_else(|| "naas".to_owned());
    if prefix.is_empty() || prefix.contains(['.', '*', '>', ' ']) {
        return Err(CliError::usage(format!("--prefix {prefix:?}: one subject token (no dots or wildcards)")));
    }
    let topology = Topology::new(&prefix);
    let context = match args.context.as_deref() {
        Some(c) => Some(Context::parse(c).map_err(|e| CliError::usage(format!("--context {c:?}: {e}")))?),
        None => None,
    };
    let host = match &args.host {
        Some(h) => Some(Host::parse(h).map_err(|e| CliError::usage(format!("--host {h:?}: {e}")))?),
        None => None,
    };
    let mut nats = naas_shared::config::Settings::defaults().nats;
    nats.url = args.nats_url.clone().or(settings.nats_url.clone()).unwrap_or_else(|| DEFAULT_NATS_URL.to_owned());
    if let Some(ca) = &settings.nats_ca_file {
        nats.ca_file = ca.display().to_string();
    }
    if let Some(user) = &settings.nats_user {
        nats.user = user.clone();
        nats.password = settings.nats_password(console)?.map(|p| Secret::new(p.expose().clone()));
    }
    let client = naas_nats::connect(&nats, "naasctl")
        .await
        .map_err(|e| CliError::Connection(format!("connecting to NATS at {}: {e}", nats.url)))?;

    let filters = filters(&topology, args.only, context.as_ref(), host.as_ref());
    let mut subscriptions = Vec::new();
    for filter in &filters {
        let subscriber = client
            .subscribe(filter.clone())
            .await
            .map_err(|e| CliError::Connection(format!("subscribing to {filter}: {e}")))?;
        subscriptions.push(subscriber);
    }
    // Once flushed the server has the subscriptions: nothing published from now is missed.
    client.flush().await.map_err(|e| CliError::Connection(format!("NATS: {e}")))?;
    if !quiet {
        console.err(&format!("following {} (Ctrl-C to stop)\n", filters.join(", ")));
    }

    let results_marker = format!("{prefix}.results.");
    let mut messages = futures::stream::select_all(subscriptions);
    let mut host_jobs: HashSet<String> = HashSet::new();
    let mut shown = 0u64;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    while args.count.is_none_or(|n| shown < n) {
        let message = tokio::select! {
            message = messages.next() => match message {
                Some(message) => message,
                None => return Err(CliError::Connection("the NATS connection closed".into())),
            },
            _ = &mut interrupted => break,
        };
        let is_result = message.subject.as_str().starts_with(&results_marker);
        let data: Value = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
        let job_id = data["job_id"].as_str().unwrap_or("").to_owned();
        if let Some(host) = &host {
            if !is_result {
                host_jobs.insert(job_id.clone());
            } else if !host_jobs.contains(&job_id) && data["host"].as_str() != Some(host.as_str()) {
                continue;
            }
        }
        let kind = if is_result { "result" } else { "event" };
        let text = match output {
            Some(Output::Json) => {
                format!("{}\n", json!({"subject": message.subject.as_str(), "type": kind, "data": data}))
            }
            Some(Output::Yaml) => {
                let value = json!({"subject": message.subject.as_str(), "type": kind, "data": data});
                format!("---\n{}", output::yaml(&value)?)
            }
            _ if is_result => result_line(&data),
            _ => event_line(&data),
        };
        console.out(&text);
        shown += 1;
    }
    Ok(Exit::Ok)
}

fn field(data: &Value, key: &str) -> String {
    output::text_of(&data[key])
}

/// An RFC 3339 time to milliseconds: `…T10:00:03.123456789Z` → `…T10:00:03.123Z`.
fn millis(time: &str) -> String {
    match time.split_once('.') {
        Some((seconds, rest)) => {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            format!("{seconds}.{}{}", &rest[..digits.min(3)], &rest[digits..])
        }
        None => time.to_owned(),
    }
}

/// `2026-11-02T10:00:03.2Z  started   r1  job 7c9e…  attempt 1  context default`
fn event_line(data: &Value) -> String {
    let mut line = format!(
        "{}  {:<8}  {}  job {}  attempt {}  context {}",
        millis(&field(data, "timestamp")),
        field(data, "status"),
        field(data, "host"),
        field(data, "job_id"),
        field(data, "attempt"),
        field(data, "context"),
    );
    if let Some(code) = data["error_code"].as_str() {
        line.push_str(&format!("  {code}"));
    }
    if let Some(ms) = data["duration_ms"].as_u64() {
        line.push_str(&format!("  {}", output::duration(Some(ms))));
    }
    line + "\n"
}

/// `2026-11-02T10:00:04.9Z  result    r1  job 7c9e…  finished  1.6 s`
fn result_line(data: &Value) -> String {
    if data.get("sealed").is_some() {
        return format!("{:<22}  result    job {}  {}  (sealed)\n", "", field(data, "job_id"), field(data, "status"));
    }
    let mut line = format!(
        "{}  result    {}  job {}  {}",
        millis(&field(data, "finished_at")),
        field(data, "host"),
        field(data, "job_id"),
        field(data, "status"),
    );
    if let Some(code) = data["error_code"].as_str() {
        line.push_str(&format!("  {code}: {}", field(data, "error")));
    }
    if let Some(ms) = data["duration_ms"].as_u64() {
        line.push_str(&format!("  {}", output::duration(Some(ms))));
    }
    line + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_narrow_by_context_and_host() {
        let t = Topology::new("naas");
        assert_eq!(filters(&t, EventKinds::All, None, None), ["naas.events.>", "naas.results.>"]);
        let lab = Context::parse("lab").unwrap();
        let host = Host::parse("core1.example.net").unwrap();
        assert_eq!(
            filters(&t, EventKinds::All, Some(&lab), Some(&host)),
            ["naas.events.lab.core1_example_net.>", "naas.results.lab.*"]
        );
        assert_eq!(filters(&t, EventKinds::Lifecycle, None, Some(&host)), ["naas.events.*.core1_example_net.>"]);
        assert_eq!(filters(&t, EventKinds::Results, Some(&lab), None), ["naas.results.lab.*"]);
    }

    #[test]
    fn lines() {
        let event = json!({"timestamp": "T", "status": "failed", "host": "r1", "job_id": "j", "attempt": 1,
            "context": "default", "error_code": "AUTH_FAILURE", "duration_ms": 1500});
        assert_eq!(event_line(&event), "T  failed    r1  job j  attempt 1  context default  AUTH_FAILURE  1.5 s\n");
        let result = json!({"finished_at": "T", "host": "r1", "job_id": "j", "status": "finished", "duration_ms": 20});
        assert_eq!(result_line(&result), "T  result    r1  job j  finished  20 ms\n");
        assert_eq!(millis("2026-11-30T06:07:54.670062407Z"), "2026-11-30T06:07:54.670Z");
        assert_eq!(millis("2026-11-30T06:07:54.6+01:00"), "2026-11-30T06:07:54.6+01:00");
        assert_eq!(millis("2026-11-30T06:07:54Z"), "2026-11-30T06:07:54Z");
    }
}
