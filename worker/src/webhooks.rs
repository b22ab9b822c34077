//! Webhook deliveries: a job submitted with `webhook_url` gets its terminal document POSTed
//! there, signed, by whichever worker pulls its terminal event from the shared durable
//! `webhooks` consumer on the events stream.
//!
//! A failed attempt (no answer within `webhooks.timeout_secs`, or not 2xx) is handed back
//! with the next pause of `webhooks.retry_delays_ms` (5 s, 30 s, 5 min, 30 min by default)
//! and given up after the last; JetStream keeps the pending delivery, so it survives worker
//! restarts. A target the policy refuses (see `naas_shared::webhook`) is dropped at once:
//! the address is checked when the name resolves, at every attempt, and the connection is
//! made only to an address that passed (no redirects, no proxies), so DNS cannot steer a
//! delivery inside. Never sent: credentials (jobs do not keep them); the body is the job
//! document exactly as `GET /v2/jobs/{id}` returns it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{Consumer, pull};
use async_nats::jetstream::{AckKind, Message};
use futures::StreamExt;
use naas_nats::{JobEvent, Topology};
use naas_shared::config::Settings;
use naas_shared::metrics::Metrics;
use naas_shared::store::JobStore;
use naas_shared::webhook::{allowed, signature};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub struct Dispatcher {
    consumer: Consumer<pull::Config>,
    client: reqwest::Client,
    store: JobStore,
    settings: Settings,
    metrics: Arc<Metrics>,
}

/// Resolves names to the addresses the policy allows only, so the connection goes where
/// the check said.
struct CheckedResolver {
    settings: Settings,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let settings = self.settings.clone();
        Box::pin(async move {
            match resolve(name.as_str(), &settings).await {
                Ok(usable) => Ok(Box::new(usable.into_iter()) as Addrs),
                Err(Failure::Refused(reason) | Failure::Failed(reason)) => Err(reason.into()),
            }
        })
    }
}

/// The addresses of `host` a delivery may use: refused when it has addresses but none is
/// allowed, failed (worth retrying) when it does not resolve.
async fn resolve(host: &str, settings: &Settings) -> Result<Vec<SocketAddr>, Failure> {
    let found: Vec<SocketAddr> = match tokio::net::lookup_host((host, 0)).await {
        Ok(found) => found.collect(),
        Err(error) => return Err(Failure::Failed(format!("cannot resolve the target: {error}"))),
    };
    let policy = &settings.webhooks;
    let usable: Vec<SocketAddr> = found.iter().copied().filter(|a| allowed(a.ip(), policy).is_ok()).collect();
    match found.first() {
        None => Err(Failure::Failed("the target's name has no address".into())),
        Some(first) if usable.is_empty() => Err(Failure::Refused(allowed(first.ip(), policy).unwrap_err())),
        Some(_) => Ok(usable),
    }
}

/// Why one attempt did not deliver.
enum Failure {
    /// The target is not allowed: dropped, never retried.
    Refused(String),
    /// Worth another attempt.
    Failed(String),
}

pub async fn build(
    settings: &Settings,
    jetstream: &async_nats::jetstream::Context,
    topology: &Topology,
    store: JobStore,
    metrics: Arc<Metrics>,
) -> anyhow::Result<Option<Dispatcher>> {
    if !settings.webhooks.enabled() {
        return Ok(None);
    }
    let events = jetstream.get_stream(topology.events_stream()).await.context("looking up the events stream")?;
    let consumer = events
        .create_consumer(naas_nats::provision::webhooks_consumer_config(topology, settings))
        .await
        .context("creating the webhooks consumer")?;
    let policy = &settings.webhooks;
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(policy.timeout_secs))
        .user_agent(concat!("naas-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(CheckedResolver { settings: settings.clone() }));
    if !policy.ca_file.is_empty() {
        let pem =
            std::fs::read(&policy.ca_file).with_context(|| format!("reading webhooks.ca_file {}", policy.ca_file))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem).context("webhooks.ca_file")? {
            client = client.add_root_certificate(cert);
        }
    }
    let client = client.build().context("building the webhook client")?;
    Ok(Some(Dispatcher { consumer, client, store, settings: settings.clone(), metrics }))
}

