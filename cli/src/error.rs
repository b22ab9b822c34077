//! Exit statuses and the errors that lead to them.
//!
//! Commands return `Ok(Exit)` when they learnt what they came for (a job that failed is
//! still a successful look: `Exit::JobFailed`), and `Err(CliError)` when they could not:
//! the caller's own mistake (usage, configuration) or the API's (unreachable, refused).
//! [`crate::run`] prints the error once and maps it to its exit status.

use std::fmt;

/// How `naasctl` exits; the numbers are part of its interface (see `naasctl --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done; every job finished.
    Ok,
    /// At least one job ended `failed` or `canceled`.
    JobFailed,
    /// Bad arguments, configuration, inventory or missing credentials: nothing was sent.
    Usage,
    /// The API or NATS could not be reached, or the API refused a request.
    Unavailable,
    /// Stopped with Ctrl-C (128 + SIGINT, as shells report it); jobs already queued go on.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::JobFailed => 1,
            Exit::Usage => 2,
            Exit::Unavailable => 3,
            Exit::Interrupted => 130,
        }
    }

    /// The worse of two outcomes (an unreachable API outranks a failed job).
    pub fn worst(self, other: Exit) -> Exit {
        if other.code() > self.code() { other } else { self }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The caller's arguments, configuration or environment.
    #[error("{0}")]
    Usage(String),
    /// The API or NATS could not be reached (connection refused, TLS, timeout).
    #[error("{0}")]
    Connection(String),
    /// The API answered with an error body.
    #[error("{0}")]
    Api(ApiRefusal),
    /// Ctrl-C; the text says what was left running.
    #[error("{0}")]
    Interrupted(String),
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// The same error, its message prefixed with `what` (e.g. the job it concerns).
    pub fn context(self, what: &str) -> Self {
        match self {
            CliError::Usage(m) => CliError::Usage(format!("{what}: {m}")),
            CliError::Connection(m) => CliError::Connection(format!("{what}: {m}")),
            CliError::Interrupted(m) => CliError::Interrupted(format!("{what}: {m}")),
            CliError::Api(mut refusal) => {
                refusal.context = Some(what.to_owned());
                CliError::Api(refusal)
            }
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            CliError::Usage(_) => Exit::Usage,
            CliError::Connection(_) | CliError::Api(_) => Exit::Unavailable,
            CliError::Interrupted(_) => Exit::Interrupted,
        }
    }
}

/// A non-2xx answer, from the contract's error body
/// `{"status", "error", "code", "fields"?: [{"field", "message"}]}`.
#[derive(Debug, Clone)]
pub struct ApiRefusal {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub fields: Vec<(String, String)>,
    /// What the request was for, when the caller said (`following job …`).
    pub context: Option<String>,
}

impl fmt::Display for ApiRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(context) = &self.context {
            write!(f, "{context}: ")?;
        }
        write!(f, "the API answered {} {}: {}", self.status, self.code, self.message)?;
        for (field, message) in &self.fields {
            write!(f, "\n  {field}: {message}")?;
        }
        Ok(())
    }
}
