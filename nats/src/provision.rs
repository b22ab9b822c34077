//! Connecting to NATS and creating (or updating) the streams and the worker consumer.
//!
//! Provisioning is idempotent: every process runs it at start-up, so any of them may be
//! the first to start, and a changed setting (replicas, TTL) is applied on the next start.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::context::CreateStreamErrorKind;
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, Context};
use naas_shared::config::{NatsSettings, Settings};

use crate::Topology;

/// How often the client pings its server. A server that stops answering (cut off by the
/// network rather than closed: no RST ever arrives) is given up after two unanswered
/// pings and the client moves to another server of the list, so a cut-off node costs
/// about 10 s of refused submissions (503) instead of the client default's two minutes.
const PING_INTERVAL: Duration = Duration::from_secs(5);

/// Connects to the comma-separated server list; fails if none answers in time.
pub async fn connect(
    settings: &NatsSettings,
    client_name: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let urls: Vec<&str> = settings.url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect();
    let mut options = async_nats::ConnectOptions::new();
    if !settings.ca_file.is_empty() {
        options = options.add_root_certificates(settings.ca_file.clone().into());
    }
    if settings.require_tls || urls.iter().any(|u| u.starts_with("tls://")) {
        options = options.require_tls(true);
    }
    if let Some(password) = &settings.password {
        options = options.user_and_password(settings.user.clone(), password.expose().clone());
    }
    if let Some(token) = &settings.token {
        options = options.token(token.expose().clone());
    }
    options
        .name(client_name)
        .connection_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .max_reconnects(None)
        .ping_interval(PING_INTERVAL)
        .connect(urls)
        .await
}

/// What provisioning hands back to the processes that need it.
pub struct Provisioned {
    pub jetstream: Context,
    pub workers: jetstream::consumer::Consumer<pull::Config>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("creating stream {stream}: {source}")]
    Stream { stream: String, source: jetstream::context::CreateStreamError },
    #[error("creating consumer {consumer}: {source}")]
    Consumer { consumer: String, source: jetstream::stream::ConsumerError },
    #[error("looking up stream {stream}: {source}")]
    Lookup { stream: String, source: jetstream::context::GetStreamError },
}

/// The jobs stream: work-queue retention, file storage, de-duplication by job id.
pub fn jobs_stream_config(topology: &Topology, settings: &NatsSettings) -> stream::Config {
    stream::Config {
        name: topology.jobs_stream(),
        subjects: vec![topology.jobs_wildcard()],
        retention: RetentionPolicy::WorkQueue,
        storage: StorageType::File,
        num_replicas: settings.replicas,
        duplicate_window: Duration::from_secs(settings.duplicate_window_secs),
        max_messages: settings.max_queued_jobs,
        discard: DiscardPolicy::New,
        ..Default::default()
    }
}

/// The results stream: every terminal job document, kept for the result TTL and within
/// `nats.results_max_bytes` / `results_max_msgs`, the oldest leaving first.
pub fn results_stream_config(topology: &Topology, settings: &NatsSettings, result_ttl: Duration) -> stream::Config {
    stream::Config {
        name: topology.results_stream(),
        subjects: vec![topology.results_wildcard()],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        num_replicas: settings.replicas,
        max_age: result_ttl,
        max_bytes: settings.results_max_bytes,
        max_messages: settings.results_max_msgs,
        discard: DiscardPolicy::Old,
        duplicate_window: Duration::from_secs(settings.duplicate_window_secs),
        allow_direct: true,
        ..Default::default()
    }
}

/// The events stream: every job's lifecycle events, kept for `events.retention_secs` and
/// within `events.max_bytes` / `max_msgs`, the oldest leaving first.
pub fn events_stream_config(topology: &Topology, settings: &Settings) -> stream::Config {
    stream::Config {
        name: topology.events_stream(),
        subjects: vec![topology.events_wildcard()],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        num_replicas: settings.nats.replicas,
        max_age: Duration::from_secs(settings.events.retention_secs),
        max_bytes: settings.events.max_bytes,
        max_messages: settings.events.max_msgs,
        discard: DiscardPolicy::Old,
        duplicate_window: Duration::from_secs(settings.nats.duplicate_window_secs),
        allow_direct: true,
        ..Default::default()
    }
}

/// The durable consumer webhook deliveries come from: terminal events only, new ones from
/// when it is first created. Each delivery is retried (nak with a delay) per
/// `webhooks.retry_delays_ms`, so one message may be delivered that many times plus one.
pub fn webhooks_consumer_config(topology: &Topology, settings: &Settings) -> pull::Config {
    let attempt_limit = Duration::from_secs(settings.webhooks.timeout_secs);
    pull::Config {
        durable_name: Some(topology.webhooks_consumer()),
        description: Some("naas webhook deliveries".into()),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::New,
        ack_wait: attempt_limit * 3,
        max_deliver: settings.webhooks.retry_delays_ms.len() as i64 + 1,
        filter_subjects: topology.terminal_events(),
        num_replicas: settings.nats.replicas,
        ..Default::default()
    }
}

/// The durable pull consumer every worker shares.
pub fn workers_consumer_config(topology: &Topology, settings: &NatsSettings) -> pull::Config {
    pull::Config {
        durable_name: Some(topology.workers_consumer()),
        description: Some("naas workers".into()),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        ack_wait: Duration::from_secs(settings.ack_wait_secs),
        max_deliver: settings.max_deliver,
        filter_subject: topology.jobs_wildcard(),
        num_replicas: settings.replicas,
        ..Default::default()
    }
}

/// How often a stream's creation is asked for when JetStream does not answer in time (each
/// request waits for the client's request timeout, 5 s by default).
const STREAM_TRIES: u32 = 6;

/// Creates or updates the streams and the worker consumer.
pub async fn provision(
    client: async_nats::Client,
    topology: &Topology,
    all: &Settings,
) -> Result<Provisioned, ProvisionError> {
    let js = jetstream::new(client);
    let settings = &all.nats;
    let streams = [
        jobs_stream_config(topology, settings),
        results_stream_config(topology, settings, all.result_ttl()),
        events_stream_config(topology, all),
    ];
    for config in streams {
        let name = config.name.clone();
        // A cluster that has just formed (or lost a node) may not answer JetStream requests
        // until it has elected its leaders: a timed-out request is tried again, for a while.
        let mut tries = STREAM_TRIES;
        loop {
            match js.create_or_update_stream(config.clone()).await {
                Ok(_) => break,
                Err(source) if source.kind() == CreateStreamErrorKind::TimedOut && tries > 1 => {
                    tries -= 1;
                    tracing::warn!(stream = name.as_str(), "JetStream did not answer in time; trying again");
                }
                Err(source) => return Err(ProvisionError::Stream { stream: name, source }),
            }
        }
    }
    let jobs = js
        .get_stream(topology.jobs_stream())
        .await
        .map_err(|source| ProvisionError::Lookup { stream: topology.jobs_stream(), source })?;
    let workers = jobs
        .create_consumer(workers_consumer_config(topology, settings))
        .await
        .map_err(|source| ProvisionError::Consumer { consumer: topology.workers_consumer(), source })?;
    tracing::debug!(prefix = topology.prefix(), "NATS topology provisioned");
    Ok(Provisioned { jetstream: js, workers })
}
