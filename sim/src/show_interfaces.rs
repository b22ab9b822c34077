//! `show interfaces [NAME]` of Cisco IOS/IOS-XE and Arista EOS, from the running
//! configuration: state, description and addresses as configured, counters that differ
//! per device and interface but never between two runs.

use crate::config_store::InterfaceView;
use crate::platform::ShowCtx;
use crate::text::fingerprint;

/// The interfaces `show interfaces` lists: all, or the one named (any case).
fn selected<'a>(ctx: &'a ShowCtx<'_>) -> Vec<InterfaceView<'a>> {
    let wanted = ctx.args.trim();
    ctx.config.interfaces().into_iter().filter(|i| wanted.is_empty() || i.name.eq_ignore_ascii_case(wanted)).collect()
}

fn setting<'a>(i: &'a InterfaceView<'_>, key: &str) -> Option<&'a str> {
    i.lines.iter().find_map(|l| l.strip_prefix(key)).map(str::trim)
}

/// `255.255.255.0` → 24.
fn prefix_length(mask: &str) -> u32 {
    mask.split('.').filter_map(|o| o.parse::<u8>().ok()).map(u8::count_ones).sum()
}

/// A MAC address in Cisco's dotted form, unique per device and interface.
fn mac(ctx: &ShowCtx<'_>, n: usize) -> String {
    let print = fingerprint(&ctx.spec.hostname);
    format!("5254.00{:02x}.{:02x}{:02x}", print & 0xff, (print >> 8) & 0xff, n & 0xff)
}

/// Packet counts of an interface that is up (none when it is down).
fn packets(ctx: &ShowCtx<'_>, n: usize, up: bool) -> (u64, u64) {
    if !up {
        return (0, 0);
    }
    let print = fingerprint(&format!("{}/{n}", ctx.spec.hostname));
    (10_000 + print % 90_000, 10_000 + (print >> 20) % 90_000)
}

/// `1 day, 2 hours, 3 minutes, 4 seconds`, as EOS writes how long a link has been up.
fn eos_duration(secs: u64) -> String {
    let parts = [(secs / 86_400, "day"), (secs / 3600 % 24, "hour"), (secs / 60 % 60, "minute"), (secs % 60, "second")];
    let words: Vec<String> =
        parts.iter().map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" })).collect();
    words.join(", ")
}

pub(crate) fn ios(ctx: &ShowCtx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (n, i) in selected(ctx).iter().enumerate() {
        let up = !i.shutdown;
        let (state, protocol) = if up { ("up", "up") } else { ("administratively down", "down") };
        let hardware = if i.name.contains('/') { "iGbE" } else { "CSR vNIC" };
        let mac = mac(ctx, n);
        out.push(format!("{} is {state}, line protocol is {protocol} ", i.name));
        out.push(format!("  Hardware is {hardware}, address is {mac} (bia {mac})"));
        if let Some(description) = setting(i, "description ") {
            out.push(format!("  Description: {description}"));
        }
        if let Some((address, mask)) = setting(i, "ip address ").and_then(|a| a.split_once(' ')) {
            out.push(format!("  Internet address is {address}/{}", prefix_length(mask)));
        }
        let (rx, tx) = packets(ctx, n, up);
        let last = if up { "00:00:01" } else { "never" };
        let rate = |p: u64| if up { (p % 9 + 1) * 1000 } else { 0 };
        out.extend([
            "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, ".to_owned(),
            "     reliability 255/255, txload 1/255, rxload 1/255".into(),
            "  Encapsulation ARPA, loopback not set".into(),
            "  Keepalive set (10 sec)".into(),
            "  Auto Duplex, Auto Speed, link type is auto, media type is RJ45".into(),
            "  output flow-control is unsupported, input flow-control is unsupported".into(),
            "  ARP type: ARPA, ARP Timeout 04:00:00".into(),
            format!("  Last input {last}, output {last}, output hang never"),
            "  Last clearing of \"show interface\" counters never".into(),
            "  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0".into(),
            "  Queueing strategy: fifo".into(),
            "  Output queue: 0/40 (size/max)".into(),
            format!("  5 minute input rate {} bits/sec, {} packets/sec", rate(rx), u64::from(up) * 2),
            format!("  5 minute output rate {} bits/sec, {} packets/sec", rate(tx), u64::from(up) * 2),
            format!("     {rx} packets input, {} bytes, 0 no buffer", rx * 96),
            "     Received 0 broadcasts (0 IP multicasts)".into(),
            "     0 runts, 0 giants, 0 throttles ".into(),
            "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored".into(),
            "     0 watchdog, 0 multicast, 0 pause input".into(),
            format!("     {tx} packets output, {} bytes, 0 underruns", tx * 88),
            format!("     0 output errors, 0 collisions, {} interface resets", u64::from(!up) + 1),
            "     0 unknown protocol drops".into(),
            "     0 babbles, 0 late collision, 0 deferred".into(),
            "     0 lost carrier, 0 no carrier, 0 pause output".into(),
            "     0 output buffer failures, 0 output buffers swapped out".into(),
        ]);
    }
    out
}

