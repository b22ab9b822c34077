//! What one measured run produced, and the numbers the report derives from it.

use std::time::Duration;

/// Latencies of the operations that succeeded, the wall time of the whole run, and how
/// many operations failed (with the first failure, for the notes).
#[derive(Debug, Default)]
pub struct Sample {
    pub latencies: Vec<Duration>,
    pub wall: Duration,
    pub errors: usize,
    pub first_error: Option<String>,
}

impl Sample {
    /// Releases the callers waiting on `start` together and merges what they measured;
    /// the wall time runs from the release to the last caller's end.
    pub async fn gather(start: &tokio::sync::Barrier, callers: Vec<tokio::task::JoinHandle<Sample>>) -> Sample {
        start.wait().await;
        let started = tokio::time::Instant::now();
        let mut total = Sample::default();
        for caller in callers {
            match caller.await {
                Ok(sample) => total.merge(sample),
                Err(error) => total.fail(format!("caller task: {error}")),
            }
        }
        total.wall = started.elapsed();
        total
    }

    /// Successful operations per second of wall time.
    pub fn per_second(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 { self.latencies.len() as f64 / secs } else { 0.0 }
    }

    /// The `p`-th percentile (0–100) in milliseconds, nearest-rank; 0 without data.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies, p)
    }

    pub fn fail(&mut self, error: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }

    /// Adds another sample's operations (same run, measured by a different task).
    pub fn merge(&mut self, other: Sample) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

pub fn percentile_ms(latencies: &[Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let latencies: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&latencies, 50.0), 50.0);
        assert_eq!(percentile_ms(&latencies, 99.0), 99.0);
        assert_eq!(percentile_ms(&latencies, 100.0), 100.0);
        assert_eq!(percentile_ms(&[Duration::from_millis(7)], 99.0), 7.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    #[test]
    fn throughput_counts_successes_only() {
        let mut sample = Sample {
            latencies: vec![Duration::from_millis(1); 10],
            wall: Duration::from_secs(2),
            ..Default::default()
        };
        sample.fail("refused".into());
        assert_eq!(sample.per_second(), 5.0);
        assert_eq!(sample.first_error.as_deref(), Some("refused"));
    }
}
