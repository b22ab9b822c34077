//! Cisco IOS and IOS-XE output texts: show commands and the factory configuration.

use crate::config_store::RunningConfig;
use crate::ios_version::{version, version_xe};
use crate::platform::{Show, ShowCtx};
use crate::settings::DeviceSpec;
use crate::text::{clock, fingerprint, lines, sized};

const RULE: &str = "------------------";

pub(crate) fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    show_with(what, ctx, version(ctx))
}

pub(crate) fn show_xe(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    show_with(what, ctx, version_xe(ctx))
}

fn show_with(what: Show, ctx: &ShowCtx<'_>, version: Vec<String>) -> Vec<String> {
    match what {
        Show::Version => version,
        Show::RunningConfig => running_config(ctx.config),
        Show::StartupConfig => {
            let mut out = vec![format!("Using {} out of 262144 bytes", ctx.startup.len() + 4)];
            out.extend(ctx.startup.lines().map(str::to_owned));
            out.extend(["end".to_owned(), String::new()]);
            out
        }
        Show::IpInterfaceBrief => interface_brief(ctx.config),
        Show::Interfaces => crate::show_interfaces::ios(ctx),
        Show::Clock => vec![clock()],
        Show::TechSupport => tech_support(ctx, version),
        Show::Privilege => vec![format!("Current privilege level is {}", if ctx.privileged { 15 } else { 1 })],
        Show::Terminal => vec![
            "Line 2, Location: \"\", Type: \"vt100\"".into(),
            format!("Length: {} lines, Width: {} columns", ctx.terminal.0, ctx.terminal.1),
            "Baud rate (TX/RX) is 9600/9600".into(),
        ],
        _ => Vec::new(),
    }
}

pub(crate) fn ping(target: &str) -> Vec<String> {
    vec![
        "Type escape sequence to abort.".into(),
        format!("Sending 5, 100-byte ICMP Echos to {target}, timeout is 2 seconds:"),
        "!!!!!".into(),
        "Success rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2 ms".into(),
    ]
}

pub(crate) fn baseline(spec: &DeviceSpec) -> RunningConfig {
    baseline_with(
        spec,
        "15.9",
        &["GigabitEthernet0/0", "GigabitEthernet0/1", "GigabitEthernet0/2", "GigabitEthernet0/3"],
    )
}

pub(crate) fn baseline_xe(spec: &DeviceSpec) -> RunningConfig {
    baseline_with(spec, "17.3", &["GigabitEthernet1", "GigabitEthernet2", "GigabitEthernet3", "GigabitEthernet4"])
}

/// The management address of a device: `10.x.y.1`, x and y from its hostname.
pub(crate) fn mgmt_octets(hostname: &str) -> (u64, u64) {
    let print = fingerprint(hostname);
    ((print >> 16) & 0xff, (print >> 24) & 0xff)
}

fn baseline_with(spec: &DeviceSpec, version: &str, interfaces: &[&str]) -> RunningConfig {
    let print = fingerprint(&spec.hostname);
    let fake_hash = format!("$9${:014x}$", print >> 8);
    let (x, y) = mgmt_octets(&spec.hostname);
    let address = format!("ip address 10.{x}.{y}.1 255.255.255.0");
    let mut c = RunningConfig::empty(&crate::ios::IOS_STYLE);
    c.push(&format!("version {version}"), &[]);
    c.push("service timestamps debug datetime msec", &[]);
    c.push("service timestamps log datetime msec", &[]);
    c.push("no service password-encryption", &[]);
    c.push(&format!("hostname {}", spec.hostname), &[]);
    c.push("boot-start-marker", &[]);
    c.push("boot-end-marker", &[]);
    if !spec.enable_secret.is_empty() {
        c.push(&format!("enable secret 9 {fake_hash}"), &[]);
    }
    c.push("no aaa new-model", &[]);
    c.push("ip cef", &[]);
    c.push("ip domain name lab.example", &[]);
    c.push("no ipv6 cef", &[]);
    c.push(&format!("username {} privilege 15 secret 9 {fake_hash}", spec.username), &[]);
    c.push("ip ssh version 2", &[]);
    for (i, name) in interfaces.iter().enumerate() {
        let name = format!("interface {name}");
        match i {
            0 => c.push(&name, &[&address, "duplex auto", "speed auto", "media-type rj45"]),
            _ => c.push(&name, &["no ip address", "shutdown", "duplex auto", "speed auto", "media-type rj45"]),
        }
    }
    c.push("ip forward-protocol nd", &[]);
    c.push("no ip http server", &[]);
    c.push("no ip http secure-server", &[]);
    c.push("control-plane", &[]);
    c.push("line con 0", &[]);
    c.push("line aux 0", &[]);
    c.push("line vty 0 4", &["login local", "transport input ssh"]);
    c
}

