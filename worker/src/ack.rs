//! The ack policy, in one place: what happens to a job message after handling it, and
//! which failures earn a read-only job another attempt.
//!
//! - `Ack` once the job's terminal state is stored *and* published (or was already).
//! - `Nak` with backoff when the worker could not record the outcome (Redis or NATS
//!   trouble): the job comes back later, and finding it settled then, only re-publishes.
//! - `Nak` with backoff when a read-only job failed to reach its device and has attempts
//!   left (it is back to `queued` meanwhile). Config jobs are never run twice.
//! - `Nak` after a pause when another worker holds the job (a duplicate delivery): the
//!   holder settles it, or, if the holder died, the reaper does once its lease expires.
//! - `Term` for poison: a message that cannot be decoded will never succeed.

use std::time::Duration;

use naas_shared::error::ErrorCode;
use naas_shared::job::JobKind;

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Terminal state stored and published.
    Settled,
    /// The job was already terminal (an earlier delivery finished it).
    AlreadySettled,
    /// The outcome could not be recorded; try again later.
    NotRecorded,
    /// Another attempt is due after the pause (the job is `queued` again).
    Retry(Duration),
    /// Someone else holds the job; look again after the pause.
    HeldElsewhere(Duration),
    /// The message cannot be understood.
    Poison,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Ack,
    Nak(Duration),
    Term,
}

/// Backoff for redeliveries: 1 s, 2 s, 4 s … capped at 60 s.
pub fn backoff(delivery: u32) -> Duration {
    Duration::from_secs(1u64 << delivery.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

pub fn disposition(handled: &Handled, delivery: u32) -> Disposition {
    match handled {
        Handled::Settled | Handled::AlreadySettled => Disposition::Ack,
        Handled::NotRecorded => Disposition::Nak(backoff(delivery)),
        Handled::Retry(pause) | Handled::HeldElsewhere(pause) => Disposition::Nak(*pause),
        Handled::Poison => Disposition::Term,
    }
}

/// Whether a job that failed with `code` on attempt `attempt` runs again, and after what
/// pause: only read-only jobs, only when the device could not be reached (nothing ran),
/// only while attempts remain.
pub fn retry(kind: JobKind, code: Option<ErrorCode>, attempt: u32, max_attempts: u32) -> Option<Duration> {
    let unreachable =
        matches!(code, Some(ErrorCode::ConnectionTimeout | ErrorCode::ConnectionRefused | ErrorCode::SshNegotiation));
    (kind == JobKind::Command && unreachable && attempt < max_attempts).then(|| backoff(attempt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(disposition(&Handled::Settled, 1), Disposition::Ack);
        assert_eq!(disposition(&Handled::AlreadySettled, 3), Disposition::Ack);
        assert_eq!(disposition(&Handled::Poison, 1), Disposition::Term);
        assert_eq!(disposition(&Handled::NotRecorded, 1), Disposition::Nak(Duration::from_secs(1)));
        assert_eq!(disposition(&Handled::NotRecorded, 3), Disposition::Nak(Duration::from_secs(4)));
        assert_eq!(disposition(&Handled::NotRecorded, 50), Disposition::Nak(Duration::from_secs(60)));
        let pause = Duration::from_millis(1500);
        assert_eq!(disposition(&Handled::Retry(pause), 1), Disposition::Nak(pause));
        assert_eq!(disposition(&Handled::HeldElsewhere(pause), 1), Disposition::Nak(pause));
    }

    #[test]
    fn only_unreachable_read_only_jobs_are_retried_while_attempts_remain() {
        let refused = Some(ErrorCode::ConnectionRefused);
        assert_eq!(retry(JobKind::Command, refused, 1, 3), Some(Duration::from_secs(1)));
        assert_eq!(retry(JobKind::Command, refused, 2, 3), Some(Duration::from_secs(2)));
        assert_eq!(retry(JobKind::Command, refused, 3, 3), None);
        assert_eq!(retry(JobKind::Config, refused, 1, 3), None);
        assert_eq!(retry(JobKind::Command, Some(ErrorCode::AuthFailure), 1, 3), None);
        assert_eq!(retry(JobKind::Command, Some(ErrorCode::ReadTimeout), 1, 3), None);
        assert_eq!(retry(JobKind::Command, Some(ErrorCode::CircuitOpen), 1, 3), None);
        assert_eq!(retry(JobKind::Command, None, 1, 3), None);
    }
}
