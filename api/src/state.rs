//! What every handler can reach.

use std::sync::Arc;

use async_nats::jetstream;
use naas_nats::{Audit, Events, Topology};

use crate::auth::keys::KeyStore;
use crate::auth::tokens::Tokens;
use crate::rate_limit::RateLimiter;
use naas_shared::config::Settings;
use naas_shared::platform::Platforms;
use naas_shared::seal::Sealer;
use naas_shared::store::{CallerStore, JobStore, Lockouts};

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub nats: async_nats::Client,
    pub jetstream: jetstream::Context,
    pub topology: Topology,
    pub store: JobStore,
    pub sealer: Arc<Sealer>,
    pub platforms: Platforms,
    pub audit: Audit,
    pub events: Events,
    pub tokens: Tokens,
    pub keys: KeyStore,
    /// Submission limits; `None` when rate limiting is off.
    pub rate_limiter: Option<RateLimiter>,
    pub lockouts: Lockouts,
    /// Idempotency keys (and, through `rate_limiter`, the rate-limit windows).
    pub callers: CallerStore,
    /// Refuses submissions while Redis has no room for more jobs.
    pub admission: crate::admission::Admission,
    pub queue_position: crate::queue_position::QueuePosition,
    pub metrics: Arc<naas_shared::metrics::Metrics>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