fn running_config(config: &RunningConfig) -> Vec<String> {
    let mut body = config.lines();
    body.push("end".into());
    let size: usize = body.iter().map(|l| l.len() + 1).sum();
    let mut out =
        vec!["Building configuration...".into(), String::new(), format!("Current configuration : {size} bytes")];
    out.extend(body);
    out.push(String::new());
    out
}

fn interface_brief(config: &RunningConfig) -> Vec<String> {
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| format!("{a:<23}{b:<16}{c:<4}{d:<7}{e:<22}{f:<8}");
    let mut out = vec![row("Interface", "IP-Address", "OK?", "Method", "Status", "Protocol").trim_end().to_owned()];
    for i in config.interfaces() {
        let (method, address) = match i.address {
            Some(a) => ("NVRAM", a),
            None => ("unset", "unassigned"),
        };
        let (status, protocol) = if i.shutdown { ("administratively down", "down") } else { ("up", "up") };
        out.push(row(i.name, address, "YES", method, status, protocol));
    }
    out
}

fn interface_counters(n: usize) -> Vec<String> {
    let packets = 1_000_003 * (n as u64 + 1) % 9_999_991;
    let text = format!(
        "GigabitEthernet0/{port} is up, line protocol is up
  Hardware is iGbE, address is 5254.00{n:02x}.{n:04x} (bia 5254.00{n:02x}.{n:04x})
  Internet address is 10.{port}.{octet}.1/24
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive set (10 sec)
  Full Duplex, Auto Speed, link type is auto, media type is RJ45
  output flow-control is unsupported, input flow-control is unsupported
  ARP type: ARPA, ARP Timeout 04:00:00
  Last input 00:00:01, output 00:00:01, output hang never
  Last clearing of \"show interface\" counters never
  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0
  Queueing strategy: fifo
  Output queue: 0/40 (size/max)
  5 minute input rate 1000 bits/sec, 2 packets/sec
  5 minute output rate 1000 bits/sec, 2 packets/sec
     {packets} packets input, {bytes} bytes, 0 no buffer
     Received 0 broadcasts (0 IP multicasts)
     0 runts, 0 giants, 0 throttles
     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored
     {packets} packets output, {bytes} bytes, 0 underruns
     0 output errors, 0 collisions, 1 interface resets
     0 output buffer failures, 0 output buffers swapped out",
        port = n % 48,
        n = n % 256,
        octet = n / 48 % 256,
        bytes = packets * 96,
    );
    lines(&text)
}

/// Plausible lines totalling exactly `size` bytes when each ends in `\r\n`.
fn tech_support(ctx: &ShowCtx<'_>, version: Vec<String>) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for (title, body) in
        [("show clock", vec![clock()]), ("show version", version), ("show running-config", running_config(ctx.config))]
    {
        lines.extend([String::new(), format!("{RULE} {title} {RULE}"), String::new()]);
        lines.extend(body);
    }
    lines.extend([String::new(), format!("{RULE} show interfaces {RULE}"), String::new()]);
    sized(lines, ctx.spec.output_size, interface_counters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tech_support_has_the_requested_size() {
        let spec = DeviceSpec::cisco_ios("r1", "u", "p", "e");
        let config = baseline(&spec);
        for size in [5_000, 5_001, 65_536] {
            let spec = DeviceSpec { output_size: size, ..spec.clone() };
            let ctx = ShowCtx {
                spec: &spec,
                config: &config,
                startup: "",
                commits: &[],
                staged: &[],
                uptime: std::time::Duration::ZERO,
                privileged: true,
                terminal: (0, 0),
                args: "",
                set_form: false,
            };
            let lines = show(Show::TechSupport, &ctx);
            assert_eq!(lines.iter().map(|l| l.len() + 2).sum::<usize>(), size);
            assert!(lines.iter().all(|l| !l.contains("r1#")));
        }
    }
}
