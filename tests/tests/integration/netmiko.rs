//! The simulator is realistic enough for netmiko's stock `cisco_ios` driver, the engine
//! under NAAS and netpalm.

use std::path::Path;
use std::process::Command;

use naas_sim::{DeviceSpec, SimSettings};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netmiko_drives_the_simulator_without_special_settings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let python = root.join(".tools/venv/bin/python");
    assert!(python.exists(), "netmiko's Python venv is missing: run `make tools` (scripts/bootstrap.sh)");
    let fleet = naas_sim::build(SimSettings {
        listen: "127.0.0.1".parse().unwrap(),
        devices: vec![DeviceSpec::cisco_ios("edge1", "netops", "probe-pw", "probe-en")],
    })
    .await
    .unwrap();
    let port = fleet.devices()[0].addr.port();
    let token = CancellationToken::new();
    tokio::spawn(fleet.run_until_stopped(token.clone()));
    let probe = root.join("tests/netmiko_probe.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(probe)
            .args(["127.0.0.1", &port.to_string(), "netops", "probe-pw", "probe-en"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    token.cancel();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "netmiko failed: {stderr}");
    let result: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let version = result["show_version"].as_str().unwrap();
    assert!(version.contains("Cisco IOS Software"), "{version}");
    assert!(!version.contains("show version") && !version.contains("edge1#"), "{version}");
    assert!(result["running"].as_str().unwrap().contains("description probe"), "{result}");
}
