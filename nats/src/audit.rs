//! Audit events: JSON with `event_type`, `timestamp` and `request_id` where one exists,
//! logged and published on `<prefix>.audit.<event_type>`. Callers pass only safe fields:
//! never passwords, enable secrets, tokens or command output.

use serde_json::{Map, Value, json};

use crate::Topology;

#[derive(Clone)]
pub struct Audit {
    client: async_nats::Client,
    topology: Topology,
}

impl Audit {
    pub fn new(client: async_nats::Client, topology: Topology) -> Self {
        Self { client, topology }
    }

    /// Logs the event and publishes it; a failed publish is logged, never fatal to the job.
    pub async fn emit(&self, event_type: &str, request_id: Option<&str>, fields: Value) {
        let event = event(event_type, request_id, fields);
        let text = event.to_string();
        tracing::info!(target: "naas::audit", event_type, event = text.as_str(), "audit event");
        if let Err(error) = self.client.publish(self.topology.audit_subject(event_type), text.into()).await {
            tracing::warn!(%error, event_type, "audit event could not be published");
        }
    }
}

/// Builds the event document; `fields` must be a JSON object.
pub fn event(event_type: &str, request_id: Option<&str>, fields: Value) -> Value {
    let mut map = Map::new();
    map.insert("event_type".into(), json!(event_type));
    let now =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    map.insert("timestamp".into(), json!(now));
    if let Some(id) = request_id {
        map.insert("request_id".into(), json!(id));
    }
    if let Value::Object(extra) = fields {
        map.extend(extra);
    }
    Value::Object(map)
}
