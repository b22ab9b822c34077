//! Config pushes: per-line results, the first rejected line stops the push and names it,
//! saving only after a clean push.

use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn push(stack: &Stack, body: Value) -> Value {
    let response = stack.post("/v2/send-config", USER, PASS, &body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let accepted: Value = response.json().await.unwrap();
    stack.result_of(accepted["job_id"].as_str().unwrap()).await
}

fn sent(stack: &Stack) -> Vec<String> {
    stack.command_log.entries_for("r1").into_iter().map(|r| r.command).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clean_push_applies_every_line_and_saves() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let lines = ["interface Loopback42", " description pushed-by-naas", " ip address 10.42.0.1 255.255.255.255"];
    let doc = push(&stack, json!({"host": "127.0.0.1", "port": port, "config": lines, "save_config": true})).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert_eq!(doc["kind"], "config");
    let results = &doc["results"];
    let per_line = results["lines"].as_array().unwrap();
    assert_eq!(per_line.len(), 3);
    for (entry, line) in per_line.iter().zip(lines) {
        assert_eq!(entry["line"], line);
        assert!(entry["error"].is_null(), "{entry}");
    }
    let transcript = results["config_set_output"].as_str().unwrap();
    assert!(transcript.contains("(config-if)#"), "{transcript}");
    let log = sent(&stack);
    assert!(log.iter().any(|c| c == "write memory"), "saved: {log:?}");

    let check =
        json!({"host": "127.0.0.1", "port": port, "commands": ["show running-config | include pushed-by-naas"]});
    let accepted = stack.submit_command(USER, PASS, &check).await;
    let shown = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    let running = shown["results"]["show running-config | include pushed-by-naas"].as_str().unwrap();
    assert!(running.contains("description pushed-by-naas"), "{running}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejected_line_fails_the_job_naming_the_line_and_stops_the_push() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let lines = ["interface Loopback43", "this is not ios", " description never-sent"];
    let doc = push(&stack, json!({"host": "127.0.0.1", "port": port, "config": lines, "save_config": true})).await;
    assert_eq!(doc["status"], "failed", "{doc}");
    assert_eq!(doc["error_code"], "CONFIG_REJECTED");
    assert_eq!(doc["error_retryable"], false);
    let error = doc["error"].as_str().unwrap();
    assert!(error.contains("line 2") && error.contains("this is not ios"), "{error}");
    let per_line = doc["results"]["lines"].as_array().unwrap();
    assert_eq!(per_line.len(), 2, "the push stopped at the rejected line: {per_line:?}");
    assert!(per_line[1]["error"].as_str().unwrap().contains("Invalid input"), "{per_line:?}");
    let log = sent(&stack);
    assert!(!log.iter().any(|c| c.contains("never-sent")), "{log:?}");
    assert!(!log.iter().any(|c| c == "write memory"), "no save after a rejection: {log:?}");
    assert!(log.iter().any(|c| c == "end"), "config mode was left: {log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stop_on_error_false_sends_every_line_and_still_fails() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let lines = ["bogus one", "interface Loopback44", " description after-bogus"];
    let doc = push(&stack, json!({"host": "127.0.0.1", "port": port, "config": lines, "stop_on_error": false})).await;
    assert_eq!(doc["error_code"], "CONFIG_REJECTED");
    assert!(doc["error"].as_str().unwrap().contains("line 1"));
    assert_eq!(doc["results"]["lines"].as_array().unwrap().len(), 3);
    assert!(sent(&stack).iter().any(|c| c.contains("after-bogus")));
}

/// A platform dropped into the platform directory is usable without recompiling; with
/// paging left on, the worker pages through `--More--` and the output is the same as with
/// paging off: no pager artefacts, nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dropped_in_platform_works_and_paged_output_is_complete() {
    let dir = naas_tests::servers::TempDir::new("platforms");
    let ios = include_str!("../../../shared/platforms/cisco_ios.toml");
    let paged = ios
        .replace("name = \"cisco_ios\"", "name = \"ios_paged\"")
        .replace("on_open = [\"terminal length 0\", \"terminal width 511\"]", "on_open = []");
    assert_ne!(paged, ios);
    std::fs::write(dir.path().join("ios_paged.toml"), paged).unwrap();
    let stack = Stack::start(StackOptions { platform_dir: Some(dir.path().to_path_buf()), ..Default::default() }).await;
    let port = stack.device("r1").addr.port();

    let mut outputs = Vec::new();
    for platform in ["cisco_ios", "ios_paged"] {
        let body =
            json!({"host": "127.0.0.1", "port": port, "platform": platform, "commands": ["show running-config"]});
        let accepted = stack.submit_command(USER, PASS, &body).await;
        let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
        assert_eq!(doc["status"], "finished", "{platform}: {doc}");
        outputs.push(doc["results"]["show running-config"].as_str().unwrap().to_owned());
    }
    assert!(outputs[0].lines().count() > 48, "long enough to be paged more than once");
    assert!(!outputs[1].contains("More") && !outputs[1].contains('\u{8}'));
    let differing = outputs[0].lines().zip(outputs[1].lines()).position(|(a, b)| a != b);
    assert_eq!(differing, None, "first differing line");
    assert_eq!(outputs[0].len(), outputs[1].len());
}
