//! One cancellation token per process, fired by SIGINT or SIGTERM.
//!
//! The token is created in `main` and passed explicitly to everything that must stop;
//! there is no global. In-flight work is tracked on a `TaskTracker` by each service and
//! drained with [`drain`] so the process can say whether it stopped gracefully.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A token that is cancelled on the first SIGINT or SIGTERM.
pub fn signal_token() -> CancellationToken {
    let token = CancellationToken::new();
    let fire = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        fire.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM; only SIGINT will stop the process");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Whether in-flight work finished inside the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    Graceful,
    TimedOut,
}

/// Closes the tracker and waits up to `grace` for its tasks; logs the outcome once.
pub async fn drain(tracker: &TaskTracker, grace: Duration, what: &str) -> Drain {
    tracker.close();
    let in_flight = tracker.len();
    match tokio::time::timeout(grace, tracker.wait()).await {
        Ok(()) => {
            tracing::info!(in_flight, what, "drained gracefully");
            Drain::Graceful
        }
        Err(_) => {
            tracing::warn!(
                remaining = tracker.len(),
                grace_ms = grace.as_millis() as u64,
                what,
                "grace period ended with work still in flight"
            );
            Drain::TimedOut
        }
    }
}
