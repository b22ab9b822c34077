//! One function per command: resolve settings and credentials, call the API, render.

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::api::{Api, Kind};
use crate::args::{Cli, Command, ConfigArgs, Global, JobCommand, JobOptions, KeysCommand, Output, RunArgs, Targets};
use crate::config::{Credentials, Settings};
use crate::error::{CliError, Exit};
use crate::fanout::{self, History, Job, Outcome, Plan};
use crate::inventory::{Device, Inventory};
use crate::output::{self, duration, table, text_of};
use crate::{Console, Env, history};

pub async fn dispatch(cli: Cli, env: &Env, console: &Console) -> Result<Exit, CliError> {
    let settings = Settings::resolve(&cli.global, env)?;
    let global = &cli.global;
    match &cli.command {
        Command::Run(args) => run(args, global, &settings, console).await,
        Command::Config(args) => config(args, global, &settings, console).await,
        Command::Job(command) => job(command, global, &settings, console).await,
        Command::Events(args) => crate::events::tail(args, &settings, global.output, global.quiet, console).await,
        Command::Keys(command) => keys(command, global, &settings, console).await,
    }
}

/// Prints `value` as JSON or YAML; `false` for the other formats (the caller renders).
fn structured(output: Option<Output>, value: &Value, console: &Console) -> Result<bool, CliError> {
    match output {
        Some(Output::Json) => console.out(&output::json(value)),
        Some(Output::Yaml) => console.out(&output::yaml(value)?),
        _ => return Ok(false),
    }
    Ok(true)
}

async fn run(args: &RunArgs, global: &Global, settings: &Settings, console: &Console) -> Result<Exit, CliError> {
    let (host, commands) = match &args.targets.inventory {
        Some(_) => (None, args.words.clone()),
        None => match args.words.split_first() {
            Some((host, commands)) if !commands.is_empty() => (Some(host.clone()), commands.to_vec()),
            _ => {
                return Err(CliError::usage(
                    "give the host, then at least one command: naasctl run HOST 'show version'",
                ));
            }
        },
    };
    if let Some(blank) = commands.iter().find(|c| c.trim().is_empty()) {
        return Err(CliError::usage(format!("command {blank:?} is blank")));
    }
    let mut payload = Map::new();
    payload.insert("commands".into(), json!(commands));
    submit_and_report(Kind::Command, host, payload, &args.targets, &args.job, global, settings, console).await
}

async fn config(args: &ConfigArgs, global: &Global, settings: &Settings, console: &Console) -> Result<Exit, CliError> {
    if args.host.is_some() == args.targets.inventory.is_some() {
        return Err(CliError::usage("give either a HOST or --inventory"));
    }
    let text = if args.file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).map_err(|e| CliError::usage(format!("reading stdin: {e}")))?
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| CliError::usage(format!("reading {}: {e}", args.file.display())))?
    };
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(CliError::usage(format!("{} has no configuration lines", args.file.display())));
    }
    let mut payload = Map::new();
    payload.insert("config".into(), json!(lines));
    if args.save {
        payload.insert("save_config".into(), json!(true));
    }
    if args.commit {
        payload.insert("commit".into(), json!(true));
    }
    submit_and_report(Kind::Config, args.host.clone(), payload, &args.targets, &args.job, global, settings, console)
        .await
}

/// The submission body for one device: `payload` plus where and how to log in.
fn body(
    device: &Device,
    payload: &Map<String, Value>,
    options: &JobOptions,
    settings: &Settings,
    credentials: &Credentials,
) -> Value {
    let mut body = payload.clone();
    body.insert("host".into(), json!(device.host));
    let mut set = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(key.to_owned(), value);
        }
    };
    set("port", device.port.or(options.port).map(|p| json!(p)));
    let platform = device.platform.clone().or(options.platform.clone()).or(settings.platform.clone());
    set("platform", platform.map(Value::String));
    let context = device.context.clone().or(options.context.clone()).or(settings.context.clone());
    set("context", context.map(Value::String));
    set("tags", (!options.tags.is_empty()).then(|| json!(options.tags)));
    set("read_timeout", options.read_timeout.map(|t| json!(t)));
    set("conn_timeout", options.conn_timeout.map(|t| json!(t)));
    set("ssh_key", options.ssh_key.clone().map(Value::String));
    set("enable", credentials.enable.as_ref().map(|e| json!(e.expose())));
    if let Some(login) = &credentials.device {
        set("username", Some(json!(login.username)));
        set("password", login.password.as_ref().map(|p| json!(p.expose())));
    }
    Value::Object(body)
}

