//! Publishing a terminal job: its document on the result subject (kept in the results
//! stream), then its terminal lifecycle event.

use async_nats::jetstream;
use naas_shared::job::JobRecord;
use naas_shared::seal::Sealer;

use crate::{Events, Topology, headers};

/// Publishes `record`'s document and waits for the stream's ack. The message id makes a
/// re-publication of the same job's result a duplicate the stream drops.
pub async fn publish_result(
    jetstream: &jetstream::Context,
    topology: &Topology,
    record: &JobRecord,
    sealer: Option<&Sealer>,
) -> Result<(), String> {
    let subject = topology.result_subject(&record.context, record.doc.job_id);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(headers::MSG_ID, format!("{}:result", record.doc.job_id).as_str());
    headers.insert(headers::REQUEST_ID, record.request_id.as_str());
    let payload = crate::message::result_payload(&record.doc, sealer);
    match jetstream.publish_with_headers(subject, headers, payload.into()).await {
        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Publishes a settled job: the result first, so a consumer reacting to the terminal event
/// finds the result already there, then the event. Both are de-duplicated, so whoever meets
/// a settled job (a redelivery, the reaper) may call this again until both are in.
pub async fn publish_settled(
    jetstream: &jetstream::Context,
    topology: &Topology,
    events: &Events,
    record: &JobRecord,
    sealer: Option<&Sealer>,
) -> Result<(), String> {
    publish_result(jetstream, topology, record, sealer).await?;
    events.publish(record).await
}