impl Dispatcher {
    /// Delivers until `token` fires; in-flight attempts get one attempt's time to finish.
    pub async fn run(self, token: CancellationToken) {
        let this = Arc::new(self);
        let concurrency = this.settings.webhooks.concurrency;
        let permits = Arc::new(Semaphore::new(concurrency));
        let tracker = TaskTracker::new();
        let pulled =
            this.consumer.stream().max_messages_per_batch(concurrency.min(64)).heartbeat(Duration::from_secs(5));
        let mut messages = match pulled.expires(Duration::from_secs(10)).messages().await {
            Ok(messages) => messages,
            Err(error) => return tracing::error!(%error, "webhook deliveries cannot start"),
        };
        loop {
            let permit = tokio::select! {
                _ = token.cancelled() => break,
                permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            };
            let message = tokio::select! {
                _ = token.cancelled() => break,
                next = messages.next() => match next {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => {
                        tracing::warn!(%error, "pulling webhook deliveries failed; continuing");
                        continue;
                    }
                    None => {
                        tracing::error!("the webhooks consumer stream ended; deliveries stop until the worker restarts");
                        break;
                    }
                },
            };
            let this = this.clone();
            tracker.spawn(async move {
                this.handle(&message).await;
                drop(permit);
            });
        }
        let grace = Duration::from_secs(this.settings.webhooks.timeout_secs);
        naas_shared::shutdown::drain(&tracker, grace, "webhook deliveries").await;
    }

    async fn handle(&self, message: &Message) {
        let attempt = message.info().map(|i| i.delivered).unwrap_or(1).max(1) as usize;
        let Ok(event) = serde_json::from_slice::<JobEvent>(&message.payload) else {
            return settle(message, AckKind::Term).await;
        };
        let span =
            tracing::info_span!("webhook", job.id = %event.job_id, request_id = event.request_id.as_str(), attempt);
        let _entered = span.enter();
        let record = match self.store.get(event.job_id).await {
            Ok(Some(record)) => record,
            // Expired or never queued: nothing to deliver.
            Ok(None) => return settle(message, AckKind::Ack).await,
            Err(error) => {
                tracing::warn!(%error, "cannot read the job for its webhook; retrying");
                return settle(message, AckKind::Nak(Some(Duration::from_secs(5)))).await;
            }
        };
        let Some(url) = record.webhook_url.as_deref() else { return settle(message, AckKind::Ack).await };
        let delays = &self.settings.webhooks.retry_delays_ms;
        let (outcome, disposition) = match self.deliver(url, &record.doc, &event, attempt).await {
            Ok(()) => {
                tracing::info!("webhook delivered");
                ("delivered", AckKind::Ack)
            }
            Err(Failure::Refused(reason)) => {
                tracing::warn!(reason, "webhook target refused; not delivering");
                ("refused", AckKind::Term)
            }
            Err(Failure::Failed(reason)) => match delays.get(attempt - 1) {
                Some(&pause_ms) => {
                    tracing::info!(reason, retry_in_ms = pause_ms, "webhook attempt failed; retrying");
                    ("retried", AckKind::Nak(Some(Duration::from_millis(pause_ms))))
                }
                None => {
                    tracing::warn!(reason, "webhook attempt failed; giving up");
                    ("given_up", AckKind::Term)
                }
            },
        };
        self.metrics.inc("naas_webhook_deliveries_total", &[("outcome", outcome)]);
        settle(message, disposition).await;
    }

    /// One attempt. Reasons never quote the URL (its query may hold the receiver's token).
    async fn deliver(
        &self,
        url: &str,
        doc: &naas_shared::job::JobDocument,
        event: &JobEvent,
        attempt: usize,
    ) -> Result<(), Failure> {
        let url = naas_shared::webhook::check_url(url, &self.settings.webhooks).map_err(Failure::Refused)?;
        if let Some(url::Host::Domain(host)) = url.host() {
            resolve(host, &self.settings).await?;
        }
        let body = serde_json::to_vec(doc).expect("documents serialise");
        let secret = self.settings.webhooks.signing_secret.as_ref().expect("webhooks are enabled").expose();
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-NAAS-Signature", signature(secret.as_bytes(), &body))
            .header("X-NAAS-Delivery", event.event_id.as_str())
            .header("X-NAAS-Event", format!("job.{}", event.status.as_str()))
            .header("X-NAAS-Attempt", attempt.to_string())
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(Failure::Failed(format!("the receiver answered {}", response.status()))),
            Err(error) => Err(Failure::Failed(error.without_url().to_string())),
        }
    }
}

async fn settle(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "could not settle a webhook delivery with NATS");
    }
}
