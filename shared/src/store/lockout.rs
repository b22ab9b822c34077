//! The lockout repository: authentication failures, kept in Redis for every process, per
//! API user (bad tokens or admin secrets) and per device (the device rejected the
//! credentials a job carried; stopping there keeps a typo from locking the account out
//! on the device's own AAA).

use std::time::Duration;

use super::redis_conn::RedisConn;
use super::round_trips::Op;
use super::{StoreError, keys, scripts};

/// One kind of lockout (`user` or `device`) with its thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub failures: u64,
    pub window: Duration,
    pub lock: Duration,
}

#[derive(Clone)]
pub struct Lockouts {
    redis: RedisConn,
    prefix: String,
}

impl Lockouts {
    pub fn new(redis: RedisConn, prefix: &str) -> Self {
        Self { redis, prefix: prefix.to_owned() }
    }

    /// The failure log and the lock of one subject, hash-tagged alike so the script that
    /// touches both runs on one node of a Redis Cluster (subjects spread over the nodes).
    fn keys(&self, kind: &str, subject: &str) -> (String, String) {
        (keys::lockout_failures(&self.prefix, kind, subject), keys::lockout(&self.prefix, kind, subject))
    }

    /// Seconds the subject stays locked, if it is.
    pub async fn locked_for(&self, kind: &str, subject: &str) -> Result<Option<u64>, StoreError> {
        let mut redis = self.redis.op(Op::LockoutCheck);
        let ttl_ms: i64 = redis::cmd("PTTL").arg(self.keys(kind, subject).1).query_async(&mut redis).await?;
        Ok((ttl_ms > 0).then(|| (ttl_ms as u64).div_ceil(1000)))
    }

    /// Records a failure; `Some(count)` when it locked the subject.
    pub async fn failed(&self, kind: &str, subject: &str, policy: Policy) -> Result<Option<u64>, StoreError> {
        let mut redis = self.redis.op(Op::LockoutFail);
        let (log, lock) = self.keys(kind, subject);
        let count: u64 = scripts::LOCKOUT_FAIL
            .key(log)
            .key(lock)
            .arg(policy.window.as_millis() as u64)
            .arg(policy.failures)
            .arg(policy.lock.as_millis() as u64)
            .arg(uuid::Uuid::new_v4().simple().to_string())
            .invoke_async(&mut redis)
            .await?;
        Ok((count > 0).then_some(count))
    }

    /// Forgets earlier failures after a success.
    pub async fn succeeded(&self, kind: &str, subject: &str) -> Result<(), StoreError> {
        let mut redis = self.redis.op(Op::LockoutClear);
        let _: () = redis::cmd("DEL").arg(self.keys(kind, subject).0).query_async(&mut redis).await?;
        Ok(())
    }
}
