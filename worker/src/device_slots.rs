//! Fleet-wide limits on sessions per device, kept in Redis so every worker sees them.
//!
//! Each device has a sorted set of holders scored by lease expiry. A read-only job takes a
//! shared slot (at most `limit` at once); a config job takes the device exclusively. A
//! holder whose worker died stops counting when its lease expires. The check-and-take is
//! one Lua script, so two workers can never both take the last slot.

use std::time::Duration;

use naas_shared::redis_conn::RedisConn;
use naas_shared::{keys, scripts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Shared,
    Exclusive,
}

pub struct DeviceSlots {
    redis: RedisConn,
    prefix: String,
    limit: usize,
}

impl DeviceSlots {
    pub fn new(redis: RedisConn, prefix: &str, limit: usize) -> Self {
        Self { redis, prefix: prefix.to_owned(), limit }
    }

    fn key(&self, host: &str, port: u16) -> String {
        keys::device_slots(&self.prefix, host, port)
    }

    fn member(job: &str, access: Access) -> String {
        match access {
            Access::Shared => format!("s:{job}"),
            Access::Exclusive => format!("x:{job}"),
        }
    }

    /// Takes (or renews) a slot for `job` until `lease` from now; false if the device is busy.
    pub async fn try_acquire(
        &self,
        host: &str,
        port: u16,
        job: &str,
        access: Access,
        lease: Duration,
    ) -> redis::RedisResult<bool> {
        let mut redis = self.redis.clone();
        let taken: i64 = scripts::DEVICE_SLOT_ACQUIRE
            .key(self.key(host, port))
            .arg(Self::member(job, access))
            .arg(self.limit)
            .arg(if access == Access::Exclusive { "1" } else { "0" })
            .arg(lease.as_millis() as u64)
            .invoke_async(&mut redis)
            .await?;
        Ok(taken == 1)
    }

    pub async fn release(&self, host: &str, port: u16, job: &str, access: Access) {
        let mut redis = self.redis.clone();
        let removed: redis::RedisResult<i64> =
            redis::cmd("ZREM").arg(self.key(host, port)).arg(Self::member(job, access)).query_async(&mut redis).await;
        if let Err(error) = removed {
            tracing::warn!(%error, "could not release a device slot; its lease will expire");
        }
    }
}
