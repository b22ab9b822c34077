//! The Redis job store: one sealed record per job, expiring with the result TTL.
//!
//! Records are sealed with the key ring before they reach Redis (they hold command
//! output), bound to their job id so records cannot be swapped between keys. Keys are
//! `<prefix>:job:<job_id>`.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::RedisSettings;
use crate::domain::JobId;
use crate::job::JobRecord;
use crate::seal::{SealError, Sealer};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis is unavailable: {0}")]
    Unavailable(#[from] redis::RedisError),
    #[error("stored job record cannot be opened: {0}")]
    Sealed(#[from] SealError),
    #[error("stored job record is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
}

#[derive(Clone)]
pub struct JobStore {
    conn: ConnectionManager,
    prefix: Arc<str>,
    sealer: Arc<Sealer>,
    ttl: Duration,
}

impl JobStore {
    /// Connects (fails fast when Redis is unreachable) and keeps reconnecting afterwards.
    pub async fn connect(
        settings: &RedisSettings,
        prefix: &str,
        sealer: Arc<Sealer>,
        ttl: Duration,
    ) -> Result<Self, StoreError> {
        let conn = connect(settings).await?;
        Ok(Self { conn, prefix: prefix.into(), sealer, ttl })
    }

    fn key(&self, id: JobId) -> String {
        format!("{}:job:{id}", self.prefix)
    }

    pub async fn put(&self, record: &JobRecord) -> Result<(), StoreError> {
        let id = record.doc.job_id;
        let plain = serde_json::to_vec(record)?;
        let sealed = self.sealer.seal_string(&plain, id.to_string().as_bytes());
        let mut conn = self.conn.clone();
        let _: () = conn.set_ex(self.key(id), sealed, self.ttl.as_secs().max(1)).await?;
        Ok(())
    }

    pub async fn get(&self, id: JobId) -> Result<Option<JobRecord>, StoreError> {
        let mut conn = self.conn.clone();
        let sealed: Option<String> = conn.get(self.key(id)).await?;
        let Some(sealed) = sealed else { return Ok(None) };
        let plain = self.sealer.open_string(&sealed, id.to_string().as_bytes())?;
        Ok(Some(serde_json::from_slice(&plain)?))
    }

    pub async fn delete(&self, id: JobId) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: () = conn.del(self.key(id)).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

/// A reconnecting Redis connection with bounded connect and response times, so a dead
/// Redis turns into a prompt error (and a 503) rather than a hung request. `rediss://` URLs
/// use TLS, verified against `ca_file` when one is configured.
pub async fn connect(settings: &RedisSettings) -> Result<ConnectionManager, redis::RedisError> {
    let url = settings.url.expose().as_str();
    let client = if settings.ca_file.is_empty() {
        redis::Client::open(url)?
    } else {
        let root = std::fs::read(&settings.ca_file)
            .map_err(|e| redis::RedisError::from((redis::ErrorKind::Io, "cannot read redis.ca_file", e.to_string())))?;
        redis::Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert: Some(root) })?
    };
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(3)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    ConnectionManager::new_with_config(client, config).await
}