pub(crate) fn eos(ctx: &ShowCtx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (n, i) in selected(ctx).iter().enumerate() {
        let up = !i.shutdown;
        let loopback = i.name.starts_with("Loopback");
        let (state, protocol) =
            if up { ("up", "up (connected)") } else { ("administratively down", "down (disabled)") };
        out.push(format!("{} is {state}, line protocol is {protocol}", i.name));
        if loopback {
            out.push("  Hardware is Loopback".into());
        } else {
            let mac = mac(ctx, n);
            out.push(format!("  Hardware is Ethernet, address is {mac} (bia {mac})"));
        }
        if let Some(description) = setting(i, "description ") {
            out.push(format!("  Description: {description}"));
        }
        match i.address {
            Some(address) => {
                let mtu = if loopback { 65535 } else { 1500 };
                out.extend([
                    format!("  Internet address is {address}"),
                    "  Broadcast address is 255.255.255.255".into(),
                    "  Address determined by manual configuration".into(),
                    match loopback {
                        true => format!("  IP MTU {mtu} bytes (default)"),
                        false => format!("  IP MTU {mtu} bytes (default), BW 1000000 kbit"),
                    },
                ]);
            }
            None => out.push("  Ethernet MTU 9214 bytes, BW 1000000 kbit".into()),
        }
        let since = eos_duration(ctx.uptime.as_secs() + 42);
        if loopback {
            out.push(format!("  {} {since}", if up { "Up" } else { "Down" }));
            continue;
        }
        let (rx, tx) = packets(ctx, n, up);
        out.extend([
            "  Full-duplex, 1Gb/s, auto negotiation: off, uni-link: n/a".to_owned(),
            format!("  {} {since}", if up { "Up" } else { "Down" }),
            "  Loopback Mode : None".into(),
            format!("  {} link status changes since last clear", if up { 2 } else { 1 }),
            "  Last clearing of \"show interface\" counters never".into(),
            format!("  5 minutes input rate {} bps (0.0% with framing overhead), 0 packets/sec", rx % 400),
            format!("  5 minutes output rate {} bps (0.0% with framing overhead), 0 packets/sec", tx % 400),
            format!("     {rx} packets input, {} bytes", rx * 104),
            format!("     Received 0 broadcasts, {rx} multicast"),
            "     0 runts, 0 giants".into(),
            "     0 input errors, 0 CRC, 0 alignment, 0 symbol, 0 input discards".into(),
            "     0 PAUSE input".into(),
            format!("     {tx} packets output, {} bytes", tx * 123),
            format!("     Sent 0 broadcasts, {tx} multicast"),
            "     0 output errors, 0 collisions".into(),
            "     0 late collision, 0 deferred, 0 output discards".into(),
            "     0 PAUSE output".into(),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(prefix_length("255.255.255.0"), 24);
        assert_eq!(prefix_length("255.255.255.254"), 31);
        assert_eq!(eos_duration(90_061), "1 day, 1 hour, 1 minute, 1 second");
    }
}
