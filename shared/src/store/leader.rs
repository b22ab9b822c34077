//! The reaper's leader lease: one key holding the id of the reaper that acts this
//! interval. Any number of reapers may ask; the one holding the lease renews it, and when
//! it stops renewing the lease expires and another takes it.

use std::time::Duration;

use super::redis_conn::RedisConn;
use super::round_trips::Op;
use super::{StoreError, keys, scripts};

#[derive(Clone)]
pub struct LeaderLease {
    conn: RedisConn,
    key: String,
}

impl LeaderLease {
    pub fn new(conn: RedisConn, prefix: &str) -> Self {
        Self { conn, key: keys::reaper_leader(prefix) }
    }

    /// Takes the lease for `holder` for `lease`, or renews it if `holder` has it; false
    /// if another holds it.
    pub async fn take(&self, holder: &str, lease: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn.op(Op::LeaderTake);
        let led: i64 = scripts::REAPER_LEAD
            .key(&self.key)
            .arg(holder)
            .arg(lease.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(led == 1)
    }
}
