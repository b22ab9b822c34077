//! One SSH login per platform: turn paging off, run `show version` (or the shell's
//! equivalent) and check the platform's text.

mod common;

use common::{fleet_of, read_until, shell};
use naas_sim::DeviceSpec;
use tokio_util::sync::CancellationToken;

/// Logs in to a device of `platform`, waits for `login_prompt`, sends each `(command,
/// prompt after it)` of `steps`, then checks that the last output contains `expect`.
async fn drive(platform: &str, host: &str, login_prompt: &str, steps: &[(&str, &str)], expect: &str) {
    let mut spec = DeviceSpec::new(platform, host, "netops", "pw", "");
    spec.latency_ms = 5;
    let fleet = fleet_of(spec).await;
    let log = fleet.command_log();
    let addr = fleet.devices()[0].addr;
    let token = CancellationToken::new();
    let running = tokio::spawn(fleet.run_until_stopped(token.clone()));
    let (_session, mut channel) = shell(addr, "netops", "pw").await;
    read_until(&mut channel, login_prompt).await;
    let mut last = String::new();
    for (command, prompt) in steps {
        channel.data(format!("{command}\r").as_bytes()).await.unwrap();
        last = read_until(&mut channel, prompt).await;
        assert!(last.starts_with(&format!("{command}\r\n")), "{platform}: no echo of {command:?}: {last:?}");
        assert!(!last.contains("-(more") && !last.contains("-More-") && !last.contains("-more-"), "{platform}: {last}");
    }
    assert!(last.contains(expect), "{platform}: {expect:?} not in {last:?}");
    let commands: Vec<String> = log.entries_for(host).into_iter().map(|r| r.command).collect();
    assert_eq!(commands, steps.iter().map(|(c, _)| (*c).to_owned()).collect::<Vec<_>>());
    assert_eq!(log.sessions_opened(host), 1);
    token.cancel();
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn cisco_xe() {
    let steps = [("enable", "csr1#"), ("terminal length 0", "csr1#"), ("show version", "\r\ncsr1#")];
    drive("cisco_xe", "csr1", "csr1>", &steps, "\r\nCisco IOS XE Software, Version").await;
}

#[tokio::test]
async fn cisco_nxos() {
    let steps = [("terminal length 0", "n1# "), ("terminal width 511", "n1# "), ("show version", "\r\nn1# ")];
    drive("cisco_nxos", "n1", "n1# ", &steps, "\r\nCisco Nexus Operating System (NX-OS) Software\r\n").await;
}

#[tokio::test]
async fn cisco_xr() {
    let prompt = "RP/0/RP0/CPU0:xr1#";
    let steps = [("terminal length 0", prompt), ("terminal width 512", prompt), ("show version", prompt)];
    drive("cisco_xr", "xr1", prompt, &steps, "\r\nCisco IOS XR Software, Version 7.3.2\r\n").await;
}

#[tokio::test]
async fn arista_eos() {
    let steps = [("enable", "sw1#"), ("terminal length 0", "sw1#"), ("show version", "\r\nsw1#")];
    drive("arista_eos", "sw1", "sw1>", &steps, "\r\nArista vEOS").await;
}

#[tokio::test]
async fn juniper_junos() {
    let prompt = "netops@vmx1> ";
    let steps = [("set cli screen-length 0", prompt), ("show version", prompt)];
    drive("juniper_junos", "vmx1", prompt, &steps, "\r\nJunos: 23.2R1").await;
}

#[tokio::test]
async fn dell_os10() {
    let steps = [("terminal length 0", "os1#"), ("show version", "\r\nos1#")];
    drive("dell_os10", "os1", "os1#", &steps, "\r\nDell EMC Networking OS10 Enterprise\r\n").await;
}

#[tokio::test]
async fn linux() {
    let prompt = "netops@host1:~$ ";
    let steps = [("export PAGER=cat SYSTEMD_PAGER=cat LANG=C", prompt), ("uname -a", prompt)];
    drive("linux", "host1", prompt, &steps, "\r\nLinux host1 5.15.0-105-generic").await;
}
