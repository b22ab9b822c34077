//! Sliding-window rate limits on submissions, per caller and per caller+device, kept in
//! Redis ([`CallerStore`]) so every API replica shares them; here, what a verdict says to
//! the caller (the `X-RateLimit-*` headers, `Retry-After`).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use naas_shared::store::callers::{RateLimits, Windows};
use naas_shared::store::{CallerStore, StoreError};

/// The verdict for one submission: the caller's windows as the store counted it, and the
/// limit the headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub limit: u64,
    pub windows: Windows,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.windows.allowed
    }

    /// Submissions left before either window is full.
    pub fn remaining(&self) -> u64 {
        self.windows.caller_left.min(self.windows.device_left).max(0) as u64
    }

    pub fn headers(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", self.remaining().to_string());
        set("x-ratelimit-reset", (self.windows.reset_ms.div_euclid(1000) + 1).to_string());
    }

    /// Seconds until a retry can succeed (at least 1).
    pub fn retry_after(&self) -> u64 {
        (self.windows.reset_in_ms.max(0) as u64).div_ceil(1000).max(1)
    }
}

pub struct RateLimiter {
    callers: CallerStore,
    limits: RateLimits,
}

impl RateLimiter {
    pub fn new(callers: CallerStore, window: Duration, per_caller: u64, per_caller_device: u64) -> Self {
        Self { callers, limits: RateLimits { window, per_caller, per_caller_device } }
    }

    pub async fn check(&self, owner: &str, host: &str) -> Result<Verdict, StoreError> {
        let windows = self.callers.count_submission(owner, host, self.limits).await?;
        Ok(Verdict { limit: self.limits.per_caller, windows })
    }

    /// Takes back a submission `check` counted.
    pub async fn uncount(&self, owner: &str, host: &str, verdict: &Verdict) -> Result<(), StoreError> {
        self.callers.uncount(owner, host, &verdict.windows).await
    }
}
