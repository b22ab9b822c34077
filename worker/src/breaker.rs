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
pub use naas_shared::store::devices::{Admission, Change};
use naas_shared::store::{DeviceStore, unix_ms};

pub struct Breaker {
    devices: DeviceStore,
    threshold: u32,
    cool_down: Duration,
    enabled: bool,
}

/// The failures that count against a device: it could not be reached at all.
pub fn counts(code: Option<ErrorCode>) -> bool {
    matches!(code, Some(ErrorCode::ConnectionTimeout | ErrorCode::ConnectionRefused | ErrorCode::SshNegotiation))
}

impl Breaker {
    pub fn new(devices: DeviceStore, settings: &CircuitBreakerSettings) -> Self {
        Self {
            devices,
            threshold: settings.threshold,
            cool_down: Duration::from_secs(settings.timeout_secs),
            enabled: settings.enabled,
        }
    }

    /// Asks whether a job may try the device now. Redis trouble lets it through: the
    /// breaker protects devices, it must not stop the fleet.
    pub async fn admit(&self, host: &str, port: u16) -> Admission {
        if !self.enabled {
            return Admission::Closed;
        }
        match self.devices.circuit_admit(host, port, unix_ms(naas_shared::now()), self.cool_down).await {
            Ok(admission) => admission,
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
        let now_ms = unix_ms(naas_shared::now());
        match self.devices.circuit_record(host, port, now_ms, self.cool_down, self.threshold, counts(code)).await {
            Ok(change) => change,
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
