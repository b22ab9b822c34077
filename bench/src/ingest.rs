//! Scenario 1, ingest: authenticated submissions through the API as fast as `concurrency`
//! callers can make them, each answered only after JetStream acknowledged the job. No
//! worker runs, so this is the API, Redis and JetStream alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Barrier;
use tokio::time::Instant;

use crate::client;
use crate::stats::Sample;

/// Closed loop: each caller submits, waits for the 202, submits again, until `requests`
/// submissions were made in all. Every caller makes one untimed submission first (its
/// TLS connection), then all start together.
pub async fn run(api_url: &str, devices: &[SocketAddr], concurrency: usize, requests: usize) -> Sample {
    let next = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let mut tasks = Vec::new();
    for caller in 0..concurrency {
        let (next, barrier, url, devices) = (next.clone(), barrier.clone(), api_url.to_owned(), devices.to_vec());
        tasks.push(tokio::spawn(async move {
            let http = client::http();
            let mut sample = Sample::default();
            if let Err(error) = client::submit(&http, &url, devices[caller % devices.len()]).await {
                sample.fail(format!("warm-up: {error}"));
            }
            barrier.wait().await;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let started = Instant::now();
                match client::submit(&http, &url, devices[n % devices.len()]).await {
                    Ok(_) => sample.latencies.push(started.elapsed()),
                    Err(error) => sample.fail(error),
                }
            }
            sample
        }));
    }
    Sample::gather(&barrier, tasks).await
}
