//! Code every naas process shares: typed configuration, logging, the shutdown token,
//! the error policy and error codes, domain types that parse on construction, platform
//! definitions, the sealing of credentials and results, the Redis connection (one server
//! or a cluster), every Redis key and Lua script, and the Redis job store.

pub mod config;
pub mod domain;
pub mod error;
pub mod healthcheck;
pub mod job;
pub mod keys;
pub mod lockout;
pub mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod platform;
pub mod redis_conn;
pub mod scripts;
pub mod seal;
pub mod secret;
pub mod service;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod webhook;

/// The current time in UTC; one place so tests of time-dependent cores can inject a clock.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
