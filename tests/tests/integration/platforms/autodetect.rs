//! `platform: "autodetect"`: every simulated platform is recognised and the job runs on it;
//! a device no definition recognises fails with `PLATFORM_NOT_DETECTED`.

use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use serde_json::json;

use super::{PASS, SECRET, USER, job};

/// (platform, host name, a command to run once detected, a text its output contains)
const DEVICES: [(&str, &str, &str, &str); 8] = [
    ("cisco_ios", "ios1", "show version", "IOSv"),
    ("cisco_xe", "xe1", "show version", "IOS XE"),
    ("cisco_nxos", "nx1", "show version", "NX-OS"),
    ("cisco_xr", "xr1", "show version", "IOS XR"),
    ("arista_eos", "eos1", "show version", "vEOS"),
    ("juniper_junos", "vmx1", "show version", "Junos:"),
    ("dell_os10", "os10a", "show version", "OS10"),
    ("linux", "host1", "uname -a", "GNU/Linux"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn autodetect_on_every_simulator_platform() {
    let devices = DEVICES.iter().map(|(p, host, _, _)| DeviceSpec::new(p, host, USER, PASS, SECRET)).collect();
    let stack = Stack::start(StackOptions { devices, ..Default::default() }).await;
    let runs = DEVICES.iter().map(|(platform, host, command, text)| {
        let stack = &stack;
        async move {
            let port = stack.device(host).addr.port();
            let body = json!({"host": "127.0.0.1", "port": port, "platform": "autodetect", "enable": SECRET,
                              "commands": [command]});
            let (_, doc) = job(stack, "/v2/send-command", body).await;
            assert_eq!(doc["status"], "finished", "{platform}: {doc}");
            assert_eq!(doc["detected_platform"], *platform, "{doc}");
            assert_eq!(doc["platform"], "autodetect", "{doc}");
            let output = doc["results"][command].as_str().unwrap_or_default();
            assert!(output.contains(text), "{platform}: {text:?} not in {output:?}");
            assert!(!output.contains(&format!("{host}#")) && !output.contains(&format!("{host}>")), "{output:?}");
        }
    });
    futures::future::join_all(runs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_no_definition_recognises_fails_platform_not_detected() {
    // This deployment's IOS definition looks for something the device never prints.
    let platforms = naas_tests::servers::TempDir::new("platforms");
    let builtin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/platforms/cisco_ios.toml");
    let text = std::fs::read_to_string(builtin).unwrap();
    let blind: String = text
        .lines()
        .map(|line| if line.starts_with("detect_patterns") { "detect_patterns = ['^AcmeOS ']" } else { line })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(platforms.path().join("cisco_ios.toml"), blind).unwrap();
    let device = DeviceSpec::new("cisco_ios", "r1", USER, PASS, SECRET);
    let options = StackOptions {
        devices: vec![device],
        platform_dir: Some(platforms.path().to_path_buf()),
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "platform": "autodetect", "commands": ["show clock"]});
    let (_, doc) = job(&stack, "/v2/send-command", body).await;
    assert_eq!(
        (doc["status"].as_str(), doc["error_code"].as_str()),
        (Some("failed"), Some("PLATFORM_NOT_DETECTED")),
        "{doc}"
    );
    assert_eq!(doc["error_retryable"], false);
    assert!(doc.get("detected_platform").is_none(), "{doc}");
    let sent: Vec<String> = stack.command_log.entries_for("r1").into_iter().map(|r| r.command).collect();
    assert!(!sent.iter().any(|c| c == "show clock"), "the job's commands never run: {sent:?}");
}
