//! Job lifecycle events: one message per change of a job's status, on
//! `<prefix>.events.<context>.<host>.<job_id>.<status>`, kept in the events stream for
//! `events.retention_secs` (schema: `nats/schemas/job-event.schema.json`).
//!
//! Whoever changes the status publishes its event, after the change is stored: the API
//! (`queued` on submission, `canceled`), the worker (`started`, `queued` again when a
//! read-only job is retried, the terminal status) and the reaper (requeued or failed
//! orphans). The message id is `<job_id>:<status>:<attempt>`, so a re-published event (a
//! redelivered job re-publishing its settled state) is dropped as a duplicate. Events carry
//! no credentials, no command output and no error text (results have those).

use async_nats::jetstream;
use naas_shared::domain::{Context, Host, JobId, Tag};
use naas_shared::error::ErrorCode;
use naas_shared::job::{JobKind, JobRecord, JobStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Topology, headers};

/// The payload of a lifecycle event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    /// `<job_id>:<status>:<attempt>`, also the `Nats-Msg-Id`: unique per change.
    pub event_id: String,
    pub job_id: JobId,
    pub status: JobStatus,
    /// Runs started so far (0 while first queued; a retried job is queued again at n).
    pub attempt: u32,
    pub context: Context,
    pub host: Host,
    pub platform: String,
    pub kind: JobKind,
    pub tags: Vec<Tag>,
    pub request_id: String,
    /// When the change happened (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// `failed` only: the contract error code.
    pub error_code: Option<ErrorCode>,
    /// Terminal statuses only: from start (or enqueue) to the end, milliseconds.
    pub duration_ms: Option<u64>,
}

impl JobEvent {
    /// The event announcing the status `record` is in now.
    pub fn of(record: &JobRecord) -> Self {
        let doc = &record.doc;
        let timestamp = match doc.status {
            JobStatus::Queued if doc.attempts == 0 => Some(doc.enqueued_at),
            JobStatus::Queued => None,
            JobStatus::Started => doc.started_at,
            _ => doc.finished_at,
        };
        let terminal = doc.status.is_terminal();
        Self {
            event_id: format!("{}:{}:{}", doc.job_id, doc.status.as_str(), doc.attempts),
            job_id: doc.job_id,
            status: doc.status,
            attempt: doc.attempts,
            context: record.context.clone(),
            host: doc.host.clone(),
            platform: doc.platform.clone(),
            kind: doc.kind,
            tags: doc.tags.clone(),
            request_id: record.request_id.clone(),
            timestamp: timestamp.unwrap_or_else(naas_shared::now),
            error_code: if doc.status == JobStatus::Failed { doc.error_code } else { None },
            duration_ms: if terminal { doc.duration_ms } else { None },
        }
    }
}

/// Publishes lifecycle events to the events stream.
#[derive(Clone)]
pub struct Events {
    jetstream: jetstream::Context,
    topology: Topology,
}

impl Events {
    pub fn new(jetstream: jetstream::Context, topology: Topology) -> Self {
        Self { jetstream, topology }
    }

    /// Publishes the event of `record`'s current status and waits for the stream's ack.
    pub async fn publish(&self, record: &JobRecord) -> Result<(), String> {
        self.send(record).await?.await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Sends the event of `record`'s current status and hands back the stream's ack to wait
    /// for later. The events stream stores what one connection sent in the order it was
    /// sent, so nothing published after this call (by anyone who saw what followed it) can
    /// be stored before it.
    pub async fn send(&self, record: &JobRecord) -> Result<jetstream::context::PublishAckFuture, String> {
        let event = JobEvent::of(record);
        let subject = self.topology.event_subject(&event.context, &event.host, event.job_id, event.status);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(headers::MSG_ID, event.event_id.as_str());
        headers.insert(headers::REQUEST_ID, event.request_id.as_str());
        // Consumers can continue the job's trace (when traces are exported).
        if let Some(traceparent) = naas_shared::telemetry::traces::traceparent() {
            headers.insert(headers::TRACEPARENT, traceparent.as_str());
        }
        let payload = serde_json::to_vec(&event).expect("events serialise");
        self.jetstream.publish_with_headers(subject, headers, payload.into()).await.map_err(|e| e.to_string())
    }

    /// Publishes like [`Events::publish`]; a failure is logged, never fatal to the job (its
    /// state is in the store and its result, when it ends, on the result subject).
    pub async fn emit(&self, record: &JobRecord) {
        Self::confirm(self.send(record).await, record).await;
    }

    /// Waits for the ack of an event [`Events::send`] sent for `record`, logging a failure.
    pub async fn confirm(sent: Result<jetstream::context::PublishAckFuture, String>, record: &JobRecord) {
        let acked = match sent {
            Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
            Err(error) => Err(error),
        };
        if let Err(error) = acked {
            let status = record.doc.status.as_str();
            tracing::warn!(error, job.id = %record.doc.job_id, status, "cannot publish the job's lifecycle event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use naas_shared::error::JobFailure;
    use naas_shared::job::Outcome;
    use serde_json::Value;

    fn record() -> JobRecord {
        let message = crate::message::tests::sample_message();
        message.queued_record()
    }

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The payload has exactly the schema's required fields; the schema's other properties
    /// are the optional fields, present only on some payloads.
    fn matches_schema(payload: &Value, schema: &Value) {
        let mut required: Vec<String> =
            schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        required.sort();
        assert_eq!(keys(payload), required);
        assert!(required.iter().all(|key| schema["properties"].get(key).is_some()), "{required:?}");
    }

    #[test]
    fn events_follow_their_schema() {
        let schema: Value = serde_json::from_str(include_str!("../schemas/job-event.schema.json")).unwrap();
        let mut record = record();
        let queued = serde_json::to_value(JobEvent::of(&record)).unwrap();
        matches_schema(&queued, &schema);
        assert_eq!(queued["event_id"], format!("{}:queued:0", record.doc.job_id));
        assert!(queued["error_code"].is_null() && queued["duration_ms"].is_null());

        record.doc.mark_started(naas_shared::now(), 1);
        let failure = JobFailure::new(ErrorCode::ConfigRejected, "line 2 rejected: secret-ish text");
        record.doc.settle(Outcome::failed(failure), naas_shared::now());
        let failed = serde_json::to_value(JobEvent::of(&record)).unwrap();
        matches_schema(&failed, &schema);
        assert_eq!(failed["event_id"], format!("{}:failed:1", record.doc.job_id));
        assert_eq!(failed["error_code"], "CONFIG_REJECTED");
        assert!(!failed.to_string().contains("secret-ish"), "no error text in events: {failed}");
    }

    #[test]
    fn results_follow_their_schema() {
        let schema: Value = serde_json::from_str(include_str!("../schemas/job-result.schema.json")).unwrap();
        let document = serde_json::to_value(&record().doc).unwrap();
        matches_schema(&document, &schema["$defs"]["document"]);

        let mut detected = record();
        detected.doc.platform = naas_shared::platform::AUTODETECT.into();
        let outcome =
            Outcome { detected_platform: Some("cisco_xe".into()), ..Outcome::finished(serde_json::json!({})) };
        detected.doc.settle(outcome, naas_shared::now());
        let document = serde_json::to_value(&detected.doc).unwrap();
        assert_eq!(document["detected_platform"], "cisco_xe");
        let properties = &schema["$defs"]["document"]["properties"];
        assert!(keys(&document).iter().all(|key| properties.get(key).is_some()), "{document}");
    }
}
