//! Refusing submissions while the job store is nearly full.
//!
//! Redis holds every job record for the result TTL. Run with `maxmemory` and the
//! `noeviction` policy (evicting a lease or a record would break the guarantees), it
//! refuses writes once full, and then the jobs already accepted could not start or settle
//! either. So the API stops taking new jobs a little before: once `used_memory` reaches
//! `redis.admission_max_memory_percent` of `maxmemory`, submissions get 503 `STORE_FULL`
//! (with `Retry-After`) and the rest is left to the jobs in flight. A write Redis itself
//! refuses for lack of memory is answered the same way (`ApiError::store`).
//!
//! The decision is [`full`]; [`Admission`] asks Redis at most every [`RECHECK`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use naas_shared::store::{JobStore, Memory};

use crate::error::ApiError;

/// How long one look at Redis's memory is trusted.
pub const RECHECK: Duration = Duration::from_millis(500);

/// Whether `memory` leaves no room for new jobs at `percent` of `maxmemory` (no
/// `maxmemory`: never; 100: left to Redis's own refusal).
pub fn full(memory: Memory, percent: u8) -> bool {
    memory.max > 0 && percent < 100 && u128::from(memory.used) * 100 >= u128::from(memory.max) * u128::from(percent)
}

pub struct Admission {
    store: JobStore,
    percent: u8,
    /// When Redis was last asked, and whether it was full then.
    last: Mutex<Option<(Instant, bool)>>,
}

impl Admission {
    pub fn new(store: JobStore, percent: u8) -> Self {
        Self { store, percent, last: Mutex::new(None) }
    }

    /// `Err(StoreFull)` while the store has no room for another job. A Redis that cannot
    /// be asked is not refused here: the job's own writes then fail and say why.
    pub async fn check(&self) -> Result<(), ApiError> {
        if self.percent >= 100 {
            return Ok(());
        }
        let cached = *self.last.lock().expect("admission lock");
        let is_full = match cached {
            Some((at, is_full)) if at.elapsed() < RECHECK => is_full,
            _ => {
                let is_full = match self.store.memory().await {
                    Ok(Some(memory)) => full(memory, self.percent),
                    Ok(None) => false,
                    Err(error) => {
                        tracing::debug!(%error, "cannot read Redis's memory");
                        false
                    }
                };
                *self.last.lock().expect("admission lock") = Some((Instant::now(), is_full));
                is_full
            }
        };
        if is_full { Err(ApiError::StoreFull) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_full_at_the_configured_share_of_maxmemory() {
        let mib = 1 << 20;
        for (used, max, percent, expected) in [
            (89 * mib, 100 * mib, 90, false),
            (90 * mib, 100 * mib, 90, true),
            (120 * mib, 100 * mib, 90, true),
            (10 * mib, 0, 90, false),           // no maxmemory: no bound to check
            (100 * mib, 100 * mib, 100, false), // 100: Redis's own refusal decides
            (u64::MAX, u64::MAX, 99, true),
        ] {
            assert_eq!(full(Memory { used, max }, percent), expected, "{used} of {max} at {percent}%");
        }
    }
}
