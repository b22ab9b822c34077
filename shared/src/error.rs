//! The error policy, written once.
//!
//! - Library crates expose `thiserror` enums at their boundaries so callers can match on
//!   what went wrong; binaries and top-level tasks use `anyhow` with `.context(..)`.
//! - A failed *job* is not a Rust error that bubbles up: it is a terminal job state with
//!   one contract [`ErrorCode`], a human message that never contains credentials or device
//!   output, and whether retrying could help. The worker decides the code where the failure
//!   happens and nowhere else.
//! - Exactly one place turns errors into HTTP responses: `naas_api::error::ApiError`.
//! - A failure is logged once, where it is handled, not at every layer it passes through.

use serde::{Deserialize, Serialize};

/// Why a job failed, as the contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ConnectionTimeout,
    ConnectionRefused,
    HostKeyMismatch,
    SshNegotiation,
    AuthFailure,
    PromptNotDetected,
    /// `platform: "autodetect"`: no platform definition recognised the device.
    PlatformNotDetected,
    ReadTimeout,
    ConfigRejected,
    OutputTooLarge,
    CircuitOpen,
    DeviceLockedOut,
    Orphaned,
    MaxDeliveries,
    Internal,
}

impl ErrorCode {
    /// Whether running the same job again might succeed without anyone changing anything.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Self::ConnectionTimeout
                | Self::ConnectionRefused
                | Self::SshNegotiation
                | Self::PromptNotDetected
                | Self::ReadTimeout
                | Self::CircuitOpen
                | Self::Orphaned
                | Self::Internal
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConnectionTimeout => "CONNECTION_TIMEOUT",
            Self::ConnectionRefused => "CONNECTION_REFUSED",
            Self::HostKeyMismatch => "HOST_KEY_MISMATCH",
            Self::SshNegotiation => "SSH_NEGOTIATION",
            Self::AuthFailure => "AUTH_FAILURE",
            Self::PromptNotDetected => "PROMPT_NOT_DETECTED",
            Self::PlatformNotDetected => "PLATFORM_NOT_DETECTED",
            Self::ReadTimeout => "READ_TIMEOUT",
            Self::ConfigRejected => "CONFIG_REJECTED",
            Self::OutputTooLarge => "OUTPUT_TOO_LARGE",
            Self::CircuitOpen => "CIRCUIT_OPEN",
            Self::DeviceLockedOut => "DEVICE_LOCKED_OUT",
            Self::Orphaned => "ORPHANED",
            Self::MaxDeliveries => "MAX_DELIVERIES",
            Self::Internal => "INTERNAL",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job's failure: the code, a message safe to show anyone who may see the job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JobFailure {
    pub code: ErrorCode,
    pub message: String,
}

impl JobFailure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_the_contract_spells_them() {
        for code in [ErrorCode::ConnectionTimeout, ErrorCode::AuthFailure, ErrorCode::MaxDeliveries] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        assert!(!ErrorCode::AuthFailure.retryable());
        assert!(ErrorCode::ConnectionRefused.retryable());
        assert!(!ErrorCode::PlatformNotDetected.retryable(), "the same device answers the same way");
    }
}
