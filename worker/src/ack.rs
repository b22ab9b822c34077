//! The ack policy, in one place: what happens to a job message after handling it.
//!
//! - `Ack` once the job's terminal state is stored *and* published (or was already).
//! - `Nak` with backoff when the worker could not record the outcome (Redis or NATS
//!   trouble): the job comes back later, and finding it settled then, only re-publishes.
//! - `Term` for poison: a message that cannot be decoded will never succeed.

use std::time::Duration;

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Terminal state stored and published.
    Settled,
    /// The job was already terminal (an earlier delivery finished it).
    AlreadySettled,
    /// The outcome could not be recorded; try again later.
    NotRecorded,
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
        Handled::Poison => Disposition::Term,
    }
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
    }
}
