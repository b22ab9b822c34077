//! What one sweep decides, as a plain function of what it found and the time: no I/O, so
//! every rule is unit-tested with an injected clock.
//!
//! - A started job whose lease expired lost its worker. A config job ends `ORPHANED`: its
//!   lines may have reached the device, so it is never run again. A read-only job goes back
//!   to the queue while attempts remain (its message comes back to a worker), else it ends
//!   `ORPHANED` too.
//! - A job still queued past its queue deadline ends `ORPHANED` (nobody started it).
//! - Index entries whose job moved on (or whose record expired) are dropped.

use naas_shared::domain::JobId;
use naas_shared::job::{JobKind, JobStatus};
use naas_shared::store::Lease;

/// The part of a job record the sweep needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobView {
    pub status: JobStatus,
    pub attempts: u32,
    pub kind: JobKind,
}

/// What a sweep found: expired leases and overdue queue entries, each with its job (None
/// when the record is gone).
#[derive(Debug, Default)]
pub struct Findings {
    pub leases: Vec<(Lease, Option<JobView>)>,
    pub overdue: Vec<(JobId, u64, Option<JobView>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Back to `queued` from `started` at `attempt`; the message's redelivery runs it again.
    Requeue { job_id: JobId, attempt: u32, worker: String },
    /// `failed`/`ORPHANED` from `started` at `attempt`.
    Orphan { job_id: JobId, attempt: u32, worker: String },
    /// `failed`/`ORPHANED` from `queued` at `attempts`: no worker started it in time.
    Expire { job_id: JobId, attempts: u32 },
    /// Drop the job from the lease and deadline indexes.
    Forget { job_id: JobId },
}

pub fn plan(now_ms: u64, findings: &Findings, max_attempts: u32) -> Vec<Action> {
    let mut actions = Vec::new();
    for (lease, job) in &findings.leases {
        if lease.expires_ms > now_ms {
            continue;
        }
        let job_id = lease.job_id;
        match job {
            Some(job) if job.status == JobStatus::Started && job.attempts == lease.attempt => {
                let (attempt, worker) = (lease.attempt, lease.worker.clone());
                if job.kind == JobKind::Command && attempt < max_attempts {
                    actions.push(Action::Requeue { job_id, attempt, worker });
                } else {
                    actions.push(Action::Orphan { job_id, attempt, worker });
                }
            }
            // A later attempt holds it, or it ended: this lease entry is stale.
            _ => actions.push(Action::Forget { job_id }),
        }
    }
    for (job_id, deadline_ms, job) in &findings.overdue {
        if *deadline_ms > now_ms {
            continue;
        }
        match job {
            Some(job) if job.status == JobStatus::Queued => {
                actions.push(Action::Expire { job_id: *job_id, attempts: job.attempts })
            }
            // Started (its lease covers it now) or ended.
            Some(job) if job.status == JobStatus::Started => {}
            _ => actions.push(Action::Forget { job_id: *job_id }),
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_000_000;

    fn lease(job_id: JobId, attempt: u32, expires_ms: u64) -> Lease {
        Lease { job_id, attempt, worker: "w1".into(), expires_ms }
    }

    fn view(status: JobStatus, attempts: u32, kind: JobKind) -> Option<JobView> {
        Some(JobView { status, attempts, kind })
    }

    #[test]
    fn expired_config_jobs_are_orphaned_and_never_requeued() {
        let id = JobId::new();
        let findings = Findings {
            leases: vec![(lease(id, 1, NOW - 1), view(JobStatus::Started, 1, JobKind::Config))],
            ..Default::default()
        };
        assert_eq!(plan(NOW, &findings, 3), vec![Action::Orphan { job_id: id, attempt: 1, worker: "w1".into() }]);
    }

    #[test]
    fn expired_read_only_jobs_are_requeued_while_attempts_remain() {
        let (a, b) = (JobId::new(), JobId::new());
        let findings = Findings {
            leases: vec![
                (lease(a, 2, NOW), view(JobStatus::Started, 2, JobKind::Command)),
                (lease(b, 3, NOW - 5), view(JobStatus::Started, 3, JobKind::Command)),
            ],
            ..Default::default()
        };
        assert_eq!(
            plan(NOW, &findings, 3),
            vec![
                Action::Requeue { job_id: a, attempt: 2, worker: "w1".into() },
                Action::Orphan { job_id: b, attempt: 3, worker: "w1".into() },
            ]
        );
    }

    #[test]
    fn live_leases_are_left_alone_whatever_the_clock_said_when_they_were_read() {
        let id = JobId::new();
        let findings = Findings {
            leases: vec![(lease(id, 1, NOW + 1), view(JobStatus::Started, 1, JobKind::Config))],
            ..Default::default()
        };
        assert!(plan(NOW, &findings, 3).is_empty());
        assert_eq!(plan(NOW + 1, &findings, 3).len(), 1);
    }

    #[test]
    fn stale_leases_are_forgotten() {
        let (moved_on, ended, gone) = (JobId::new(), JobId::new(), JobId::new());
        let findings = Findings {
            leases: vec![
                (lease(moved_on, 1, NOW - 1), view(JobStatus::Started, 2, JobKind::Command)),
                (lease(ended, 1, NOW - 1), view(JobStatus::Finished, 1, JobKind::Command)),
                (lease(gone, 1, NOW - 1), None),
            ],
            ..Default::default()
        };
        assert_eq!(
            plan(NOW, &findings, 3),
            vec![
                Action::Forget { job_id: moved_on },
                Action::Forget { job_id: ended },
                Action::Forget { job_id: gone }
            ]
        );
    }

    #[test]
    fn jobs_queued_past_their_deadline_expire() {
        let (overdue, early, started, ended) = (JobId::new(), JobId::new(), JobId::new(), JobId::new());
        let findings = Findings {
            overdue: vec![
                (overdue, NOW, view(JobStatus::Queued, 1, JobKind::Command)),
                (early, NOW + 1, view(JobStatus::Queued, 0, JobKind::Command)),
                (started, NOW - 1, view(JobStatus::Started, 1, JobKind::Config)),
                (ended, NOW - 1, view(JobStatus::Canceled, 0, JobKind::Config)),
            ],
            ..Default::default()
        };
        assert_eq!(
            plan(NOW, &findings, 3),
            vec![Action::Expire { job_id: overdue, attempts: 1 }, Action::Forget { job_id: ended }]
        );
    }
}
