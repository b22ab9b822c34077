//! The per-device circuit breaker, shared by the fleet through Redis.
//!
//! Closed: jobs run, consecutive connection failures are counted. At `threshold` the
//! circuit opens: the device's jobs fail at once with `CIRCUIT_OPEN` for `timeout`. Then the
//! next job is let through as the one trial (half-open; others still fail fast): its
//! success closes the circuit, its connection failure opens it for another `timeout`. Only
//! failures to reach the device count: a refused login or a rejected config line proves the
//! device is there.

use std::time::Duration;

use naas_shared::config::CircuitBreakerSettings;
use naas_shared::error::ErrorCode;
use naas_shared::redis_conn::RedisConn;
use naas_shared::{keys, scripts};

/// Whether a job may try its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Closed,
    /// The circuit is open: fail fast.
    Open,
    /// The cool-down is over and this job is the trial.
    Trial,
}

/// A change of the circuit's state that deserves an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Opened { failures: u32 },
    Closed,
}

pub struct Breaker {
    redis: RedisConn,
    prefix: String,
    threshold: u32,
    cool_down: Duration,
    enabled: bool,
}

/// The failures that count against a device: it could not be reached at all.
pub fn counts(code: Option<ErrorCode>) -> bool {
    matches!(code, Some(ErrorCode::ConnectionTimeout | ErrorCode::ConnectionRefused | ErrorCode::SshNegotiation))
}

impl Breaker {
    pub fn new(redis: RedisConn, prefix: &str, settings: &CircuitBreakerSettings) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            threshold: settings.threshold,
            cool_down: Duration::from_secs(settings.timeout_secs),
            enabled: settings.enabled,
        }
    }

    fn key(&self, host: &str, port: u16) -> String {
        keys::circuit(&self.prefix, host, port)
    }

    /// Asks whether a job may try the device now. Redis trouble lets it through: the
    /// breaker protects devices, it must not stop the fleet.
    pub async fn admit(&self, host: &str, port: u16) -> Admission {
        if !self.enabled {
            return Admission::Closed;
        }
        let mut redis = self.redis.clone();
        let answer: redis::RedisResult<String> = scripts::CIRCUIT_ADMIT
            .key(self.key(host, port))
            .arg(naas_shared::store::unix_ms(naas_shared::now()))
            .arg(self.cool_down.as_millis() as u64)
            .invoke_async(&mut redis)
            .await;
        match answer.as_deref() {
            Ok("open") => Admission::Open,
            Ok("trial") => Admission::Trial,
            Ok(_) => Admission::Closed,
            Err(error) => {
                tracing::warn!(%error, "cannot read the device's circuit; letting the job through");
                Admission::Closed
            }
        }
    }

    /// Records how a job that tried the device fared.
    pub async fn record(&self, host: &str, port: u16, code: Option<ErrorCode>) -> Option<Change> {
        if !self.enabled || code == Some(ErrorCode::CircuitOpen) {
            return None;
        }
        let mut redis = self.redis.clone();
        let answer: redis::RedisResult<(String, u32)> = scripts::CIRCUIT_RECORD
            .key(self.key(host, port))
            .arg(naas_shared::store::unix_ms(naas_shared::now()))
            .arg(self.cool_down.as_millis() as u64)
            .arg(self.threshold)
            .arg(if counts(code) { "1" } else { "0" })
            .invoke_async(&mut redis)
            .await;
        match answer {
            Ok((change, failures)) if change == "opened" => Some(Change::Opened { failures }),
            Ok((change, _)) if change == "closed" => Some(Change::Closed),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot update the device's circuit");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreachable_devices_count() {
        assert!(counts(Some(ErrorCode::ConnectionRefused)));
        assert!(counts(Some(ErrorCode::ConnectionTimeout)));
        assert!(counts(Some(ErrorCode::SshNegotiation)));
        assert!(!counts(Some(ErrorCode::AuthFailure)));
        assert!(!counts(Some(ErrorCode::ConfigRejected)));
        assert!(!counts(None));
    }
}
