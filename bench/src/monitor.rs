//! Watching a worker process from outside: resident memory (VmRSS, and the kernel's
//! high-water mark VmHWM) and open sockets (its TCP connections: devices, NATS, Redis),
//! sampled from /proc.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reading {
    pub rss_kib: u64,
    pub hwm_kib: u64,
    pub sockets: usize,
}

pub fn read(pid: u32) -> Option<Reading> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let sockets = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_link(entry.path()).is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        })
        .count();
    Some(Reading { rss_kib: field("VmRSS:")?, hwm_kib: field("VmHWM:")?, sockets })
}

/// The reading with the most open sockets seen so far, and the last one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Peak {
    pub at_most_sockets: Reading,
    pub last: Reading,
}

/// Samples `pid` every `every` until `token` is cancelled.
pub fn watch(pid: u32, every: Duration, token: CancellationToken) -> Arc<Mutex<Peak>> {
    let peak = Arc::new(Mutex::new(Peak::default()));
    let shared = peak.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => {}
            }
            let Some(reading) = tokio::task::spawn_blocking(move || read(pid)).await.ok().flatten() else { break };
            let mut peak = shared.lock().expect("not poisoned");
            if reading.sockets >= peak.at_most_sockets.sockets {
                peak.at_most_sockets = reading;
            }
            peak.last = reading;
        }
    });
    peak
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let reading = super::read(std::process::id()).expect("/proc is readable");
        assert!(reading.rss_kib > 0 && reading.hwm_kib >= reading.rss_kib);
    }
}
