//! Publishing a terminal job: its document on the result subject (kept in the results
//! stream), then its terminal lifecycle event.

use async_nats::jetstream;
use naas_shared::job::JobRecord;
use naas_shared::seal::Sealer;

use crate::{Events, Topology, headers};

/// Set on a result message whose `results` were left out because the document was larger
/// than `nats.result_inline_max_bytes` (or than one NATS message, `max_payload`);
/// `GET /v2/jobs/{id}` has them.
pub const RESULTS_OMITTED: &str = "Naas-Results-Omitted";

/// Publishes `record`'s document and waits for the stream's ack. The message id makes a
/// re-publication of the same job's result a duplicate the stream drops. A document over
/// `inline_max_bytes` goes without its results: the results stream holds outcomes, and
/// bulk output lives only in Redis, within its own bounds.
pub async fn publish_result(
    jetstream: &jetstream::Context,
    topology: &Topology,
    record: &JobRecord,
    sealer: Option<&Sealer>,
    inline_max_bytes: usize,
) -> Result<(), String> {
    let subject = topology.result_subject(&record.context, record.doc.job_id);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(headers::MSG_ID, format!("{}:result", record.doc.job_id).as_str());
    headers.insert(headers::REQUEST_ID, record.request_id.as_str());
    let mut payload = crate::message::result_payload(&record.doc, sealer);
    // Room for the subject and headers within the server's largest message.
    let limit = jetstream.client().server_info().max_payload.saturating_sub(4096).min(inline_max_bytes);
    if payload.len() > limit {
        // Output too big for the stream: the document goes without its results (the API
        // still serves them), and a header says so.
        let mut doc = record.doc.clone();
        doc.results = None;
        payload = crate::message::result_payload(&doc, sealer);
        headers.insert(RESULTS_OMITTED, "too-large");
    }
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
    inline_max_bytes: usize,
) -> Result<(), String> {
    publish_result(jetstream, topology, record, sealer, inline_max_bytes).await?;
    events.publish(record).await
}