#[allow(clippy::too_many_arguments)]
async fn submit_and_report(
    kind: Kind,
    host: Option<String>,
    payload: Map<String, Value>,
    targets: &Targets,
    options: &JobOptions,
    global: &Global,
    settings: &Settings,
    console: &Console,
) -> Result<Exit, CliError> {
    let devices = match (&targets.inventory, host) {
        (Some(path), _) => Inventory::load(path)?.select(&targets.group)?,
        (None, Some(host)) => vec![Device::bare(&host)],
        (None, None) => return Err(CliError::usage("no device: give a HOST or --inventory")),
    };
    let single = targets.inventory.is_none();
    settings.require_url()?;
    let credentials = settings.credentials(console, true, options.ssh_key.is_some())?;
    let jobs = devices
        .into_iter()
        .map(|device| {
            let body = body(&device, &payload, options, settings, &credentials);
            Job { device, body }
        })
        .collect();
    let api = Arc::new(Api::new(settings, credentials.api)?);
    let plan = Plan {
        kind,
        jobs,
        concurrency: targets.concurrency.into(),
        detach: options.detach,
        poll: options.poll,
        quiet: global.quiet,
    };
    let history = Arc::new(History::new(settings.history.clone(), api.base()));
    let mut outcomes = fanout::run(api, plan, history, console).await?;
    let exit = outcomes.iter().fold(Exit::Ok, |exit, o| exit.worst(o.exit()));

    if single {
        let outcome = outcomes.remove(0);
        if let Some(failure) = outcome.failure {
            return Err(failure);
        }
        report_one(&outcome, global, options.detach, console)?;
        return Ok(exit);
    }
    if !global.quiet {
        let ok = outcomes.iter().filter(|o| o.exit() == Exit::Ok).count();
        console.err(&format!("{ok} ok, {} failed, {} devices\n", outcomes.len() - ok, outcomes.len()));
    }
    let summary = Value::Array(outcomes.iter().map(Outcome::summary).collect());
    if structured(global.output, &summary, console)? {
        return Ok(exit);
    }
    if global.output == Some(Output::Text) {
        for outcome in &outcomes {
            console.out(&format!("=== {} ({}) ===\n", outcome.device.label(), outcome.status));
            match &outcome.document {
                Some(document) => console.out(&output::job_text(document)),
                None => console.out(&format!("{}\n", outcome.error.as_deref().unwrap_or(""))),
            }
        }
    } else {
        console.out(&summary_table(&outcomes));
    }
    Ok(exit)
}

fn summary_table(outcomes: &[Outcome]) -> String {
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                o.device.label(),
                o.status.clone(),
                o.error_code.clone().unwrap_or_default(),
                if o.status == "finished" || o.status == "failed" { duration(o.duration_ms) } else { String::new() },
                o.job_id.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["DEVICE", "STATUS", "ERROR_CODE", "DURATION", "JOB_ID"], &rows)
}

/// One device's outcome: the device's output as text, or the document as JSON/YAML, or
/// a one-row table.
fn report_one(outcome: &Outcome, global: &Global, detached: bool, console: &Console) -> Result<(), CliError> {
    let document = outcome.document.clone().unwrap_or(Value::Null);
    if structured(global.output, &document, console)? {
        return Ok(());
    }
    if global.output == Some(Output::Table) {
        console.out(&summary_table(std::slice::from_ref(outcome)));
        return Ok(());
    }
    if detached {
        console.out(&format!("{}\n", outcome.job_id.as_deref().unwrap_or("")));
        return Ok(());
    }
    console.out(&output::job_text(&document));
    Ok(())
}

