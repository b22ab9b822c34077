//! The primary that Redis Sentinel names, followed through a failover.
//!
//! The Sentinels are asked for the primary at start-up. Commands then go to it through a
//! reconnecting `ConnectionManager`, exactly as to a single server. When a command fails in
//! a way that says the primary may have changed (the connection is gone or refused, it timed
//! out, or the server answers `READONLY`: a demoted primary, now a replica), the Sentinels
//! are asked again; if they name another server, every clone of the connection moves there.
//! A command that certainly did not run (refused connection, `READONLY`) is then sent once
//! more; one that may have run returns its error (the caller's usual 503 or retry), and the
//! next command goes to the new primary.
//!
//! While the Sentinels have not yet promoted a replica they keep naming the dead primary, so
//! commands fail promptly (connect and response timeouts) until the promotion; the bound is
//! Sentinel's `down-after-milliseconds` plus its election (docs/operations.md).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Cmd, IntoConnectionInfo, Pipeline, RedisError, RedisFuture, RedisResult, TlsMode, Value};

/// One lookup (every Sentinel, then the primary's `ROLE`) gives up after this long.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Primary {
    inner: Arc<Inner>,
}

struct Inner {
    /// Held while asking: callers failing together share one lookup.
    sentinels: tokio::sync::Mutex<SentinelClient>,
    current: Mutex<Current>,
    config: ConnectionManagerConfig,
}

#[derive(Clone)]
struct Current {
    /// Bumped on every move, so a caller that saw an older connection does not ask again.
    generation: u64,
    address: String,
    conn: ConnectionManager,
}

impl Primary {
    /// Asks the Sentinels at `urls` for the primary `name` and connects to it. The user and
    /// password of the first URL authenticate to the Sentinels and to the Redis servers;
    /// `rediss://` Sentinels mean TLS to the servers too, verified against `root` (PEM).
    pub async fn connect(
        urls: &[&str],
        name: &str,
        root: Option<Vec<u8>>,
        config: ConnectionManagerConfig,
    ) -> RedisResult<Self> {
        let infos = urls.iter().map(|url| url.into_connection_info()).collect::<RedisResult<Vec<_>>>()?;
        let first = infos.first().ok_or_else(|| invalid("redis.url names no Sentinel"))?;
        let tls = matches!(first.addr(), redis::ConnectionAddr::TcpTls { .. });
        let settings = first.redis_settings().clone();
        let mut builder =
            SentinelClientBuilder::new(infos.iter().map(|i| i.addr().clone()), name, SentinelServerType::Master)?;
        if let Some(user) = settings.username() {
            builder = builder.set_client_to_redis_username(user).set_client_to_sentinel_username(user);
        }
        if let Some(password) = settings.password() {
            builder = builder.set_client_to_redis_password(password).set_client_to_sentinel_password(password);
        }
        if tls {
            builder = builder.set_client_to_redis_tls_mode(TlsMode::Secure);
            if let Some(root) = root {
                let certs = |root: Vec<u8>| redis::TlsCertificates { client_tls: None, root_cert: Some(root) };
                builder = builder
                    .set_client_to_redis_certificates(certs(root.clone()))
                    .set_client_to_sentinel_certificates(certs(root));
            }
        }
        let mut sentinels = builder.build()?;
        let (address, conn) = open(&mut sentinels, &config).await?;
        tracing::info!(primary = %address, sentinel = name, "redis: connected to the primary the Sentinels name");
        let current = Current { generation: 0, address, conn };
        Ok(Self {
            inner: Arc::new(Inner {
                sentinels: tokio::sync::Mutex::new(sentinels),
                current: Mutex::new(current),
                config,
            }),
        })
    }

    /// The address of the primary commands go to now.
    pub fn address(&self) -> String {
        self.current().address
    }

    fn current(&self) -> Current {
        self.inner.current.lock().expect("not poisoned").clone()
    }

