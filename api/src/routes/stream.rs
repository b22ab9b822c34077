//! `GET /v2/jobs/{job_id}/stream`: a job's progress as Server-Sent Events.
//!
//! `status` events (the job's lifecycle event, `nats/schemas/job-event.schema.json`) on
//! every change, starting with the status it is in now, then one `result` event (the job
//! document, as `GET /v2/jobs/{job_id}` returns it) when it ends; then the response ends.
//! Changes are pushed from the job's NATS event subject: one core subscription per stream,
//! no polling. The subscription is made before the current status is read, so no change
//! can fall between the two; a change seen twice is sent once. Idle streams carry a
//! keep-alive comment every `events.sse_keepalive_secs` so proxies keep them open.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use naas_nats::JobEvent;
use naas_shared::domain::JobId;
use naas_shared::job::JobRecord;
use naas_shared::metrics::Held;
use naas_shared::platform::Platforms;
use naas_shared::store::JobStore;

use crate::auth::{Realm, authenticate};
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::state::AppState;

/// One Server-Sent Event of a job stream.
#[derive(utoipa::ToSchema)]
#[schema(examples(json!({
    "event": "status", "id": "0b6f3c2e-8a4d-4e55-9a51-3f1b2c7d9e10:queued:0",
    "data": "{\"event_id\":\"0b6f3c2e-8a4d-4e55-9a51-3f1b2c7d9e10:queued:0\",\"status\":\"queued\"}"
})))]
#[allow(dead_code)] // Documentation only: the events are built in `progress`.
pub struct JobStreamEvent {
    /// `status` (a lifecycle event) or `result` (the job document, last).
    #[schema(value_type = String, pattern = "^(status|result)$")]
    event: &'static str,
    /// The lifecycle event's `event_id` (status events).
    id: Option<String>,
    /// The event or the document, as JSON text.
    #[schema(content_media_type = "application/json")]
    data: String,
}

#[utoipa::path(
    get, path = "/v2/jobs/{job_id}/stream", tag = "jobs", operation_id = "stream_job",
    summary = "Follow a job (Server-Sent Events)",
    description = "`status` events (the job's lifecycle event, JSON) on every change, starting with the status it \
                   is in now, then one `result` event (the job document, as `GET /v2/jobs/{job_id}` returns it) \
                   when it ends; then the response ends. Idle streams carry a `: keep-alive` comment. Role: viewer.",
    params(("job_id" = JobId, Path, description = "The job's id.")),
    responses(
        (status = 200, description = "The event stream; the schema is that of each event.",
            content_type = "text/event-stream", body = JobStreamEvent),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn follow(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(job_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = authenticate(&headers, &state, Realm::Jobs, &request_id).await?;
    let job_id = JobId::parse(&job_id).map_err(|_| ApiError::NotFound)?;
    let record = match state.store.get(job_id).await.map_err(ApiError::store)? {
        Some(record) if caller.may_see(&record) => record,
        _ => return Err(ApiError::NotFound),
    };
    let subject = state.topology.job_events(&record.context, &record.doc.host, job_id);
    let nats_down = |e: &dyn std::fmt::Display| ApiError::Unavailable { what: "NATS", cause: e.to_string() };
    let changes = state.nats.subscribe(subject).await.map_err(|e| nats_down(&e))?;
    // The server has the subscription once the flush returns: from here no change is missed.
    state.nats.flush().await.map_err(|e| nats_down(&e))?;
    let current = state.store.get(job_id).await.map_err(ApiError::store)?.unwrap_or(record);
    tracing::debug!(job.id = %job_id, status = current.doc.status.as_str(), "job stream opened");
    let keep_alive = Duration::from_secs(state.settings.events.sse_keepalive_secs);
    let open = Held::new(&state.metrics, "naas_job_streams_open");
    let redact = caller.redact.then(|| state.platforms.clone());
    let events = progress(state.store.clone(), open, current, changes, redact);
    let mut response =
        Sse::new(events).keep_alive(KeepAlive::new().interval(keep_alive).text("keep-alive")).into_response();
    // Buffering proxies (nginx) would hold the events back.
    response.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    Ok(response)
}

enum Phase {
    /// The status the job is in when the stream opens.
    Current(Box<JobRecord>),
    /// Waiting for changes; `last` is the `event_id` sent last.
    Live {
        changes: async_nats::Subscriber,
        last: String,
    },
    /// The job ended: its document goes out, then the stream ends.
    Result(Box<JobRecord>),
    Done,
}

struct Progress {
    store: JobStore,
    _open: Held,
    /// Set when the caller's results are redacted.
    redact: Option<Platforms>,
    phase: Phase,
    changes: Option<async_nats::Subscriber>,
}

fn status_event(event: &JobEvent) -> Event {
    let data = serde_json::to_string(event).expect("events serialise");
    Event::default().event("status").id(event.event_id.clone()).data(data)
}

/// The events of one stream, as a state machine over [`Phase`].
fn progress(
    store: JobStore,
    open: Held,
    current: JobRecord,
    changes: async_nats::Subscriber,
    redact: Option<Platforms>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let start =
        Progress { store, _open: open, redact, phase: Phase::Current(Box::new(current)), changes: Some(changes) };
    futures::stream::unfold(start, |mut state| async move {
        loop {
            match std::mem::replace(&mut state.phase, Phase::Done) {
                Phase::Done => return None,
                Phase::Current(record) => {
                    let event = JobEvent::of(&record);
                    state.phase = if record.doc.status.is_terminal() {
                        Phase::Result(record)
                    } else {
                        let changes = state.changes.take().expect("subscribed once");
                        Phase::Live { changes, last: event.event_id.clone() }
                    };
                    return Some((Ok(status_event(&event)), state));
                }
                Phase::Result(mut record) => {
                    if let Some(platforms) = &state.redact {
                        crate::redaction::redact(platforms, &mut record.doc);
                    }
                    let data = serde_json::to_string(&record.doc).expect("documents serialise");
                    return Some((Ok(Event::default().event("result").data(data)), state));
                }
                Phase::Live { mut changes, last } => {
                    let message = changes.next().await?;
                    let Ok(event) = serde_json::from_slice::<JobEvent>(&message.payload) else {
                        state.phase = Phase::Live { changes, last };
                        continue;
                    };
                    if event.event_id == last {
                        state.phase = Phase::Live { changes, last };
                        continue;
                    }
                    if event.status.is_terminal() {
                        // The document was stored before its event was published.
                        state.phase = match state.store.get(event.job_id).await {
                            Ok(Some(record)) => Phase::Result(Box::new(record)),
                            Ok(None) => Phase::Done,
                            Err(error) => {
                                tracing::warn!(%error, job.id = %event.job_id, "cannot read the ended job for its stream");
                                Phase::Done
                            }
                        };
                    } else {
                        state.phase = Phase::Live { changes, last: event.event_id.clone() };
                    }
                    return Some((Ok(status_event(&event)), state));
                }
            }
        }
    })
}
