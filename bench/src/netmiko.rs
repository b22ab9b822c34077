//! Scenario 5, the baseline: `bench/netmiko_baseline.py` run with the project's Python
//! (netmiko from PyPI), against the same devices, its timings read back as JSON.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::args::workspace_root;
use crate::client::COMMAND;
use crate::stats::Sample;
use crate::system::{PASSWORD, USERNAME};

#[derive(Deserialize)]
struct Report {
    netmiko: String,
    wall_seconds: f64,
    jobs: Vec<Job>,
}

#[derive(Deserialize)]
struct Job {
    ok: bool,
    seconds: f64,
    error: Option<String>,
}

/// Runs `jobs` jobs with a thread pool of `concurrency`; returns the sample and netmiko's
/// version.
pub async fn run(
    python: &Path,
    devices: &[SocketAddr],
    concurrency: usize,
    jobs: usize,
) -> anyhow::Result<(Sample, String)> {
    let script = workspace_root().join("bench/netmiko_baseline.py");
    let targets: Vec<(String, u16)> = devices.iter().map(|d| (d.ip().to_string(), d.port())).collect();
    let spec = serde_json::json!({
        "targets": targets, "jobs": jobs, "concurrency": concurrency,
        "username": USERNAME, "password": PASSWORD, "secret": PASSWORD, "command": COMMAND,
    });
    let mut child = tokio::process::Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (run scripts/bootstrap.sh for netmiko)", python.display()))?;
    let mut stdin = child.stdin.take().context("piped stdin")?;
    stdin.write_all(spec.to_string().as_bytes()).await?;
    drop(stdin);
    let output = child.wait_with_output().await?;
    if !output.status.success() {
        bail!("the netmiko baseline failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    let report: Report = serde_json::from_slice(&output.stdout).context("reading the netmiko baseline's report")?;
    let mut sample = Sample { wall: Duration::from_secs_f64(report.wall_seconds), ..Default::default() };
    for job in report.jobs {
        if job.ok {
            sample.latencies.push(Duration::from_secs_f64(job.seconds));
        } else {
            sample.fail(job.error.unwrap_or_else(|| "failed".into()));
        }
    }
    Ok((sample, report.netmiko))
}
