//! End-to-end load through naas: submit over HTTPS, wait for the job's result on NATS.
//! Latency is submission start → result received, as a caller sees it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Barrier;
use tokio::time::Instant;

use crate::client;
use crate::results::{Arrival, Results};
use crate::stats::Sample;

/// How long one job may take before it counts as failed.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// Closed loop (scenarios 2 and 3): `concurrency` callers each keep one job in flight,
/// job `n` on device `n mod devices`, until `jobs` jobs ran.
pub async fn closed_loop(
    api_url: &str,
    results: &Results,
    devices: &[SocketAddr],
    concurrency: usize,
    jobs: usize,
) -> Sample {
    closed_loop_over(api_url, results, devices, concurrency, 0..jobs, |_| client::COMMAND).await
}

/// The closed loop over jobs numbered `jobs` (the soak runs its jobs in stretches between
/// samples), job `n` running `command(n)` on device `n mod devices`.
pub async fn closed_loop_over(
    api_url: &str,
    results: &Results,
    devices: &[SocketAddr],
    concurrency: usize,
    jobs: std::ops::Range<usize>,
    command: fn(usize) -> &'static str,
) -> Sample {
    let next = Arc::new(AtomicUsize::new(jobs.start));
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (next, barrier, url, devices, results) =
            (next.clone(), barrier.clone(), api_url.to_owned(), devices.to_vec(), results.clone());
        let end = jobs.end;
        tasks.push(tokio::spawn(async move {
            let http = client::http();
            let mut sample = Sample::default();
            barrier.wait().await;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= end {
                    break;
                }
                let started = Instant::now();
                let device = devices[n % devices.len()];
                let outcome = match client::submit_command(&http, &url, device, command(n)).await {
                    Ok(job_id) => results.wait(&job_id, JOB_TIMEOUT).await.map_err(|e| e.to_string()),
                    Err(error) => Err(error),
                };
                record(&mut sample, started, outcome);
            }
            sample
        }));
    }
    Sample::gather(&barrier, tasks).await
}

/// Open loop (scenario 4): `submitters` callers submit all `jobs` as fast as the API takes
/// them, then every result is awaited. Wall time runs to the last result.
pub async fn open_loop(
    api_url: &str,
    results: &Results,
    devices: &[SocketAddr],
    submitters: usize,
    jobs: usize,
) -> Sample {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..submitters {
        let (next, url, devices) = (next.clone(), api_url.to_owned(), devices.to_vec());
        tasks.push(tokio::spawn(async move {
            let http = client::http();
            let mut submitted = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= jobs {
                    break;
                }
                let at = Instant::now();
                submitted.push((at, client::submit(&http, &url, devices[n % devices.len()]).await));
            }
            submitted
        }));
    }
    let mut total = Sample::default();
    let mut last = started;
    for task in tasks {
        let Ok(submitted) = task.await else {
            total.fail("submitter task failed".into());
            continue;
        };
        for (at, submission) in submitted {
            let outcome = match submission {
                Ok(job_id) => results.wait(&job_id, JOB_TIMEOUT).await.map_err(|e| e.to_string()),
                Err(error) => Err(error),
            };
            if let Ok(arrival) = &outcome {
                last = last.max(arrival.at);
            }
            record(&mut total, at, outcome);
        }
    }
    total.wall = last - started;
    total
}

fn record(sample: &mut Sample, started: Instant, outcome: Result<Arrival, String>) {
    match outcome {
        Ok(arrival) if arrival.finished => sample.latencies.push(arrival.at - started),
        Ok(arrival) => sample.fail(arrival.error.unwrap_or_else(|| "job failed".into())),
        Err(error) => sample.fail(error),
    }
}