fn document_exit(document: &Value) -> Exit {
    match document["status"].as_str() {
        Some("failed" | "canceled") => Exit::JobFailed,
        _ => Exit::Ok,
    }
}

/// The document's facts, then its output.
fn document_text(document: &Value) -> String {
    let mut text = String::new();
    for key in ["job_id", "status", "kind", "host", "platform", "error_code", "error", "tags"] {
        let value = &document[key];
        let shown = match value {
            Value::Array(items) if items.is_empty() => continue,
            Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
            Value::Null => continue,
            other => text_of(other),
        };
        text.push_str(&format!("{key:<13}{shown}\n"));
    }
    for key in ["enqueued_at", "started_at", "finished_at"] {
        if let Some(at) = document[key].as_str() {
            text.push_str(&format!("{key:<13}{at}\n"));
        }
    }
    if let Some(ms) = document["duration_ms"].as_u64() {
        text.push_str(&format!("{:<13}{}\n", "duration", duration(Some(ms))));
    }
    text.push_str(&format!("{:<13}{}\n", "attempts", text_of(&document["attempts"])));
    let results = output::job_text(document);
    if !results.is_empty() {
        text.push('\n');
        text.push_str(&results);
    }
    text
}

/// The API with the caller's credentials, for commands that submit nothing.
fn api_of(settings: &Settings, console: &Console) -> Result<Api, CliError> {
    settings.require_url()?;
    let credentials = settings.credentials(console, false, false)?;
    Api::new(settings, credentials.api)
}

async fn job(command: &JobCommand, global: &Global, settings: &Settings, console: &Console) -> Result<Exit, CliError> {
    match command {
        JobCommand::List { limit, local } => list_jobs(*limit, *local, global, settings, console).await,
        JobCommand::Get { job_id } => {
            let document = api_of(settings, console)?.job(job_id).await?;
            if !structured(global.output, &document, console)? {
                console.out(&document_text(&document));
            }
            Ok(document_exit(&document))
        }
        JobCommand::Cancel { job_id } => {
            api_of(settings, console)?.cancel(job_id).await?;
            if !global.quiet {
                console.err(&format!("job {job_id} canceled\n"));
            }
            Ok(Exit::Ok)
        }
        JobCommand::Watch { job_id, poll } => {
            let api = api_of(settings, console)?;
            let mut last = String::new();
            let document = crate::follow::follow(&api, job_id, *poll, |status| {
                if !global.quiet && status != last {
                    console.err(&format!("job {job_id}: {status}\n"));
                    last = status.to_owned();
                }
            })
            .await?;
            let device = Device::bare(document["host"].as_str().unwrap_or(job_id));
            let outcome = Outcome::of(device, document);
            if let (Some(code), false) = (&outcome.error_code, global.quiet) {
                console.err(&format!("{code}: {}\n", outcome.error.as_deref().unwrap_or("")));
            }
            report_one(&outcome, global, false, console)?;
            Ok(outcome.exit())
        }
    }
}

