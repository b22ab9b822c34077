//! Helpers shared by the platforms' output texts: per-device fingerprints, uptimes, clock
//! formats and padding an output to an exact size.

use std::time::Duration;

use time::OffsetDateTime;

/// A small deterministic hash so every device gets its own serial number and addresses.
pub(crate) fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A multi-line text as owned lines.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

pub(crate) fn plural(n: u64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// IOS style: `1 week, 1 day, 2 minutes`.
pub(crate) fn uptime(d: Duration) -> String {
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

fn short(name: String) -> String {
    name[..3].to_owned()
}

/// `Wed Jan  3 14:02:11` (the day padded to two places, as `ctime` does).
pub(crate) fn ctime(t: OffsetDateTime) -> String {
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02}",
        short(t.weekday().to_string()),
        short(t.month().to_string()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// IOS `show clock`: `*14:02:11.123 UTC Wed Jan 3 2024`.
pub(crate) fn clock() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "*{:02}:{:02}:{:02}.{:03} UTC {} {} {} {}",
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond(),
        short(now.weekday().to_string()),
        short(now.month().to_string()),
        now.day(),
        now.year()
    )
}

/// IOS-XR's line before command output: `Wed Jan  3 14:02:11.123 UTC`.
pub(crate) fn xr_stamp() -> String {
    let now = OffsetDateTime::now_utc();
    format!("{}.{:03} UTC", ctime(now), now.millisecond())
}

/// `2024-01-03 14:02:11 UTC`.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A few lines of interface counters: filler for support outputs.
pub(crate) fn counters(name: &str, n: usize) -> Vec<String> {
    let packets = 1_000_003 * (n as u64 + 1) % 9_999_991;
    vec![
        format!("{name} is up, line protocol is up"),
        format!("  {packets} packets input, {} bytes", packets * 96),
        format!("  {packets} packets output, {} bytes", packets * 88),
        "  0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored".into(),
        "  0 output errors, 0 collisions, 0 interface resets".into(),
        String::new(),
    ]
}

/// A five-probe ping as BSD/Linux-derived systems (NX-OS, EOS, Junos, OS10) print it.
pub(crate) fn unix_ping(target: &str) -> Vec<String> {
    let target = target.split_whitespace().next().unwrap_or("");
    let mut out = vec![format!("PING {target} ({target}): 56 data bytes")];
    out.extend((0..5).map(|i| format!("64 bytes from {target}: icmp_seq={i} ttl=64 time=0.{} ms", 612 + i * 50)));
    out.extend([
        String::new(),
        format!("--- {target} ping statistics ---"),
        "5 packets transmitted, 5 packets received, 0% packet loss".into(),
        "round-trip min/avg/max/stddev = 0.612/0.712/0.812/0.070 ms".into(),
    ]);
    out
}

/// `lines` padded with `filler(n)` blocks (n = 0, 1, ...) and cut so that they total
/// exactly `size` bytes when each ends in `\r\n` (very small sizes are approximate).
pub(crate) fn sized(mut lines: Vec<String>, size: usize, filler: impl Fn(usize) -> Vec<String>) -> Vec<String> {
    let mut n = 0;
    while lines.iter().map(|l| l.len() + 2).sum::<usize>() < size {
        lines.extend(filler(n));
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
    fn sized_output_is_exact() {
        let head = vec!["header".to_owned()];
        for size in [5_000, 5_001, 5_002, 65_536, 100_003] {
            let out = sized(head.clone(), size, |n| vec![format!("line {n} of filler text"), String::new()]);
            assert_eq!(out.iter().map(|l| l.len() + 2).sum::<usize>(), size, "{size}");
        }
    }

    #[test]
    fn time_formats() {
        let t = time::macros::datetime!(2024-01-03 04:05:06 UTC);
        assert_eq!(ctime(t), "Wed Jan  3 04:05:06");
        assert_eq!(iso(t), "2024-01-03 04:05:06 UTC");
    }
}
