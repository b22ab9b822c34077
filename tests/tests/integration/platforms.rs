//! Every shipped platform end to end against its simulated device (HTTPS → NATS → worker →
//! SSH): show commands come back clean, a config push is applied and saved or committed, a
//! rejected line fails the push, is named, stops it and leaves nothing staged. On candidate
//! platforms a push without `commit` is checked and discarded, and commits carry the job id.

use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const SECRET: &str = "en-s3cret";

/// How a clean push is made permanent.
enum Finish {
    /// `save_config: true`; the device logs this command.
    Save(&'static str),
    /// `commit: true`: `list` shows the commit comments; `confirmed` is the command a
    /// `commit_confirmed: 5` push sends (`{id}` the job id), `pending` how `list` shows
    /// that commit while it waits for confirmation, if it does.
    Commit { list: &'static str, confirmed: &'static str, pending: Option<&'static str> },
    /// Nothing to save (a shell).
    Nothing,
}

/// What one platform looks like through the whole stack.
struct Case {
    platform: &'static str,
    host: &'static str,
    /// The prompt, which must never appear in an output.
    prompt: &'static str,
    /// Commands and a text each one's output contains.
    shows: [(&'static str, &'static str); 2],
    /// A clean push; it mentions `naas-applied`.
    config: &'static [&'static str],
    finish: Finish,
    /// Shows the configuration in force, if the platform has one.
    running: Option<&'static str>,
    /// A line mentioning `naas-discarded`, a line the device refuses, a line mentioning
    /// `never-sent`.
    rejected: [&'static str; 3],
    /// What the device says about the refused line.
    refusal: &'static str,
    /// What the worker sends after the refusal to leave configuration mode.
    leave: &'static [&'static str],
    /// The mode names the device logs configuration lines under start with this.
    config_mode: &'static str,
    /// A command whose output is many pages long, if the platform has a pager.
    long: Option<&'static str>,
}

async fn job(stack: &Stack, path: &str, body: Value) -> (String, Value) {
    let response = stack.post(path, USER, PASS, &body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let accepted: Value = response.json().await.unwrap();
    let id = accepted["job_id"].as_str().unwrap().to_owned();
    let doc = stack.result_of(&id).await;
    (id, doc)
}

fn commands(stack: &Stack, case: &Case) -> Vec<(String, String)> {
    stack.command_log.entries_for(case.host).into_iter().map(|r| (r.command, r.mode)).collect()
}

fn assert_clean(case: &Case, command: &str, output: &str) {
    let p = case.platform;
    assert!(!output.lines().any(|l| l.trim() == command), "{p}: echo of {command:?} left in {output:?}");
    assert!(!output.contains(case.prompt), "{p}: prompt left in the output of {command:?}: {output:?}");
    for artefact in ["--More--", "--more--", "---(more", "\u{8}", "\u{1b}", "[edit"] {
        assert!(!output.contains(artefact), "{p}: pager or prompt artefact {artefact:?} in {output:?}");
    }
}

/// The platform's definition as `<platform>_paged`, leaving paging on.
fn paged_copy(platform: &str, dir: &std::path::Path) {
    let builtin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../shared/platforms/{platform}.toml"));
    let text = std::fs::read_to_string(builtin).unwrap();
    let paged: Vec<String> = text
        .lines()
        .map(|line| match line {
            l if l.starts_with("name =") => format!("name = \"{platform}_paged\""),
            l if l.starts_with("on_open =") => "on_open = []".to_owned(),
            l => l.to_owned(),
        })
        .collect();
    std::fs::write(dir.join(format!("{platform}_paged.toml")), paged.join("\n")).unwrap();
}

/// The scenarios every platform passes; failures name the platform.
async fn exercise(case: Case) {
    let p = case.platform;
    let device = DeviceSpec::new(p, case.host, USER, PASS, SECRET);
    let platforms = naas_tests::servers::TempDir::new("platforms");
    paged_copy(p, platforms.path());
    let options = StackOptions {
        devices: vec![device],
        platform_dir: Some(platforms.path().to_path_buf()),
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let port = stack.device(case.host).addr.port();
    let body = |extra: Value| {
        let mut body = json!({"host": "127.0.0.1", "port": port, "platform": p, "enable": SECRET});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    // Show commands: the device's text, nothing else.
    let shows: Vec<&str> = case.shows.iter().map(|(c, _)| *c).collect();
    let (_, doc) = job(&stack, "/v2/send-command", body(json!({"commands": shows}))).await;
    assert_eq!(doc["status"], "finished", "{p}: {doc}");
    for (command, text) in case.shows {
        let output = doc["results"][command].as_str().unwrap_or_else(|| panic!("{p}: no {command:?}: {doc}"));
        assert!(output.contains(text), "{p}: {text:?} not in the output of {command:?}: {output:?}");
        assert_clean(&case, command, output);
    }

    // With paging left on, the worker pages through and the output is the same.
    if let Some(long) = case.long {
        let (_, unpaged) = job(&stack, "/v2/send-command", body(json!({"commands": [long]}))).await;
        let mut request = body(json!({"commands": [long]}));
        request["platform"] = json!(format!("{p}_paged"));
        let (_, paged) = job(&stack, "/v2/send-command", request).await;
        let outputs =
            [&unpaged, &paged].map(|doc| doc["results"][long].as_str().unwrap_or_else(|| panic!("{p}: {doc}")));
        assert_clean(&case, long, outputs[1]);
        assert!(outputs[0].lines().count() > 100, "{p}: {long:?} is many pages long");
        assert_eq!(outputs[0].lines().count(), outputs[1].lines().count(), "{p}: lines lost or added by paging");
        // Only a clock or uptime line may differ between the two runs.
        let differing: Vec<_> = outputs[0].lines().zip(outputs[1].lines()).filter(|(a, b)| a != b).collect();
        assert!(differing.len() <= 2, "{p}: paged output differs: {differing:?}");
    }

    // A rejected line: named, the push stops there and configuration mode is left.
    let (_, doc) = job(&stack, "/v2/send-config", body(json!({"config": case.rejected}))).await;
    assert_eq!((doc["status"].as_str(), doc["error_code"].as_str()), (Some("failed"), Some("CONFIG_REJECTED")), "{p}");
    let error = doc["error"].as_str().unwrap();
    assert!(error.contains("line 2") && error.contains(case.rejected[1]), "{p}: {error}");
    let lines = doc["results"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{p}: the push stopped at the rejected line: {lines:?}");
    assert!(lines[0]["error"].is_null(), "{p}: {lines:?}");
    assert!(lines[1]["error"].as_str().unwrap().contains(case.refusal), "{p}: {lines:?}");
    let log = commands(&stack, &case);
    assert!(!log.iter().any(|(c, _)| c.contains("never-sent")), "{p}: a line after the rejection was sent: {log:?}");
    let refused = log.iter().position(|(c, _)| c == case.rejected[1]).expect("the refused line reached the device");
    let after: Vec<&str> = log[refused + 1..].iter().map(|(c, _)| c.as_str()).collect();
    assert!(after.starts_with(case.leave), "{p}: left configuration mode with {:?}, sent {after:?}", case.leave);
    assert!(!after.iter().any(|c| c.starts_with("commit") || c.starts_with("write") || c.starts_with("copy")), "{p}");
    let candidate = matches!(case.finish, Finish::Commit { .. });
    if candidate {
        assert_eq!(doc["results"]["candidate"], "discarded", "{p}: {doc}");
    }

    // On a candidate platform, a push without commit is checked by the device, then dropped.
    if candidate {
        let (_, doc) = job(&stack, "/v2/send-config", body(json!({"config": [case.rejected[0]]}))).await;
        assert_eq!(doc["status"], "finished", "{p}: {doc}");
        assert_eq!(doc["results"]["candidate"], "discarded", "{p}: {doc}");
        let tail: Vec<String> = commands(&stack, &case).into_iter().rev().take(4).map(|(c, _)| c).collect();
        assert!(tail.contains(&case.leave[0].to_owned()), "{p}: not discarded: {tail:?}");
    }

    // A clean push, saved or committed.
    let finish = match case.finish {
        Finish::Save(_) => json!({"save_config": true}),
        Finish::Commit { .. } => json!({"commit": true}),
        Finish::Nothing => json!({}),
    };
    let mut push = body(json!({"config": case.config}));
    push.as_object_mut().unwrap().extend(finish.as_object().unwrap().clone());
    let (id, doc) = job(&stack, "/v2/send-config", push).await;
    assert_eq!(doc["status"], "finished", "{p}: {doc}");
    let lines = doc["results"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), case.config.len(), "{p}: {lines:?}");
    for (entry, line) in lines.iter().zip(case.config) {
        assert_eq!(entry["line"], *line, "{p}");
        assert!(entry["error"].is_null(), "{p}: {entry}");
        assert_clean(&case, line, entry["output"].as_str().unwrap());
    }
    let log = commands(&stack, &case);
    for line in case.config {
        let logged = log.iter().rev().find(|(c, _)| c == line.trim());
        assert!(logged.is_some_and(|(_, mode)| mode.starts_with(case.config_mode)), "{p}: {line:?} in {log:?}");
    }
    match case.finish {
        Finish::Save(save) => assert!(log.iter().any(|(c, _)| c == save), "{p}: not saved: {log:?}"),
        Finish::Commit { list, confirmed, pending } => {
            assert_eq!(doc["results"]["candidate"], "committed", "{p}: {doc}");
            let extra = json!({"config": [case.config[0]], "commit": true, "commit_confirmed": 5});
            let mut push = body(json!({}));
            push.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let (confirmed_id, doc) = job(&stack, "/v2/send-config", push).await;
            assert_eq!(doc["status"], "finished", "{p}: {doc}");
            let command = confirmed.replace("{id}", &confirmed_id);
            assert!(commands(&stack, &case).iter().any(|(c, _)| *c == command), "{p}: {command:?} was not sent");
            let (_, shown) = job(&stack, "/v2/send-command", body(json!({"commands": [list]}))).await;
            let commits = shown["results"][list].as_str().unwrap_or_else(|| panic!("{p}: {shown}"));
            for job_id in [&id, &confirmed_id] {
                assert!(commits.contains(&format!("naas job {job_id}")), "{p}: job {job_id} not in {commits}");
            }
            if let Some(pending) = pending {
                assert!(commits.contains(pending), "{p}: {pending:?} not in {commits}");
            }
        }
        Finish::Nothing => {}
    }

    // The configuration in force: the clean push, nothing of what a candidate discarded.
    if let Some(running) = case.running {
        let (_, doc) = job(&stack, "/v2/send-command", body(json!({"commands": [running]}))).await;
        let config = doc["results"][running].as_str().unwrap_or_else(|| panic!("{p}: {doc}"));
        assert!(config.contains("naas-applied"), "{p}: the push is not in force: {config}");
        assert_eq!(config.contains("naas-discarded"), !candidate, "{p}: candidate {candidate}: {config}");
    }
}

mod autodetect;
mod cases;
