//! CPU time per job, by process: the bench process (simulated devices, the API and its
//! callers, or the direct client), the worker, nats-server and redis-server. Read from
//! `/proc/<pid>/stat` (user + system time of all the process's threads) before and after a
//! scenario, so the table says where each job's CPU went, not only how fast jobs went.

use std::time::Instant;

use serde::Serialize;

/// Clock ticks per second in `/proc/<pid>/stat` (USER_HZ, fixed at 100 by Linux's ABI).
const TICKS_PER_S: f64 = 100.0;

/// One process's CPU per job.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProcessCpu {
    pub process: &'static str,
    pub ms_per_job: f64,
}

/// Where a scenario's CPU went, per job, and how busy the machine was meanwhile.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CpuPerJob {
    pub processes: Vec<ProcessCpu>,
    pub total_ms: f64,
    /// CPU used by these processes over the scenario's wall time and every core: near 1.0
    /// means the scenario was bound by CPU.
    pub busy: f64,
}

impl CpuPerJob {
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.processes.iter().map(|p| format!("{} {:.2}", p.process, p.ms_per_job)).collect();
        format!("CPU/job {:.2} ms ({}), cores {:.0}% busy", self.total_ms, parts.join(", "), self.busy * 100.0)
    }
}

/// CPU ticks so far of `pid` (all threads), user + system.
pub fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is the first, utime the
    // twelfth, stime the thirteenth.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The processes' CPU ticks at the start of a scenario.
pub struct CpuMeter {
    start: Vec<(&'static str, u32, u64)>,
    at: Instant,
}

impl CpuMeter {
    pub fn start(processes: &[(&'static str, u32)]) -> Self {
        let start = processes.iter().filter_map(|&(name, pid)| Some((name, pid, ticks(pid)?))).collect();
        Self { start, at: Instant::now() }
    }

    /// CPU per job since `start`, for `jobs` jobs; `None` if no job ran or a process is gone.
    pub fn per_job(&self, jobs: usize) -> Option<CpuPerJob> {
        let wall = self.at.elapsed().as_secs_f64();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        if jobs == 0 || wall <= 0.0 {
            return None;
        }
        let mut processes = Vec::new();
        let mut total_s = 0.0;
        for &(process, pid, before) in &self.start {
            let used_s = ticks(pid)?.saturating_sub(before) as f64 / TICKS_PER_S;
            total_s += used_s;
            processes.push(ProcessCpu { process, ms_per_job: used_s * 1000.0 / jobs as f64 });
        }
        Some(CpuPerJob { processes, total_ms: total_s * 1000.0 / jobs as f64, busy: total_s / (wall * cores) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_this_process_burning_cpu() {
        let pid = std::process::id();
        let meter = CpuMeter::start(&[("bench", pid)]);
        // Spin until the kernel has charged at least two ticks (20 ms) to this process.
        let before = ticks(pid).expect("/proc is readable");
        let mut x = 0u64;
        while ticks(pid).expect("/proc is readable") < before + 2 {
            for i in 0..100_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
        }
        std::hint::black_box(x);
        let cpu = meter.per_job(2).expect("a reading");
        assert_eq!(cpu.processes.len(), 1);
        assert!(cpu.total_ms >= 10.0, "{cpu:?}");
        assert_eq!(cpu.processes[0].ms_per_job, cpu.total_ms);
        assert!(cpu.busy > 0.0);
        assert!(meter.per_job(0).is_none());
        assert!(cpu.describe().starts_with("CPU/job "), "{}", cpu.describe());
    }
}
