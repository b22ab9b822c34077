//! A job's access to its device: the fleet-wide session slot it waits for, and the login
//! failures that lock a device out.

use std::time::Duration;

use naas_nats::JobMessage;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::Outcome;
use naas_shared::store::StoreError;
use serde_json::json;

use crate::device_queue::Turn;
use crate::device_slots::Access;
use crate::job::{JobContext, RunSlot};

/// Takes the job's turn among this worker's jobs for the device (first come, first
/// served: [`crate::device_queue`]), a worker slot, then a slot on the device (shared for
/// read-only jobs, exclusive for config pushes). While the device is busy the job stays
/// `queued` and gives its worker slot back (its message is kept alive by the progress acks
/// every job sends); once the device is free it takes a worker slot again and renews the
/// device slot, which may have lapsed meanwhile. Hold the returned turn until the device
/// slot is released. Jobs of other workers are only seen in Redis, so a device they fill
/// is polled.
pub async fn wait_for_device(
    ctx: &JobContext,
    job: &JobMessage,
    access: Access,
    lease: Duration,
    slot: &mut RunSlot,
) -> Result<Turn, StoreError> {
    let (host, port, id) = (job.host.as_str(), job.port, job.job_id.to_string());
    let device = format!("{host}:{port}");
    let turn = match ctx.slots.queues.try_enter(&device, access) {
        Some(turn) => turn,
        None => {
            tracing::debug!(?access, "device busy with this worker's jobs; queueing without a worker slot");
            slot.permit = None;
            ctx.slots.queues.enter(&device, access).await
        }
    };
    let mut pause = Duration::from_millis(50);
    loop {
        slot.take().await;
        if ctx.slots.try_acquire(host, port, &id, access, lease).await? {
            return Ok(turn);
        }
        tracing::debug!(?access, "device busy; waiting without a worker slot");
        slot.permit = None;
        loop {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
            if ctx.slots.try_acquire(host, port, &id, access, lease).await? {
                break;
            }
        }
    }
}

/// Counts logins the device itself refused (not a jump host, not a missing key), and
/// locks the device out after too many; a job that got past login clears the count.
pub async fn track_device_logins(ctx: &JobContext, job: &JobMessage, device: &str, outcome: &Outcome) {
    let refused_by_device = |f: &JobFailure| {
        f.code == ErrorCode::AuthFailure
            && (f.message.starts_with("the device") || f.message.starts_with("the enable secret"))
    };
    let result = match &outcome.failure {
        Some(failure) if refused_by_device(failure) => {
            match ctx.lockouts.failed("device", device, ctx.settings.lockout.device()).await {
                Ok(Some(count)) => {
                    tracing::warn!(failure_count = count, "device locked out after repeated login failures");
                    let fields = json!({"host": job.host.as_str(), "port": job.port, "failure_count": count});
                    ctx.audit.emit("device.locked_out", Some(&job.request_id), fields).await;
                    Ok(())
                }
                other => other.map(|_| ()),
            }
        }
        Some(failure) if failure.code != ErrorCode::ConfigRejected => Ok(()),
        _ => ctx.lockouts.succeeded("device", device).await,
    };
    if let Err(error) = result {
        tracing::warn!(%error, "cannot update the device's login failure count");
    }
}
