//! Carrying out what a sweep decided, and the clean-ups that need no decision.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use naas_nats::{Audit, Backends, Events, Topology, headers};
use naas_shared::config::Settings;
use naas_shared::domain::JobId;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{JobRecord, JobStatus, Outcome};
use naas_shared::keys::Bucket;
use naas_shared::seal::Sealer;
use naas_shared::store::{DeviceStore, FromState, JobStore, unix_ms};
use serde_json::{Value, json};

use crate::sweep::{self, Action, Findings, JobView};

/// Entries looked at per sweep and per index, so one sweep stays short (a share of it per
/// job bucket).
const BATCH: usize = 500;
/// Oldest job messages checked per sweep for ones left behind.
const WALK: usize = 32;

pub struct Settler {
    store: JobStore,
    jetstream: jetstream::Context,
    topology: Topology,
    audit: Audit,
    events: Events,
    metrics: Arc<naas_shared::metrics::Metrics>,
    sealer: Option<Arc<Sealer>>,
    devices: DeviceStore,
    max_attempts: u32,
    queue_timeout: Duration,
    ack_wait: Duration,
    inline_max_bytes: usize,
}

fn view(record: &Option<JobRecord>) -> Option<JobView> {
    record.as_ref().map(|r| JobView { status: r.doc.status, attempts: r.doc.attempts, kind: r.doc.kind })
}

impl Settler {
    pub fn new(settings: &Settings, backends: &Backends, metrics: Arc<naas_shared::metrics::Metrics>) -> Self {
        Self {
            metrics,
            store: backends.store.clone(),
            jetstream: backends.jetstream.clone(),
            topology: backends.topology.clone(),
            audit: backends.audit.clone(),
            events: backends.events.clone(),
            sealer: settings.jobs.seal_results.then(|| backends.sealer.clone()),
            devices: DeviceStore::new(backends.store.connection(), &settings.prefix),
            max_attempts: settings.jobs.max_attempts,
            queue_timeout: Duration::from_secs(settings.jobs.queue_timeout_secs),
            ack_wait: Duration::from_secs(settings.nats.ack_wait_secs),
            inline_max_bytes: settings.nats.result_inline_max_bytes,
        }
    }

