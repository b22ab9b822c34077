//! Code every naas process shares: typed configuration, logging, the shutdown token,
//! the error policy and error codes, domain types that parse on construction, platform
//! definitions, the sealing of credentials and results, and the store: every Redis key
//! and Lua script, the connection, and one repository per group of state (the only code
//! that talks to Redis; `keys`, `scripts`, `redis_conn` and `lockout` are re-exported
//! here from it).

pub mod config;
pub mod domain;
pub mod error;
pub mod healthcheck;
pub mod job;
pub mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod platform;
pub mod seal;
pub mod secret;
pub mod service;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod webhook;

pub use store::{keys, lockout, redis_conn, scripts};

/// The current time in UTC; one place so tests of time-dependent cores can inject a clock.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
