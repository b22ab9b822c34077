//! Cisco IOS output texts: show commands and the factory configuration.

use std::time::Duration;

use crate::config_store::RunningConfig;
use crate::platform::{Show, ShowCtx};
use crate::settings::DeviceSpec;

const RULE: &str = "------------------";

pub(crate) fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    match what {
        Show::Version => version(ctx),
        Show::RunningConfig => running_config(ctx.config),
        Show::StartupConfig => {
            let mut out = vec![format!("Using {} out of 262144 bytes", ctx.startup.len() + 4)];
            out.extend(ctx.startup.lines().map(str::to_owned));
            out.extend(["end".to_owned(), String::new()]);
            out
        }
        Show::IpInterfaceBrief => interface_brief(ctx.config),
        Show::Clock => vec![clock()],
        Show::TechSupport => tech_support(ctx),
        Show::Privilege => vec![format!("Current privilege level is {}", if ctx.privileged { 15 } else { 1 })],
        Show::Terminal => vec![
            "Line 2, Location: \"\", Type: \"vt100\"".into(),
            format!("Length: {} lines, Width: {} columns", ctx.terminal.0, ctx.terminal.1),
            "Baud rate (TX/RX) is 9600/9600".into(),
        ],
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

/// A small deterministic hash so every device gets its own serial number and addresses.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

pub(crate) fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let print = fingerprint(&spec.hostname);
    let fake_hash = format!("$9${:014x}$", print >> 8);
    let address = format!("ip address 10.{}.{}.1 255.255.255.0", (print >> 16) & 0xff, (print >> 24) & 0xff);
    let mut c = RunningConfig::empty(crate::ios::CISCO_IOS.config.singletons);
    c.push("version 15.9", &[]);
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
    c.push("interface GigabitEthernet0/0", &[&address, "duplex auto", "speed auto", "media-type rj45"]);
    for port in 1..4 {
        let name = format!("interface GigabitEthernet0/{port}");
        c.push(&name, &["no ip address", "shutdown", "duplex auto", "speed auto", "media-type rj45"]);
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

fn plural(n: u64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn uptime(d: Duration) -> String {
    let minutes = d.as_secs() / 60;
    let parts = [
        (minutes / 525_600, "year"),
        (minutes / 10_080 % 52, "week"),
        (minutes / 1440 % 7, "day"),
        (minutes / 60 % 24, "hour"),
    ];
    let mut out: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| plural(*n, unit)).collect();
    out.push(plural(minutes % 60, "minute"));
    out.join(", ")
}

fn version(ctx: &ShowCtx<'_>) -> Vec<String> {
    let host = ctx.config.hostname();
    let serial = format!("9{:010X}", fingerprint(&ctx.spec.hostname) & 0xff_ffff_ffff);
    let text = format!(
        "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4, RELEASE SOFTWARE (fc3)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2021 by Cisco Systems, Inc.
Compiled Tue 28-Sep-21 10:02 by prod_rel_team


ROM: Bootstrap program is IOSv

{host} uptime is {uptime}
System returned to ROM by reload
System image file is \"flash0:/vios-adventerprisek9-m\"
Last reload reason: Unknown reason



This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com.

Cisco IOSv (revision 1.0) with  with 460137K/62464K bytes of memory.
Processor board ID {serial}
4 Gigabit Ethernet interfaces
DRAM configuration is 72 bits wide with parity disabled.
256K bytes of non-volatile configuration memory.
2097152K bytes of ATA System CompactFlash 0 (Read/Write)
0K bytes of ATA CompactFlash 1 (Read/Write)
1008K bytes of ATA CompactFlash 3 (Read/Write)

Configuration register is 0x2102
",
        uptime = uptime(ctx.uptime)
    );
    text.lines().map(str::to_owned).collect()
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

pub(crate) fn clock() -> String {
    let now = time::OffsetDateTime::now_utc();
    let (weekday, month) = (now.weekday().to_string(), now.month().to_string());
    format!(
        "*{:02}:{:02}:{:02}.{:03} UTC {} {} {} {}",
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond(),
        &weekday[..3],
        &month[..3],
        now.day(),
        now.year()
    )
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
    text.lines().map(str::to_owned).collect()
}

/// Plausible lines totalling exactly `size` bytes when each ends in `\r\n` (for any size
/// of at least a few bytes; very small sizes are approximate).
fn tech_support(ctx: &ShowCtx<'_>) -> Vec<String> {
    let size = ctx.spec.output_size;
    let mut lines: Vec<String> = Vec::new();
    for (title, body) in [
        ("show clock", vec![clock()]),
        ("show version", version(ctx)),
        ("show running-config", running_config(ctx.config)),
    ] {
        lines.extend([String::new(), format!("{RULE} {title} {RULE}"), String::new()]);
        lines.extend(body);
    }
    lines.extend([String::new(), format!("{RULE} show interfaces {RULE}"), String::new()]);
    let mut n = 0;
    while lines.iter().map(|l| l.len() + 2).sum::<usize>() < size {
        lines.extend(interface_counters(n));
        n += 1;
    }
    fit(&mut lines, size);
    lines
}

fn fit(lines: &mut Vec<String>, size: usize) {
    let mut total = 0;
    let mut keep = 0;
    while keep < lines.len() && total + lines[keep].len() + 2 <= size {
        total += lines[keep].len() + 2;
        keep += 1;
    }
    lines.truncate(keep + 1);
    let missing = size - total;
    match (missing, lines.len() > keep) {
        (0, _) => lines.truncate(keep),
        (1, _) => {
            lines.truncate(keep);
            if let Some(last) = lines.last_mut() {
                last.push(' ');
            }
        }
        (m, true) => lines[keep].truncate(m - 2),
        (_, false) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_like_ios() {
        assert_eq!(uptime(Duration::from_secs(59)), "0 minutes");
        assert_eq!(uptime(Duration::from_secs(3660)), "1 hour, 1 minute");
        assert_eq!(uptime(Duration::from_secs(8 * 86_400 + 120)), "1 week, 1 day, 2 minutes");
    }

    #[test]
    fn tech_support_has_the_requested_size() {
        let spec = DeviceSpec::cisco_ios("r1", "u", "p", "e");
        let config = baseline(&spec);
        for size in [5_000, 5_001, 5_002, 65_536, 100_003] {
            let spec = DeviceSpec { output_size: size, ..spec.clone() };
            let ctx = ShowCtx {
                spec: &spec,
                config: &config,
                startup: "",
                uptime: Duration::ZERO,
                privileged: true,
                terminal: (0, 0),
            };
            let lines = tech_support(&ctx);
            assert_eq!(lines.iter().map(|l| l.len() + 2).sum::<usize>(), size);
            assert!(lines.iter().all(|l| !l.contains("r1#")));
        }
    }
}
