//! The command line: sizes, latencies and paths, with a full default and a smoke preset.

use std::path::PathBuf;

use anyhow::{Context, bail};

pub const USAGE: &str = "\
usage: naas-bench [--smoke] [options]

Starts nats-server, redis-server, the API, workers and simulated devices, runs every
scenario, prints one table and the ratios, and writes <out>/latest.json and latest.svg.

  --smoke                    tiny sizes (seconds; no thresholds); output to target/bench-smoke
  --latency-ms LIST          per-command device latency, ms (default 0,20)
  --concurrency N            jobs in flight for every end-to-end system and the worker's
                             concurrency (default 32)
  --devices N                devices the end-to-end jobs are spread over (default 64)
  --jobs N                   end-to-end jobs for naas and direct SSH (default 2000)
  --netmiko-jobs N           jobs for the netmiko baseline (default 300; 0 skips it)
  --ingest-requests N        submissions per ingest concurrency (default 5000)
  --ingest-concurrency LIST  client concurrencies for ingest (default 4,16,64)
  --fanout-jobs N            fan-out jobs (default 10000; 0 skips fan-out)
  --fanout-devices N         fan-out devices (default 1000)
  --fanout-concurrency N     the fan-out worker's concurrency (default 256)
  --out DIR                  where latest.json and latest.svg go (default bench/results)
  --worker-bin PATH          the naas-worker binary (default: next to this binary)
  --python PATH              Python with netmiko (default .tools/venv/bin/python)
  --redis-appendfsync POLICY Redis AOF sync: everysec (default, as make up runs it),
                             always (as the test harness runs it) or no
  --only LIST                run only these scenarios: ingest, direct, fresh, reused,
                             netmiko, fanout, few-devices (default all; for profiling
                             one of them), or soak (never run by default)
  --soak-jobs N              jobs of the soak (default 1000000): reused sessions, one
                             in 100 with a 100 KB output; memory sampled every tenth
                             of the run, at most every 100000 jobs
  --soak-minutes N           stop the soak after the stretch that passes N minutes
                             (default 0: no time limit); the report says so
  --api-bin PATH             the naas-api binary the soak runs (default: next to this
                             binary)";

/// Scenario names `--only` accepts and every run runs.
pub const SCENARIOS: [&str; 7] = ["ingest", "direct", "fresh", "reused", "netmiko", "fanout", "few-devices"];

/// Scenarios that run only when `--only` names them.
pub const OPT_IN: [&str; 1] = ["soak"];

#[derive(Debug, Clone)]
pub struct Args {
    pub smoke: bool,
    pub latencies_ms: Vec<u64>,
    pub concurrency: usize,
    pub devices: usize,
    pub jobs: usize,
    pub netmiko_jobs: usize,
    pub ingest_requests: usize,
    pub ingest_concurrency: Vec<usize>,
    pub fanout_jobs: usize,
    pub fanout_devices: usize,
    pub fanout_concurrency: usize,
    pub soak_jobs: usize,
    pub soak_minutes: u64,
    pub out: PathBuf,
    pub worker_bin: PathBuf,
    pub api_bin: PathBuf,
    pub python: PathBuf,
    pub only: Vec<String>,
    pub redis_appendfsync: String,
}

/// The workspace root (the bench runs from a source checkout).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ has a parent").to_path_buf()
}