    pub async fn sweep(&self) {
        let now_ms = unix_ms(naas_shared::now());
        match self.findings(now_ms).await {
            Ok(findings) => {
                for action in sweep::plan(now_ms, &findings, self.max_attempts) {
                    if let Err(error) = self.apply(&action).await {
                        tracing::warn!(%error, ?action, "sweep action failed; the next sweep retries it");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "sweep: cannot read the job indexes"),
        }
        self.prune_device_slots().await;
        self.remove_leftovers().await;
    }

    async fn findings(&self, now_ms: u64) -> Result<Findings, naas_shared::store::StoreError> {
        let mut findings = Findings::default();
        let expired = self.store.expired(now_ms, BATCH.div_ceil(Bucket::COUNT)).await?;
        for lease in expired.leases {
            let record = self.store.get(lease.job_id).await?;
            findings.leases.push((lease, view(&record)));
        }
        for (job_id, deadline) in expired.overdue {
            let record = self.store.get(job_id).await?;
            findings.overdue.push((job_id, deadline, view(&record)));
        }
        Ok(findings)
    }

    async fn apply(&self, action: &Action) -> Result<(), naas_shared::store::StoreError> {
        match action {
            Action::Forget { job_id } => self.store.forget(*job_id).await,
            Action::Requeue { job_id, attempt, worker } => {
                let Some(mut record) = self.store.get(*job_id).await? else { return Ok(()) };
                record.doc.requeue();
                let deadline = naas_shared::now() + self.queue_timeout;
                if self.store.requeue(&record, *attempt, deadline).await? {
                    tracing::warn!(job.id = %job_id, worker_name = worker.as_str(), attempt, "job orphaned; requeued");
                    self.events.emit(&record).await;
                    self.acted("requeued");
                    self.orphaned(&record, worker, *attempt, "requeued").await;
                }
                Ok(())
            }
            Action::Orphan { job_id, attempt, worker } => {
                let message = format!(
                    "the worker running the job ({worker}) stopped answering; whether the device applied it is unknown"
                );
                let failure = JobFailure::new(ErrorCode::Orphaned, message);
                let from = FromState::Attempt(JobStatus::Started, *attempt);
                if let Some(record) = self.fail(*job_id, from, failure).await? {
                    tracing::warn!(job.id = %job_id, worker_name = worker.as_str(), attempt, "job orphaned; failed");
                    self.acted("orphaned");
                    self.orphaned(&record, worker, *attempt, "failed").await;
                }
                Ok(())
            }
            Action::Expire { job_id, attempts } => {
                let message = format!(
                    "no worker started the job within its queue deadline of {} s",
                    self.queue_timeout.as_secs()
                );
                let failure = JobFailure::new(ErrorCode::Orphaned, message);
                let from = FromState::Attempt(JobStatus::Queued, *attempts);
                if let Some(record) = self.fail(*job_id, from, failure).await? {
                    tracing::warn!(job.id = %job_id, "job expired in the queue");
                    self.acted("expired");
                    self.orphaned(&record, "", *attempts, "expired").await;
                }
                Ok(())
            }
        }
    }

    /// Fails the job from `from` and publishes it; the record if this call settled it.
    async fn fail(
        &self,
        job_id: JobId,
        from: FromState,
        failure: JobFailure,
    ) -> Result<Option<JobRecord>, naas_shared::store::StoreError> {
        let Some(mut record) = self.store.get(job_id).await? else { return Ok(None) };
        record.doc.settle(Outcome::failed(failure), naas_shared::now());
        if !self.store.transition(&record, &[from]).await? {
            return Ok(None);
        }
        let code = record.doc.error_code.map(|c| c.as_str());
        self.metrics.job_settled(record.doc.status.as_str(), code);
        // If this fails, the message's next delivery (or the leftover sweep) re-publishes it.
        self.publish(&record).await;
        let fields =
            json!({"job_id": job_id.to_string(), "status": record.doc.status, "duration_ms": record.doc.duration_ms});
        self.audit.emit("job.completed", Some(&record.request_id), fields).await;
        Ok(Some(record))
    }

    /// Publishes a settled job's result; false if the stream did not take it.
    async fn publish(&self, record: &JobRecord) -> bool {
        let sealer = self.sealer.as_deref();
        match naas_nats::publish_settled(
            &self.jetstream,
            &self.topology,
            &self.events,
            record,
            sealer,
            self.inline_max_bytes,
        )
        .await
        {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(error, job.id = %record.doc.job_id, "cannot publish the settled job's result");
                false
            }
        }
    }

    async fn orphaned(&self, record: &JobRecord, worker: &str, attempt: u32, action: &str) {
        let fields = json!({
            "job_id": record.doc.job_id.to_string(),
            "worker_name": (!worker.is_empty()).then_some(worker),
            "kind": record.doc.kind,
            "attempt": attempt,
            "action": action,
        });
        self.audit.emit("job.orphaned", Some(&record.request_id), fields).await;
    }

    /// A job message used its last delivery: its job fails `MAX_DELIVERIES` (unless a live
    /// worker holds it or it already ended) and the message leaves the work queue.
    pub async fn max_deliveries(&self, advisory: &[u8]) {
        let Some(sequence) = serde_json::from_slice::<Value>(advisory).ok().and_then(|a| a["stream_seq"].as_u64())
        else {
            tracing::warn!("unreadable max-deliveries advisory");
            return;
        };
        let Some((job_id, stream)) = self.job_at(sequence).await else { return };
        let record = match self.store.get(job_id).await {
            Ok(record) => record,
            Err(error) => return tracing::warn!(%error, "cannot read a max-delivered job"),
        };
        if let Some(record) = &record
            && record.doc.status.is_terminal()
        {
            // Settled, but perhaps never published: make sure before the message goes.
            if !self.publish(record).await {
                return;
            }
        }
        if let Some(record) = &record
            && !record.doc.status.is_terminal()
        {
            let live = match self.store.lease_expiry(job_id).await {
                Ok(expiry) => expiry.is_some_and(|e| e > unix_ms(naas_shared::now())),
                Err(error) => return tracing::warn!(%error, "cannot read a max-delivered job's lease"),
            };
            if live {
                return;
            }
            let (status, attempts) = (record.doc.status, record.doc.attempts);
            let message = "the job's message was delivered the maximum number of times without being settled";
            let failure = JobFailure::new(ErrorCode::MaxDeliveries, message);
            match self.fail(job_id, FromState::Attempt(status, attempts), failure).await {
                Ok(Some(record)) => {
                    tracing::warn!(job.id = %job_id, "job failed after its last delivery");
                    self.acted("max_deliveries");
                    if !self.publish(&record).await {
                        return;
                    }
                }
                // Settled meanwhile by someone else; the leftover sweep publishes and removes it.
                Ok(None) => return,
                Err(error) => return tracing::warn!(%error, "cannot settle a max-delivered job"),
            }
        }
        if let Err(error) = stream.delete_message(sequence).await {
            tracing::warn!(%error, sequence, "cannot remove a max-delivered job message");
        }
    }

    async fn job_at(&self, sequence: u64) -> Option<(JobId, jetstream::stream::Stream<()>)> {
        let stream = self.jetstream.get_stream_no_info(self.topology.jobs_stream()).await.ok()?;
        let message = stream.get_raw_message(sequence).await.ok()?;
        let id = message.headers.get(headers::MSG_ID)?.to_string();
        Some((JobId::parse(&id).ok()?, stream))
    }

    /// Removes the oldest job messages whose job already ended (a message left behind when
    /// its advisory was missed, or whose job the reaper settled).
    async fn remove_leftovers(&self) {
        let Ok(stream) = self.jetstream.get_stream_no_info(self.topology.jobs_stream()).await else { return };
        let settled_before = naas_shared::now() - self.ack_wait * 2;
        let mut next = 1;
        for _ in 0..WALK {
            let found =
                stream.raw_message_builder().sequence(next).next_by_subject(self.topology.jobs_wildcard()).send().await;
            let Ok(message) = found else { break };
            next = message.sequence + 1;
            if message.time > settled_before {
                break;
            }
            let Some(job_id) = message.headers.get(headers::MSG_ID).and_then(|id| JobId::parse(id.as_str()).ok())
            else {
                continue;
            };
            let ended = match self.store.get(job_id).await {
                Ok(None) => true,
                // Its result may never have been published (e.g. NATS trouble when it settled).
                Ok(Some(record)) => record.doc.status.is_terminal() && self.publish(&record).await,
                Err(_) => return,
            };
            if ended && stream.delete_message(message.sequence).await.is_ok() {
                tracing::info!(job.id = %job_id, "removed a settled job's leftover message");
                self.acted("leftover_removed");
            }
        }
    }

    fn acted(&self, action: &str) {
        self.metrics.inc("naas_reaper_actions_total", &[("action", action)]);
    }

    async fn prune_device_slots(&self) {
        let pruned = self.devices.prune_slots().await;
        match pruned {
            Ok(0) => {}
            Ok(count) => {
                tracing::info!(count, "removed expired device slots");
                self.metrics.add("naas_reaper_actions_total", &[("action", "slots_pruned")], count as f64);
            }
            Err(error) => tracing::warn!(%error, "cannot prune device slots"),
        }
    }
}
