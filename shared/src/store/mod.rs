//! The store: all of naas's state in Redis, and the only code that talks to Redis.
//!
//! - [`redis_conn`]: the one connection (a server, a cluster or Sentinel's primary), which
//!   counts its [`round_trips`] per operation;
//! - [`keys`]: every key, spelled once; [`scripts`]: every Lua script;
//! - one repository per group of state: [`JobStore`] (job records, leases, queue
//!   deadlines, listings, spread over buckets), [`DeviceStore`] (device slots, circuit breakers, host keys),
//!   [`CallerStore`] (rate-limit windows, idempotency keys), [`Lockouts`]
//!   (authentication failures of API users and devices), [`ApiKeyStore`] and
//!   [`LeaderLease`] (the reaper's).
//!
//! Every repository method answers `Result<_, StoreError>`; what a failure means to a
//! caller (an HTTP status, a retry) is decided by the services, once.

pub mod api_keys;
pub mod callers;
pub mod devices;
pub mod jobs;
pub mod keys;
pub mod leader;
pub mod lockout;
pub mod redis_conn;
pub mod round_trips;
pub mod scripts;

pub use api_keys::ApiKeyStore;
pub use callers::CallerStore;
pub use devices::DeviceStore;
pub use jobs::{Expired, FromState, JobStore, Lease, ListCursor, unix_ms};
pub use leader::LeaderLease;
pub use lockout::Lockouts;
pub use redis_conn::{Link, Memory, RedisConn, connect, out_of_memory};
pub use round_trips::{Op, RoundTrips};

use crate::seal::SealError;

/// Every way the store can fail.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis cannot be reached, or gave an answer that cannot be used.
    #[error("redis is unavailable: {0}")]
    Unavailable(redis::RedisError),
    /// Redis refused the write for lack of memory (`maxmemory` with `noeviction`).
    #[error("redis is out of memory: {0}")]
    Full(redis::RedisError),
    /// A stored record cannot be opened (sealed with a key no longer in the ring, or damaged).
    #[error("stored record cannot be opened: {0}")]
    Sealed(#[from] SealError),
    /// A stored record opened but does not parse.
    #[error("stored record is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
}

impl StoreError {
    /// Whether the record asked for exists but cannot be read ([`Self::Sealed`],
    /// [`Self::Malformed`]): no caller can be shown it, so it counts as absent.
    pub fn is_unreadable(&self) -> bool {
        matches!(self, Self::Sealed(_) | Self::Malformed(_))
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(error: redis::RedisError) -> Self {
        if out_of_memory(&error) { Self::Full(error) } else { Self::Unavailable(error) }
    }
}
