//! One test per shipped platform, so a failure names it.

use super::{Case, Finish, exercise};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cisco_ios() {
    exercise(Case {
        platform: "cisco_ios",
        host: "r1",
        prompt: "r1#",
        shows: [("show version", "Cisco IOS Software"), ("show ip interface brief", "GigabitEthernet0/0")],
        config: &["interface Loopback42", " description naas-applied"],
        finish: Finish::Save("write memory"),
        running: Some("show running-config"),
        rejected: ["snmp-server location naas-discarded", "this is not ios", "snmp-server contact never-sent"],
        refusal: "% Invalid input",
        leave: &["end"],
        config_mode: "config",
        long: Some("show tech-support"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cisco_xe() {
    exercise(Case {
        platform: "cisco_xe",
        host: "csr1",
        prompt: "csr1#",
        shows: [("show version", "Cisco IOS XE Software"), ("show ip interface brief", "GigabitEthernet1")],
        config: &["interface Loopback42", " description naas-applied"],
        finish: Finish::Save("write memory"),
        running: Some("show running-config"),
        rejected: ["snmp-server location naas-discarded", "this is not ios", "snmp-server contact never-sent"],
        refusal: "% Invalid input",
        leave: &["end"],
        config_mode: "config",
        long: Some("show tech-support"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cisco_nxos() {
    exercise(Case {
        platform: "cisco_nxos",
        host: "n1",
        prompt: "n1#",
        shows: [
            ("show version", "Cisco Nexus Operating System (NX-OS) Software"),
            ("show ip interface brief", "IP Interface Status for VRF"),
        ],
        config: &["interface Ethernet1/5", "  description naas-applied"],
        finish: Finish::Save("copy running-config startup-config"),
        running: Some("show running-config"),
        rejected: ["snmp-server location naas-discarded", "bogus line", "snmp-server contact never-sent"],
        refusal: "% Invalid command",
        leave: &["end"],
        config_mode: "config",
        long: Some("show tech-support"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cisco_xr() {
    exercise(Case {
        platform: "cisco_xr",
        host: "xr1",
        prompt: "RP/0/RP0/CPU0:xr1",
        shows: [("show version", "Cisco IOS XR Software, Version 7.3.2"), ("show ipv4 interface brief", "MgmtEth")],
        config: &["interface Loopback42", " description naas-applied"],
        finish: Finish::Commit {
            list: "show configuration commit list detail",
            confirmed: "commit confirmed minutes 5 comment naas job {id}",
            pending: None,
        },
        running: Some("show running-config"),
        rejected: ["snmp-server location naas-discarded", "bogus line", "snmp-server contact never-sent"],
        refusal: "% Invalid input",
        leave: &["abort"],
        config_mode: "config",
        long: Some("show tech-support"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn arista_eos() {
    exercise(Case {
        platform: "arista_eos",
        host: "sw1",
        prompt: "sw1#",
        shows: [("show version", "Arista vEOS"), ("show ip interface brief", "Management1")],
        config: &["interface Ethernet1", "   description naas-applied"],
        finish: Finish::Save("write memory"),
        running: Some("show running-config"),
        rejected: ["snmp-server location naas-discarded", "bogus line", "snmp-server contact never-sent"],
        refusal: "% Invalid input",
        leave: &["end"],
        config_mode: "config",
        long: Some("show tech-support"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn juniper_junos() {
    exercise(Case {
        platform: "juniper_junos",
        host: "vmx1",
        prompt: "netops@vmx1",
        shows: [("show version", "Junos: 23.2R1"), ("show interfaces terse", "ge-0/0/0")],
        config: &["set system ntp server 192.0.2.1", "edit interfaces ge-0/0/3", "set description naas-applied"],
        finish: Finish::Commit {
            list: "show system commit",
            confirmed: "commit confirmed 5 comment \"naas job {id}\"",
            pending: Some("commit confirmed, rollback in 5mins"),
        },
        running: Some("show configuration | display set"),
        rejected: ["set snmp location naas-discarded", "set bogus thing", "set snmp contact never-sent"],
        refusal: "syntax error",
        leave: &["top", "rollback 0", "exit configuration-mode"],
        config_mode: "configuration",
        long: Some("request support information"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dell_os10() {
    exercise(Case {
        platform: "dell_os10",
        host: "os1",
        prompt: "os1#",
        shows: [("show version", "Dell EMC Networking OS10 Enterprise"), ("show ip interface brief", "Ethernet 1/1/1")],
        config: &["interface ethernet1/1/5", " description naas-applied"],
        finish: Finish::Save("write memory"),
        running: Some("show running-configuration"),
        rejected: ["snmp-server location naas-discarded", "bogus line", "snmp-server contact never-sent"],
        refusal: "% Error",
        leave: &["end"],
        config_mode: "conf",
        long: Some("show tech-support"),
    })
    .await;
}

/// A Linux host behind the simulator (real OpenSSH is in `linux.rs`): "configuration" is a
/// list of shell commands, a command that does not exist is the rejected line.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn linux() {
    exercise(Case {
        platform: "linux",
        host: "host1",
        prompt: "netops@host1:",
        shows: [("uname -a", "Linux host1 5.15.0-105-generic"), ("cat /etc/os-release", "Ubuntu 22.04.4 LTS")],
        config: &["echo naas-applied", "hostname"],
        finish: Finish::Nothing,
        running: None,
        rejected: ["echo naas-discarded", "frobnicate --now", "echo never-sent"],
        refusal: "command not found",
        leave: &[],
        config_mode: "shell",
        long: None,
    })
    .await;
}
