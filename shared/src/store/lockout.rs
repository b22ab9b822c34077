//! The lockout repository: authentication failures, kept in Redis for every process, per
//! API user (bad tokens or admin secrets) and per device (the device rejected the
//! credentials a job carried; stopping there keeps a typo from locking the account out
//! on the device's own AAA).
//!
//! A device's failures are written by the worker's release script
//! ([`super::DeviceStore::release`]), with the rest of what a job leaves on its device;
//! here they are only read.

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

/// Who a lockout is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// An API user (`basic:<user>` for the bootstrap administrator).
    User(&'a str),
    /// A device, by host and port.
    Device(&'a str, u16),
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
    fn keys(&self, subject: Subject) -> (String, String) {
        match subject {
            Subject::User(user) => {
                (keys::user_login_failures(&self.prefix, user), keys::user_lockout(&self.prefix, user))
            }
            Subject::Device(host, port) => {
                (keys::device_login_failures(&self.prefix, host, port), keys::device_lockout(&self.prefix, host, port))
            }
        }
    }

    /// Seconds the subject stays locked, if it is.
    pub async fn locked_for(&self, subject: Subject<'_>) -> Result<Option<u64>, StoreError> {
        let mut redis = self.redis.op(Op::LockoutCheck);
        let ttl_ms: i64 = redis::cmd("PTTL").arg(self.keys(subject).1).query_async(&mut redis).await?;
        Ok((ttl_ms > 0).then(|| (ttl_ms as u64).div_ceil(1000)))
    }

    /// Records a failure; `Some(count)` when it locked the subject.
    pub async fn failed(&self, subject: Subject<'_>, policy: Policy) -> Result<Option<u64>, StoreError> {
        let mut redis = self.redis.op(Op::LockoutFail);
        let (log, lock) = self.keys(subject);
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
}