    /// Asks the Sentinels for the primary and moves there when it is another server, unless
    /// another caller moved since `seen`. Whether the connection moved.
    async fn follow(&self, seen: u64) -> RedisResult<bool> {
        let mut sentinels = self.inner.sentinels.lock().await;
        let before = self.current();
        if before.generation != seen {
            return Ok(true);
        }
        let (address, conn) = open(&mut sentinels, &self.inner.config).await?;
        if address == before.address {
            return Ok(false);
        }
        tracing::warn!(from = %before.address, to = %address, "redis: the Sentinels name a new primary; moved to it");
        *self.inner.current.lock().expect("not poisoned") = Current { generation: seen + 1, address, conn };
        Ok(true)
    }

    /// Runs `send` on the current primary; on an error that says the primary may have
    /// changed, follows the Sentinels and, if the command did not run and the connection
    /// moved, sends it once more.
    async fn send<'a, T, F>(&'a self, send: F) -> RedisResult<T>
    where
        F: Fn(ConnectionManager) -> RedisFuture<'a, T>,
    {
        let Current { generation, conn, .. } = self.current();
        let error = match send(conn).await {
            Ok(value) => return Ok(value),
            Err(error) if primary_may_have_changed(&error) => error,
            Err(error) => return Err(error),
        };
        match self.follow(generation).await {
            Ok(true) if did_not_run(&error) => send(self.current().conn).await,
            Ok(_) => Err(error),
            Err(lookup) => {
                tracing::debug!(error = %lookup, "redis: asking the Sentinels for the primary failed");
                Err(error)
            }
        }
    }
}

async fn open(
    sentinels: &mut SentinelClient,
    config: &ConnectionManagerConfig,
) -> RedisResult<(String, ConnectionManager)> {
    let lookup = async {
        let client = sentinels.async_get_client().await?;
        let address = client.get_connection_info().addr().to_string();
        let conn = ConnectionManager::new_with_config(client, config.clone()).await?;
        Ok((address, conn))
    };
    tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await.unwrap_or_else(|_| {
        Err(RedisError::from((redis::ErrorKind::Io, "no answer from the Sentinels or the primary they name")))
    })
}

fn invalid(what: &'static str) -> RedisError {
    RedisError::from((redis::ErrorKind::InvalidClientConfig, what))
}

fn read_only(error: &RedisError) -> bool {
    error.code() == Some("READONLY")
        || error.clone().into_server_errors().is_some_and(|errors| errors.iter().any(|(_, e)| e.code() == "READONLY"))
}

/// The server is gone, unreachable, or no longer the primary.
fn primary_may_have_changed(error: &RedisError) -> bool {
    error.is_io_error() || error.is_connection_dropped() || error.is_timeout() || read_only(error)
}

/// The command certainly did not run: sending it again cannot run it twice.
fn did_not_run(error: &RedisError) -> bool {
    error.is_connection_refusal() || read_only(error)
}

impl ConnectionLike for Primary {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let this: &'a Primary = self;
        Box::pin(this.send(move |mut conn| Box::pin(async move { conn.req_packed_command(cmd).await })))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let this: &'a Primary = self;
        Box::pin(
            this.send(move |mut conn| Box::pin(async move { conn.req_packed_commands(pipeline, offset, count).await })),
        )
    }

    fn get_db(&self) -> i64 {
        self.current().conn.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demoted_primary_means_ask_again_and_resend() {
        let error = RedisError::from((redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly), "READONLY"));
        assert!(read_only(&error));
        assert!(primary_may_have_changed(&error));
        assert!(did_not_run(&error));
    }

    #[test]
    fn a_cut_connection_means_ask_again_but_not_resend() {
        let error = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(primary_may_have_changed(&error));
        assert!(!did_not_run(&error));
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(did_not_run(&refused));
    }

    #[test]
    fn a_script_error_stays_where_it_is() {
        let error = RedisError::from((redis::ErrorKind::Client, "bad argument"));
        assert!(!primary_may_have_changed(&error));
    }
}
