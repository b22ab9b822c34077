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
use crate::job::{JobRecord, JobStatus};
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

/// KEYS: record. ARGV: new value, TTL s, allowed current statuses (comma-separated).
const TRANSITION: &str = r#"
local current = redis.call('GET', KEYS[1])
local status = 'queued'
if current then status = string.match(current, '^([a-z]+)|') or '' end
for allowed in string.gmatch(ARGV[3], '[^,]+') do
  if allowed == status then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 1
  end
end
return 0
"#;

fn status_name(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Started => "started",
        JobStatus::Finished => "finished",
        JobStatus::Failed => "failed",
        JobStatus::Canceled => "canceled",
    }
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

    /// `<status>|<sealed record>`: the status is not secret and stays readable, so a script
    /// can compare-and-set on it.
    fn encode(&self, record: &JobRecord) -> Result<String, StoreError> {
        let plain = serde_json::to_vec(record)?;
        let sealed = self.sealer.seal_string(&plain, record.doc.job_id.to_string().as_bytes());
        Ok(format!("{}|{sealed}", status_name(record.doc.status)))
    }

    pub async fn put(&self, record: &JobRecord) -> Result<(), StoreError> {
        let value = self.encode(record)?;
        let mut conn = self.conn.clone();
        let _: () = conn.set_ex(self.key(record.doc.job_id), value, self.ttl.as_secs().max(1)).await?;
        Ok(())
    }

    /// Writes `record` only if the stored status is one of `from` (or no record is
    /// stored and `from` includes `Queued`): the one way status moves, so a cancellation and
    /// a worker can never overwrite each other. Returns whether it wrote.
    pub async fn transition(&self, record: &JobRecord, from: &[JobStatus]) -> Result<bool, StoreError> {
        let value = self.encode(record)?;
        let allowed: Vec<&str> = from.iter().map(|s| status_name(*s)).collect();
        let mut conn = self.conn.clone();
        let written: i64 = redis::Script::new(TRANSITION)
            .key(self.key(record.doc.job_id))
            .arg(value)
            .arg(self.ttl.as_secs().max(1))
            .arg(allowed.join(","))
            .invoke_async(&mut conn)
            .await?;
        Ok(written == 1)
    }

    pub async fn get(&self, id: JobId) -> Result<Option<JobRecord>, StoreError> {
        let mut conn = self.conn.clone();
        let stored: Option<String> = conn.get(self.key(id)).await?;
        let Some(stored) = stored else { return Ok(None) };
        let sealed = stored.split_once('|').map_or(stored.as_str(), |(_, sealed)| sealed);
        let plain = self.sealer.open_string(sealed, id.to_string().as_bytes())?;
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
