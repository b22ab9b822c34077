//! Getting to a privileged prompt on devices that make it awkward: keyboard-interactive
//! only authentication, and a slow device with an enable secret.

use naas_sim::{AuthMethod, DeviceSpec};
use naas_tests::{Stack, StackOptions};
use serde_json::json;

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const SECRET: &str = "en-s3cret";

async fn show_version(stack: &Stack, password: &str) -> serde_json::Value {
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "enable": SECRET});
    let accepted = stack.submit_command(USER, password, &body).await;
    stack.result_of(accepted["job_id"].as_str().unwrap()).await
}

/// A device refusing the "password" method (many AAA setups offer keyboard-interactive
/// only): the worker answers the keyboard-interactive prompt with the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_keyboard_interactive_only_device_is_logged_into() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, SECRET);
    device.auth_methods = vec![AuthMethod::KeyboardInteractive];
    let stack = Stack::start(StackOptions { devices: vec![device], ..Default::default() }).await;
    let doc = show_version(&stack, PASS).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"), "{doc}");
    assert_eq!(stack.command_log.sessions_opened("r1"), 1);

    let doc = show_version(&stack, "wrong-password").await;
    assert_eq!(doc["error_code"], "AUTH_FAILURE", "{doc}");
}

/// A device slower to show its first prompt than the worker waits before nudging it with
/// Enter answers that Enter with a second prompt, which arrives after `enable` was sent.
/// That late prompt is not the answer to `enable`: the secret is still asked for and
/// accepted, and the job finishes instead of failing with AUTH_FAILURE.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_device_with_an_enable_secret_reaches_privileged_mode() {
    let mut device = DeviceSpec::cisco_ios("r1", USER, PASS, SECRET);
    // Longer than the 1.5 s the worker waits for a first prompt before pressing Enter.
    device.latency_ms = 1700;
    let stack = Stack::start(StackOptions { devices: vec![device], ..Default::default() }).await;
    let doc = show_version(&stack, PASS).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"), "{doc}");
    let log = stack.command_log.entries_for("r1");
    let enable = log.iter().find(|r| r.command == "enable").expect("enable was sent");
    assert_eq!(enable.mode, "user");
    let shown = log.iter().find(|r| r.command == "show version").expect("show version ran");
    assert_eq!(shown.mode, "privileged");
}
