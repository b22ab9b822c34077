//! The caller repository: what every API replica shares about its callers: their
//! sliding-window rate limits and the idempotency keys of their submissions. (Their
//! authentication failures are in [`super::lockout`], with the devices'.)
//!
//! A caller's two windows carry the caller as hash tag, so one script checks both on one
//! node of a cluster while callers spread over the nodes.

use std::sync::Arc;
use std::time::Duration;

use super::redis_conn::RedisConn;
use super::round_trips::Op;
use super::{StoreError, keys, scripts};
use crate::domain::JobId;

/// How long an idempotency key names its job.
const IDEMPOTENCY_TTL_SECS: u64 = 24 * 3600;

/// The limits a submission is checked against: `per_caller` in the caller's window, and
/// `per_caller_device` in the window of the caller and one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub window: Duration,
    pub per_caller: u64,
    pub per_caller_device: u64,
}

/// The state of a caller's windows after one submission was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Both windows had room, and the submission was counted in them.
    pub allowed: bool,
    pub caller_left: i64,
    pub device_left: i64,
    /// Unix milliseconds when the windows next free a slot.
    pub reset_ms: i64,
    /// Milliseconds until then (by Redis's clock, the one every replica shares).
    pub reset_in_ms: i64,
    /// The member the submission was counted as (a UUID), for [`CallerStore::uncount`].
    pub member: u128,
}

#[derive(Clone)]
pub struct CallerStore {
    conn: RedisConn,
    prefix: Arc<str>,
}

impl CallerStore {
    pub fn new(conn: RedisConn, prefix: &str) -> Self {
        Self { conn, prefix: prefix.into() }
    }

    /// Checks one submission of `owner` to `host` against both windows and counts it only
    /// if both have room, so a refused request costs nothing.
    pub async fn count_submission(&self, owner: &str, host: &str, limits: RateLimits) -> Result<Windows, StoreError> {
        let mut conn = self.conn.op(Op::CallerRateLimit);
        let member = uuid::Uuid::new_v4();
        let (allowed, caller_left, device_left, reset_ms, reset_in_ms): (i64, i64, i64, i64, i64) =
            scripts::RATE_LIMIT_CHECK
                .key(keys::rate_limit_caller(&self.prefix, owner))
                .key(keys::rate_limit_caller_device(&self.prefix, owner, host))
                .arg(limits.window.as_millis() as u64)
                .arg(limits.per_caller)
                .arg(limits.per_caller_device)
                .arg(member.simple().to_string())
                .invoke_async(&mut conn)
                .await?;
        Ok(Windows { allowed: allowed == 1, caller_left, device_left, reset_ms, reset_in_ms, member: member.as_u128() })
    }

    /// Takes back a submission [`Self::count_submission`] counted (it was refused for
    /// another reason found at the same time).
    pub async fn uncount(&self, owner: &str, host: &str, windows: &Windows) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::CallerRateLimitRefund);
        let member = uuid::Uuid::from_u128(windows.member).simple().to_string();
        let _: () = redis::pipe()
            .atomic()
            .zrem(keys::rate_limit_caller(&self.prefix, owner), &member)
            .ignore()
            .zrem(keys::rate_limit_caller_device(&self.prefix, owner, host), &member)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Claims the idempotency key `hash` (the keyed hash of a caller and their key) for
    /// `job` for 24 h; returns the job that already holds it, if any.
    pub async fn claim_idempotency(&self, hash: &str, job: JobId) -> Result<Option<JobId>, StoreError> {
        let mut conn = self.conn.op(Op::CallerIdempotencyClaim);
        let held: Option<String> = redis::cmd("SET")
            .arg(keys::idempotency(&self.prefix, hash))
            .arg(job.to_string())
            .arg("NX")
            .arg("GET")
            .arg("EX")
            .arg(IDEMPOTENCY_TTL_SECS)
            .query_async(&mut conn)
            .await?;
        Ok(held.and_then(|existing| JobId::parse(&existing).ok()))
    }

    /// Frees an idempotency key claimed for a submission that was not accepted.
    pub async fn release_idempotency(&self, hash: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::CallerIdempotencyRelease);
        let _: () = redis::cmd("DEL").arg(keys::idempotency(&self.prefix, hash)).query_async(&mut conn).await?;
        Ok(())
    }
}
