//! The naas HTTPS API: authenticates callers, validates and queues jobs on NATS
//! JetStream, and serves job documents from the Redis store.
//!
//! [`build`] connects and binds (failing fast, port 0 allowed); [`Api::run_until_stopped`]
//! serves until the shutdown token fires, then drains in-flight requests.

pub mod admission;
pub mod auth;
pub mod body_limit;
pub mod connections;
pub mod enqueue;
pub mod error;
pub mod metrics;
pub mod queue_position;
pub mod rate_limit;
pub mod redaction;
pub mod request_id;
mod routes;
pub mod state;
pub mod submit;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use naas_shared::config::Settings;
use naas_shared::store::{ApiKeyStore, CallerStore, Lockouts};
use tokio_util::sync::CancellationToken;

use crate::state::{AppState, Inner};

/// A bound, connected API ready to serve.
pub struct Api {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    tls: tls::Certificates,
    state: AppState,
}

pub async fn build(settings: Settings) -> anyhow::Result<Api> {
    let platforms = settings.platforms().map_err(|errors| anyhow::anyhow!(errors.join("; ")))?;
    let backends = naas_nats::connect_backends(&settings, "naas-api").await?;
    let tls = tls::Certificates::load(&settings.tls, naas_shared::now())?;
    let listener =
        std::net::TcpListener::bind(settings.api.listen).with_context(|| format!("binding {}", settings.api.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let tokens = auth::tokens::Tokens::new(&settings.auth, &backends.sealer).map_err(anyhow::Error::msg)?;
    let redis = backends.store.connection();
    let round_trips = redis.round_trips();
    let keys = auth::keys::KeyStore::new(ApiKeyStore::new(redis.clone(), &settings.prefix));
    let callers = CallerStore::new(redis.clone(), &settings.prefix);
    let limits = &settings.rate_limit;
    let rate_limiter = limits.enabled.then(|| {
        rate_limit::RateLimiter::new(
            callers.clone(),
            Duration::from_secs(limits.window_secs),
            limits.per_caller,
            limits.per_caller_device,
        )
    });
    let lockouts = Lockouts::new(redis, &settings.prefix);
    let admission = admission::Admission::new(backends.store.clone(), settings.redis.admission_max_memory_percent);
    let queue_position = queue_position::QueuePosition::new(backends.jetstream.clone(), &backends.topology);
    let state = AppState(Arc::new(Inner {
        admission,
        queue_position,
        callers,
        lockouts,
        rate_limiter,
        tokens,
        keys,
        settings,
        nats: backends.nats,
        jetstream: backends.jetstream,
        topology: backends.topology,
        store: backends.store,
        sealer: backends.sealer,
        platforms,
        audit: backends.audit,
        events: backends.events,
        metrics: Arc::new(
            naas_shared::metrics::Metrics::new(&[
                naas_shared::metrics::COMMON,
                naas_shared::metrics::OUTCOMES,
                metrics::CATALOGUE,
            ])
            .with_round_trips(round_trips),
        ),
    }));
    tls.record(&state.metrics);
    Ok(Api { listener, addr, tls, state })
}

impl naas_shared::service::Service for Api {
    const PROCESS: naas_shared::config::Process = naas_shared::config::Process::Api;

    async fn run_until_stopped(self, token: CancellationToken) -> anyhow::Result<()> {
        Api::run_until_stopped(self, token).await
    }

    /// `GET /livez` over TLS on the API's own port.
    async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
        naas_shared::healthcheck::api(settings).await
    }

    async fn provision(settings: &Settings) -> anyhow::Result<()> {
        naas_nats::backends::provision_topology(settings, "naas-api provision").await
    }
}

impl Api {
    /// The round trips to Redis this API has made so far, per operation (also exported as
    /// `naas_redis_round_trips_total`).
    pub fn round_trips(&self) -> naas_shared::store::RoundTrips {
        self.state.store.connection().round_trips()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn run_until_stopped(self, token: CancellationToken) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.state.settings.api.shutdown_grace_secs);
        let header_timeout = self.state.settings.api.header_read_timeout_secs;
        let max_connections = self.state.settings.api.max_connections;
        let handle: Handle<SocketAddr> = Handle::new();
        let stopper = handle.clone();
        let tls = RustlsConfig::from_config(self.tls.config());
        let metrics = self.state.metrics.clone();
        tokio::spawn(tls::watch(self.tls, tls.clone(), metrics, Duration::from_secs(2), token.clone()));
        tokio::spawn(async move {
            token.cancelled().await;
            tracing::info!(grace_s = grace.as_secs(), "API stopping: draining in-flight requests");
            stopper.graceful_shutdown(Some(grace));
        });
        tracing::info!(addr = %self.addr, "API listening (HTTPS)");
        let app = routes::router(self.state);
        let limit = connections::ConnectionLimit::new(max_connections);
        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(limit);
        let mut server = axum_server::from_tcp(self.listener)?.acceptor(acceptor);
        // Slow-loris: a client must send its request headers within the limit.
        server
            .http_builder()
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(Duration::from_secs(header_timeout));
        server.handle(handle).serve(app.into_make_service()).await.context("serving HTTPS")?;
        tracing::info!("API stopped");
        Ok(())
    }
}
