//! Sliding-window rate limits on submissions, per caller and per caller+device, kept in
//! Redis so every API replica shares them. One Lua script checks both windows and records
//! the request only if both have room, so a refused request costs nothing. Both windows
//! carry the caller as hash tag, so on a Redis Cluster the script runs on one node and
//! callers spread over the nodes.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use naas_shared::redis_conn::RedisConn;
use naas_shared::{keys, scripts};

/// The verdict for one submission, with what the headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Unix milliseconds when the window next frees a slot.
    pub reset_ms: i64,
    /// Milliseconds until then.
    pub reset_in_ms: i64,
}

impl Verdict {
    pub fn headers(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", self.remaining.to_string());
        set("x-ratelimit-reset", (self.reset_ms.div_euclid(1000) + 1).to_string());
    }

    /// Seconds until a retry can succeed (at least 1).
    pub fn retry_after(&self) -> u64 {
        (self.reset_in_ms.max(0) as u64).div_ceil(1000).max(1)
    }
}

pub struct RateLimiter {
    redis: RedisConn,
    prefix: String,
    window: Duration,
    per_caller: u64,
    per_caller_device: u64,
}

impl RateLimiter {
    pub fn new(redis: RedisConn, prefix: &str, window: Duration, per_caller: u64, per_caller_device: u64) -> Self {
        Self { redis, prefix: prefix.to_owned(), window, per_caller, per_caller_device }
    }

    pub async fn check(&self, owner: &str, host: &str) -> redis::RedisResult<Verdict> {
        let mut redis = self.redis.clone();
        let member = uuid::Uuid::new_v4().simple().to_string();
        let (allowed, caller_left, device_left, reset, reset_in): (i64, i64, i64, i64, i64) = scripts::RATE_LIMIT_CHECK
            .key(keys::rate_limit_caller(&self.prefix, owner))
            .key(keys::rate_limit_caller_device(&self.prefix, owner, host))
            .arg(self.window.as_millis() as u64)
            .arg(self.per_caller)
            .arg(self.per_caller_device)
            .arg(member)
            .invoke_async(&mut redis)
            .await?;
        Ok(Verdict {
            allowed: allowed == 1,
            limit: self.per_caller,
            remaining: caller_left.min(device_left).max(0) as u64,
            reset_ms: reset,
            reset_in_ms: reset_in,
        })
    }
}