async fn list_jobs(
    limit: usize,
    local: bool,
    global: &Global,
    settings: &Settings,
    console: &Console,
) -> Result<Exit, CliError> {
    let url = settings.require_url()?;
    let Some(path) = &settings.history else {
        return Err(CliError::usage("no job history: set HOME, XDG_STATE_HOME or NAASCTL_HISTORY"));
    };
    let mut entries = history::read(path, url)
        .map_err(|e| CliError::usage(format!("reading the job history {}: {e}", path.display())))?;
    entries.truncate(limit);
    let mut rows: Vec<Value> = entries
        .iter()
        .map(|e| json!({"job_id": e.job_id, "kind": e.kind, "device": e.device, "submitted_at": e.submitted_at}))
        .collect();
    let mut exit = Exit::Ok;
    if !local && !entries.is_empty() {
        let api = Arc::new(api_of(settings, console)?);
        let ids: Vec<String> = entries.iter().map(|e| e.job_id.clone()).collect();
        let statuses: Vec<Result<Value, CliError>> = futures::stream::iter(ids)
            .map(|id| {
                let api = api.clone();
                async move { api.job(&id).await }
            })
            .buffered(8)
            .collect()
            .await;
        for (row, status) in rows.iter_mut().zip(statuses) {
            match status {
                Ok(document) => {
                    row["status"] = document["status"].clone();
                    row["error_code"] = document["error_code"].clone();
                }
                // Expired (past the result TTL) or not visible to these credentials.
                Err(CliError::Api(refusal)) if refusal.status == 404 => row["status"] = json!("gone"),
                // One unreadable job does not hide the others; the exit status tells.
                Err(CliError::Api(refusal)) => {
                    row["status"] = json!("unknown");
                    row["error_code"] = json!(refusal.code);
                    exit = Exit::Unavailable;
                }
                Err(e) => return Err(e),
            }
        }
    }
    if structured(global.output, &Value::Array(rows.clone()), console)? {
        return Ok(exit);
    }
    if rows.is_empty() {
        if !global.quiet {
            console.err(&format!("no jobs submitted to {url} from here yet (history: {})\n", path.display()));
        }
        return Ok(exit);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            ["job_id", "kind", "device", "submitted_at", "status", "error_code"]
                .iter()
                .map(|k| text_of(&r[*k]))
                .collect()
        })
        .collect();
    let header: &[&str] = if local {
        &["JOB_ID", "KIND", "DEVICE", "SUBMITTED"]
    } else {
        &["JOB_ID", "KIND", "DEVICE", "SUBMITTED", "STATUS", "ERROR_CODE"]
    };
    let cells: Vec<Vec<String>> = cells
        .into_iter()
        .map(|mut r| {
            r.truncate(header.len());
            r
        })
        .collect();
    console.out(&table(header, &cells));
    Ok(exit)
}

async fn keys(
    command: &KeysCommand,
    global: &Global,
    settings: &Settings,
    console: &Console,
) -> Result<Exit, CliError> {
    let api = api_of(settings, console)?;
    let issued = match command {
        KeysCommand::Create { role, contexts, ttl, name } => {
            let mut body = json!({"role": role.as_str(), "name": name});
            if !contexts.is_empty() {
                body["contexts"] = json!(contexts);
            }
            if let Some(ttl) = ttl {
                body["ttl_seconds"] = json!(ttl);
            }
            api.create_key(&body).await?
        }
        KeysCommand::Rotate { key_id } => api.rotate_key(key_id).await?,
        KeysCommand::Revoke { key_id } => {
            api.revoke_key(key_id).await?;
            if !global.quiet {
                console.err(&format!("key {key_id} revoked\n"));
            }
            return Ok(Exit::Ok);
        }
        KeysCommand::List => {
            let listed = api.list_keys().await?;
            let keys = listed["api_keys"].clone();
            if structured(global.output, &keys, console)? {
                return Ok(Exit::Ok);
            }
            let rows: Vec<Vec<String>> = keys
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|k| {
                    let contexts =
                        k["contexts"].as_array().map(|c| c.iter().map(text_of).collect::<Vec<_>>().join(","));
                    vec![
                        text_of(&k["key_id"]),
                        text_of(&k["name"]),
                        text_of(&k["role"]),
                        contexts.unwrap_or_default(),
                        text_of(&k["created_at"]),
                        text_of(&k["expires_at"]),
                    ]
                })
                .collect();
            console.out(&table(&["KEY_ID", "NAME", "ROLE", "CONTEXTS", "CREATED", "EXPIRES"], &rows));
            return Ok(Exit::Ok);
        }
    };
    // A new token: shown once, here.
    if !structured(global.output, &issued, console)? {
        let mut text = String::new();
        for key in ["key_id", "role", "contexts", "expires_at", "token"] {
            let value = match &issued[key] {
                Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
                other => text_of(other),
            };
            text.push_str(&format!("{key:<13}{value}\n"));
        }
        console.out(&text);
        if !global.quiet {
            console.err("the token is shown only now: store it (e.g. in the file a profile's token_file names)\n");
        }
    }
    Ok(Exit::Ok)
}
