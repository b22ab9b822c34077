//! Waiting on state another process owns (a child process, the simulator's log, a
//! stream's length) where no event announces the change: poll at a short interval, bounded.

use std::future::Future;
use std::time::Duration;

/// Polls `check` every 20 ms until it returns `Some`, for at most `limit`; panics naming
/// `what` if it never does.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < give_up, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
