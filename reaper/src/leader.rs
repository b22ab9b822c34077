//! One reaper acts per interval: the holder of a leader lease in Redis. Any number of
//! replicas may run; when the leader dies its lease expires and another takes over.

use std::time::Duration;

use naas_shared::redis_conn::RedisConn;
use naas_shared::{keys, scripts};

pub struct Leadership {
    redis: RedisConn,
    key: String,
    id: String,
    lease: Duration,
}

impl Leadership {
    pub fn new(redis: RedisConn, prefix: &str, id: String, lease: Duration) -> Self {
        Self { redis, key: keys::reaper_leader(prefix), id, lease }
    }

    /// Takes or renews the lease; false if another reaper holds it.
    pub async fn lead(&self) -> redis::RedisResult<bool> {
        let mut redis = self.redis.clone();
        let led: i64 = scripts::REAPER_LEAD
            .key(&self.key)
            .arg(&self.id)
            .arg(self.lease.as_millis() as u64)
            .invoke_async(&mut redis)
            .await?;
        Ok(led == 1)
    }
}
