//! One reaper acts per interval: the holder of a leader lease in Redis. Any number of
//! replicas may run; when the leader dies its lease expires and another takes over.

use std::time::Duration;

use naas_shared::store::{LeaderLease, RedisConn, StoreError};

pub struct Leadership {
    lease: LeaderLease,
    id: String,
    duration: Duration,
}

impl Leadership {
    pub fn new(redis: RedisConn, prefix: &str, id: String, lease: Duration) -> Self {
        Self { lease: LeaderLease::new(redis, prefix), id, duration: lease }
    }

    /// Takes or renews the lease; false if another reaper holds it.
    pub async fn lead(&self) -> Result<bool, StoreError> {
        self.lease.take(&self.id, self.duration).await
    }
}
