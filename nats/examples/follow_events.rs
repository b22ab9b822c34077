//! Follows naas job lifecycle events, replaying what the events stream kept first.
//!
//! ```text
//! cargo run -p naas-nats --example follow_events -- [FILTER] [START]
//! ```
//! `FILTER` is a subject filter below `<prefix>.events.` (default `>`: everything), e.g.
//! `default.>` (one context), `*.10_0_0_1.>` (one device), `*.*.<job_id>.*` (one job).
//! `START` is a stream sequence (`42`), an RFC 3339 time (`2026-11-02T10:00:00Z`) or `new`
//! (only what happens from now on); default: everything the stream still holds.
//! `NATS_URL` (default `nats://127.0.0.1:4222`) and `NAAS_PREFIX` (default `naas`) select
//! the deployment.

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use futures::StreamExt;
use naas_nats::{JobEvent, Topology};
use time::format_description::well_known::Rfc3339;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let topology = Topology::new(&std::env::var("NAAS_PREFIX").unwrap_or_else(|_| "naas".into()));
    let mut args = std::env::args().skip(1);
    let filter = format!("{}.events.{}", topology.prefix(), args.next().unwrap_or_else(|| ">".into()));
    let deliver_policy = match args.next().as_deref() {
        None => DeliverPolicy::All,
        Some("new") => DeliverPolicy::New,
        Some(start) => match start.parse::<u64>() {
            Ok(start_sequence) => DeliverPolicy::ByStartSequence { start_sequence },
            Err(_) => DeliverPolicy::ByStartTime { start_time: time::OffsetDateTime::parse(start, &Rfc3339)? },
        },
    };
    let client = async_nats::connect(url).await?;
    let stream = jetstream::new(client).get_stream(topology.events_stream()).await?;
    // An ordered consumer: ephemeral, in stream order, recreated by the client on gaps.
    let consumer =
        stream.create_consumer(OrderedConfig { filter_subject: filter, deliver_policy, ..Default::default() }).await?;
    let mut messages = consumer.messages().await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        let sequence = message.info().map(|i| i.stream_sequence).unwrap_or_default();
        match serde_json::from_slice::<JobEvent>(&message.payload) {
            Ok(event) => println!(
                "#{sequence} {} job {} {} (attempt {}) on {} {}",
                event.timestamp.format(&Rfc3339)?,
                event.job_id,
                event.status.as_str(),
                event.attempt,
                event.host,
                event.error_code.map(|c| c.as_str()).unwrap_or(""),
            ),
            Err(error) => eprintln!("#{sequence} unreadable event on {}: {error}", message.subject),
        }
    }
    Ok(())
}
