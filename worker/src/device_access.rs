//! A job's access to its device, fleet-wide through Redis, in two scripts per job:
//! admission (the device's lockout after repeated login failures, its circuit breaker, and
//! a session slot: shared for read-only jobs, at most `jobs.device_concurrency` at once;
//! exclusive for config pushes) and release (the slot back, the job's outcome recorded in
//! the circuit and the login failure count). A slot is a holder in the device's sorted set
//! scored by lease expiry, renewed while the job runs, so a dead worker's slot frees itself.

use std::sync::Arc;
use std::time::Duration;

use naas_nats::JobMessage;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{JobKind, Outcome};
use naas_shared::lockout::Policy;
pub use naas_shared::store::devices::{Access, Admission};
use naas_shared::store::devices::{Logins, Released, Report, Slot};
use naas_shared::store::{DeviceStore, StoreError};
use serde_json::json;

use crate::breaker::{Breaker, Change};
use crate::device_queue::{DeviceQueues, Turn};
use crate::job::{JobContext, RunSlot};

pub struct DeviceAccess {
    devices: DeviceStore,
    /// Shared slots per device.
    limit: usize,
    breaker: Breaker,
    lockout: Policy,
    /// The order in which this worker's jobs try a device.
    queues: Arc<DeviceQueues>,
}

/// One job's claim on its device.
pub struct Claim {
    host: String,
    port: u16,
    job: String,
    pub access: Access,
}

impl Claim {
    pub fn of(job: &JobMessage) -> Self {
        let access = if job.kind == JobKind::Config { Access::Exclusive } else { Access::Shared };
        Self { host: job.host.as_str().to_owned(), port: job.port, job: job.job_id.to_string(), access }
    }
}

impl DeviceAccess {
    pub fn new(devices: DeviceStore, limit: usize, breaker: Breaker, lockout: Policy) -> Self {
        Self { devices, limit, breaker, lockout, queues: DeviceQueues::new(limit) }
    }

    /// The job's turn among this worker's jobs for its device (first come, first served:
    /// [`crate::device_queue`]); hold it until the device is released. While the job
    /// waits for its turn it gives its worker slot back, and takes one again after.
    pub async fn turn(&self, claim: &Claim, slot: &mut RunSlot) -> Turn {
        let device = format!("{}:{}", claim.host, claim.port);
        let turn = match self.queues.try_enter(&device, claim.access) {
            Some(turn) => turn,
            None => {
                tracing::debug!(access = ?claim.access, "device busy with this worker's jobs; queueing without a worker slot");
                slot.permit = None;
                self.queues.enter(&device, claim.access).await
            }
        };
        slot.take().await;
        turn
    }

    fn slot<'a>(&self, claim: &'a Claim, lease: Duration) -> Slot<'a> {
        Slot { host: &claim.host, port: claim.port, job: &claim.job, access: claim.access, limit: self.limit, lease }
    }

    /// One try at admission (one round trip).
    pub async fn admit(&self, claim: &Claim, lease: Duration) -> Result<Admission, StoreError> {
        self.devices.admit(&self.slot(claim, lease), self.breaker.circuit()).await
    }

    /// Renews the job's slot for another `lease` (retaking it if it lapsed); false if it
    /// lapsed and the device is busy.
    pub async fn renew(&self, claim: &Claim, lease: Duration) -> Result<bool, StoreError> {
        self.devices.renew_slot(&self.slot(claim, lease)).await
    }

    /// Gives the slot back and records `report`; failures are logged (the slot's lease
    /// expires by itself).
    pub async fn release(&self, claim: &Claim, report: &Report) -> Released {
        match self.devices.release(&self.slot(claim, Duration::ZERO), report).await {
            Ok(released) => released,
            Err(error) => {
                tracing::warn!(%error, "could not release the device slot or record the job there; its lease will expire");
                Released::default()
            }
        }
    }

    /// What a job that ran tells its device. `tried`: it got as far as trying the device
    /// (a job canceled while running, or refused before it dialled, does not count for the
    /// circuit). Logins the device itself refused (not a jump host, not a missing key)
    /// count towards its lockout; a job that got past login clears the count.
    pub fn report(&self, outcome: &Outcome, tried: bool) -> Report {
        let code = outcome.failure.as_ref().map(|f| f.code);
        let circuit = if tried { self.breaker.report(code) } else { None };
        let refused_by_device = |f: &JobFailure| {
            f.code == ErrorCode::AuthFailure
                && (f.message.starts_with("the device") || f.message.starts_with("the enable secret"))
        };
        let logins = match &outcome.failure {
            Some(failure) if refused_by_device(failure) => Logins::Refused(self.lockout),
            Some(failure) if failure.code != ErrorCode::ConfigRejected => Logins::Unchanged,
            _ => Logins::Accepted,
        };
        Report { circuit, logins }
    }
}

/// Waits while the device is busy, from `first`, the answer to a try made with a worker
/// slot held. Meanwhile the job stays `queued` and gives its worker slot back (its message
/// is kept alive by the progress acks every job sends); once the device has room, it takes
/// a worker slot again and renews the device slot, which may have lapsed meanwhile.
/// Returns anything but [`Admission::Busy`], with the worker slot held.
pub async fn wait_for_device(
    ctx: &JobContext,
    claim: &Claim,
    lease: Duration,
    slot: &mut RunSlot,
    first: Admission,
) -> Result<Admission, StoreError> {
    let mut pause = Duration::from_millis(50);
    let mut admission = first;
    while admission == Admission::Busy {
        tracing::debug!(access = ?claim.access, "device busy; waiting without a worker slot");
        slot.permit = None;
        while admission == Admission::Busy {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
            admission = ctx.devices.admit(claim, lease).await?;
        }
        slot.take().await;
        if matches!(admission, Admission::Taken | Admission::Trial | Admission::Held)
            && !ctx.devices.renew(claim, lease).await?
        {
            admission = Admission::Busy;
        }
    }
    Ok(admission)
}

/// Announces what a release changed: the circuit opening or closing, the device locked out.
pub async fn announce(ctx: &JobContext, job: &JobMessage, released: Released) {
    let (host, port) = (job.host.as_str(), job.port);
    match released.change {
        Some(Change::Opened { failures }) => {
            tracing::warn!(failure_count = failures, "circuit opened for the device");
            ctx.metrics.inc("naas_circuit_breaker_transitions_total", &[("to", "open")]);
            let fields = json!({"host": host, "port": port, "failure_count": failures});
            ctx.audit.emit("circuit.opened", Some(&job.request_id), fields).await;
        }
        Some(Change::Closed) => {
            tracing::info!("circuit closed for the device");
            ctx.metrics.inc("naas_circuit_breaker_transitions_total", &[("to", "closed")]);
            ctx.audit.emit("circuit.closed", Some(&job.request_id), json!({"host": host, "port": port})).await;
        }
        None => {}
    }
    if let Some(count) = released.locked_out {
        tracing::warn!(failure_count = count, "device locked out after repeated login failures");
        let fields = json!({"host": host, "port": port, "failure_count": count});
        ctx.audit.emit("device.locked_out", Some(&job.request_id), fields).await;
    }
}