impl Args {
    fn full() -> Self {
        let beside = |name: &str| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
                .unwrap_or_else(|| PathBuf::from(name))
        };
        Self {
            smoke: false,
            latencies_ms: vec![0, 20],
            concurrency: 32,
            devices: 64,
            jobs: 2000,
            netmiko_jobs: 300,
            ingest_requests: 5000,
            ingest_concurrency: vec![4, 16, 64],
            fanout_jobs: 10_000,
            fanout_devices: 1000,
            fanout_concurrency: 256,
            soak_jobs: 1_000_000,
            soak_minutes: 0,
            out: workspace_root().join("bench/results"),
            worker_bin: beside("naas-worker"),
            api_bin: beside("naas-api"),
            python: workspace_root().join(".tools/venv/bin/python"),
            only: SCENARIOS.map(str::to_owned).to_vec(),
            redis_appendfsync: "everysec".into(),
        }
    }

    fn smoke() -> Self {
        Self {
            smoke: true,
            latencies_ms: vec![0],
            concurrency: 4,
            devices: 8,
            jobs: 40,
            netmiko_jobs: 8,
            ingest_requests: 200,
            ingest_concurrency: vec![4],
            fanout_jobs: 200,
            fanout_devices: 50,
            fanout_concurrency: 32,
            soak_jobs: 2000,
            out: workspace_root().join("target/bench-smoke"),
            ..Self::full()
        }
    }

    /// Parses the arguments (without the program name); `Ok(None)` means help was asked for.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> anyhow::Result<Option<Self>> {
        let args: Vec<String> = args.into_iter().collect();
        if args.iter().any(|a| a == "-h" || a == "--help") {
            return Ok(None);
        }
        let mut parsed = if args.iter().any(|a| a == "--smoke") { Self::smoke() } else { Self::full() };
        let mut iter = args.into_iter();
        while let Some(arg) = iter.next() {
            if arg == "--smoke" {
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = || match inline.clone() {
                Some(v) => Ok(v),
                None => iter.next().with_context(|| format!("{name} needs a value")),
            };
            match name.as_str() {
                "--latency-ms" => parsed.latencies_ms = list(&name, &value()?)?,
                "--concurrency" => parsed.concurrency = number(&name, &value()?)?,
                "--devices" => parsed.devices = number(&name, &value()?)?,
                "--jobs" => parsed.jobs = number(&name, &value()?)?,
                "--netmiko-jobs" => parsed.netmiko_jobs = number(&name, &value()?)?,
                "--ingest-requests" => parsed.ingest_requests = number(&name, &value()?)?,
                "--ingest-concurrency" => parsed.ingest_concurrency = list(&name, &value()?)?,
                "--fanout-jobs" => parsed.fanout_jobs = number(&name, &value()?)?,
                "--fanout-devices" => parsed.fanout_devices = number(&name, &value()?)?,
                "--fanout-concurrency" => parsed.fanout_concurrency = number(&name, &value()?)?,
                "--soak-jobs" => parsed.soak_jobs = number(&name, &value()?)?,
                "--soak-minutes" => parsed.soak_minutes = number(&name, &value()?)?,
                "--out" => parsed.out = PathBuf::from(value()?),
                "--worker-bin" => parsed.worker_bin = PathBuf::from(value()?),
                "--api-bin" => parsed.api_bin = PathBuf::from(value()?),
                "--python" => parsed.python = PathBuf::from(value()?),
                "--redis-appendfsync" => parsed.redis_appendfsync = value()?,
                "--only" => parsed.only = value()?.split(',').map(|s| s.trim().to_owned()).collect(),
                other => bail!("unknown argument {other:?}"),
            }
        }
        parsed.check()?;
        Ok(Some(parsed))
    }

    fn check(&self) -> anyhow::Result<()> {
        let mut problems: Vec<String> = Vec::new();
        if self.latencies_ms.is_empty() {
            problems.push("--latency-ms needs at least one value".into());
        }
        if self.concurrency == 0 || self.devices == 0 || self.jobs == 0 {
            problems.push("--concurrency, --devices and --jobs must be at least 1".into());
        }
        if self.ingest_concurrency.contains(&0) {
            problems.push("--ingest-concurrency values must be at least 1".into());
        }
        if self.fanout_jobs > 0 && (self.fanout_devices == 0 || self.fanout_concurrency == 0) {
            problems.push("--fanout-devices and --fanout-concurrency must be at least 1".into());
        }
        if self.devices.max(self.fanout_devices) > 60_000 {
            problems.push("at most 60000 devices (one loopback port each)".into());
        }
        if let Some(unknown) =
            self.only.iter().find(|s| !SCENARIOS.contains(&s.as_str()) && !OPT_IN.contains(&s.as_str()))
        {
            problems.push(format!("--only: unknown scenario {unknown:?}"));
        }
        if !["everysec", "always", "no"].contains(&self.redis_appendfsync.as_str()) {
            problems.push("--redis-appendfsync: everysec, always or no".into());
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("; "));
        }
        Ok(())
    }

    /// Whether scenario `name` runs (it is selected and its size is not 0).
    pub fn runs(&self, name: &str) -> bool {
        let size = match name {
            "ingest" => self.ingest_requests,
            "netmiko" => self.netmiko_jobs,
            "fanout" => self.fanout_jobs,
            "soak" => self.soak_jobs,
            _ => self.jobs,
        };
        size > 0 && self.only.iter().any(|s| s == name)
    }

    /// Devices the fleet of one latency needs: enough for end-to-end and fan-out.
    pub fn fleet_size(&self) -> usize {
        let few = if self.runs("few-devices") { crate::run::FEW_DEVICES } else { 0 };
        if self.runs("fanout") { self.devices.max(self.fanout_devices).max(few) } else { self.devices.max(few) }
    }
}

fn number<T: std::str::FromStr>(name: &str, text: &str) -> anyhow::Result<T> {
    text.trim().parse().ok().with_context(|| format!("{name}: {text:?} is not a number"))
}

fn list<T: std::str::FromStr>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    text.split(',').filter(|s| !s.trim().is_empty()).map(|s| number(name, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Option<Args>> {
        Args::parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn defaults_and_overrides() {
        let full = parse(&[]).unwrap().unwrap();
        assert_eq!((full.latencies_ms.as_slice(), full.concurrency, full.fanout_jobs), (&[0, 20][..], 32, 10_000));
        let smoke = parse(&["--jobs", "7", "--smoke", "--latency-ms=5,10"]).unwrap().unwrap();
        assert!(smoke.smoke);
        assert_eq!((smoke.jobs, smoke.latencies_ms.as_slice(), smoke.concurrency), (7, &[5, 10][..], 4));
        assert!(parse(&["--help"]).unwrap().is_none());
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse(&["--jobs", "x"]).is_err());
        assert!(parse(&["--jobs"]).is_err());
        assert!(parse(&["--concurrency", "0"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--only", "ingest,nope"]).is_err());
        let only = parse(&["--only", "fresh", "--netmiko-jobs", "0"]).unwrap().unwrap();
        assert!(only.runs("fresh") && !only.runs("netmiko") && !only.runs("ingest"));
    }

    #[test]
    fn the_soak_runs_only_when_asked_for() {
        assert!(!parse(&[]).unwrap().unwrap().runs("soak"));
        assert!(!parse(&["--smoke"]).unwrap().unwrap().runs("soak"));
        let soak = parse(&["--only", "soak", "--soak-jobs", "2000"]).unwrap().unwrap();
        assert!(soak.runs("soak") && !soak.runs("reused"));
        assert_eq!(soak.soak_jobs, 2000);
        assert_eq!(parse(&["--only", "soak"]).unwrap().unwrap().soak_jobs, 1_000_000);
    }
}
