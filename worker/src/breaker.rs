//! The per-device circuit breaker, shared by the fleet through Redis.
//!
//! Closed: jobs run, consecutive connection failures are counted. At `threshold` the
//! circuit opens: the device's jobs fail at once with `CIRCUIT_OPEN` for `timeout`. Then the
//! next job is let through as the one trial (half-open; others still fail fast): its
//! success closes the circuit, its connection failure opens it for another `timeout`. Only
//! failures to reach the device count: a refused login or a rejected config line proves the
//! device is there.
//!
//! The circuit is read when a job is admitted to its device and written when the job
//! releases it, each within the device's one script ([`crate::device_access`]).

use std::time::Duration;

use naas_shared::config::CircuitBreakerSettings;
use naas_shared::error::ErrorCode;
pub use naas_shared::store::devices::Change;
use naas_shared::store::devices::Circuit;
use naas_shared::store::unix_ms;

pub struct Breaker {
    threshold: u32,
    cool_down: Duration,
    enabled: bool,
}

/// The failures that count against a device: it could not be reached at all.
pub fn counts(code: Option<ErrorCode>) -> bool {
    matches!(code, Some(ErrorCode::ConnectionTimeout | ErrorCode::ConnectionRefused | ErrorCode::SshNegotiation))
}

impl Breaker {
    pub fn new(settings: &CircuitBreakerSettings) -> Self {
        Self {
            threshold: settings.threshold,
            cool_down: Duration::from_secs(settings.timeout_secs),
            enabled: settings.enabled,
        }
    }

    /// The circuit as of now, or `None` when the breaker is off.
    pub fn circuit(&self) -> Option<Circuit> {
        self.enabled.then(|| Circuit {
            now_ms: unix_ms(naas_shared::now()),
            cool_down: self.cool_down,
            threshold: self.threshold,
        })
    }

    /// What a job that tried the device (ending with `code`) tells its circuit: whether it
    /// could not reach the device; `None` when it does not count (breaker off).
    pub fn report(&self, code: Option<ErrorCode>) -> Option<(Circuit, bool)> {
        self.circuit().map(|circuit| (circuit, counts(code)))
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

    #[test]
    fn a_disabled_breaker_reports_nothing() {
        let settings = CircuitBreakerSettings { enabled: false, threshold: 3, timeout_secs: 30 };
        assert!(Breaker::new(&settings).report(Some(ErrorCode::ConnectionRefused)).is_none());
        let on = Breaker::new(&CircuitBreakerSettings { enabled: true, ..settings });
        assert!(on.report(Some(ErrorCode::ConnectionRefused)).is_some_and(|(_, unreachable)| unreachable));
    }
}
