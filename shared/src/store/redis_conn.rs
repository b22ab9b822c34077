//! The one Redis connection every process uses: a single server (reconnecting
//! `ConnectionManager`), a Redis Cluster (`ClusterConnection`, which follows slot moves
//! and reconnects to nodes by itself), or the primary that Redis Sentinel names (followed
//! through a failover, [`sentinel`]), chosen by `redis.url` / `redis.cluster` /
//! `redis.sentinel`.
//!
//! Both are cheap to clone and implement [`redis::aio::ConnectionLike`], so commands,
//! scripts and pipelines are written once. What a cluster demands of them is in the key
//! layout, not here: a Lua script, a `MULTI` or a pipeline may only touch keys of one hash
//! slot (the cluster client sends a pipeline whole to the node of its first key), so keys
//! used together share a hash tag. The key layout and its tags are listed in
//! `docs/ARCHITECTURE.md`.
//!
//! `SCAN` sees one node's keys; [`RedisConn::scan_match`] walks every primary.
//!
//! Every exchange with Redis is counted here, under the [`Op`] the repository named with
//! [`RedisConn::op`] ([`super::round_trips`]).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::round_trips::{Op, RoundTrips};
use crate::config::RedisSettings;

pub mod sentinel;

/// Connect and response timeouts: a dead Redis turns into a prompt error (and a 503)
/// rather than a hung request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection, and the round trips it and its clones made. A clone shares the link
/// and the counts; [`RedisConn::op`] names what the clone's round trips are for.
#[derive(Clone)]
pub struct RedisConn {
    link: Link,
    round_trips: RoundTrips,
    op: Op,
}

/// What a [`RedisConn`] talks to.
#[derive(Clone)]
pub enum Link {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(sentinel::Primary),
}

impl From<Link> for RedisConn {
    fn from(link: Link) -> Self {
        Self { link, round_trips: RoundTrips::default(), op: Op::Other }
    }
}

/// Connects (fails fast when Redis is unreachable) and keeps reconnecting afterwards.
/// `rediss://` URLs use TLS, verified against `ca_file` when one is configured. With
/// several comma-separated URLs, or `cluster = true`, the URLs are seed nodes of a Redis
/// Cluster.
pub async fn connect(settings: &RedisSettings) -> Result<RedisConn, RedisError> {
    let urls = settings.urls();
    let root = if settings.ca_file.is_empty() {
        None
    } else {
        Some(
            std::fs::read(&settings.ca_file)
                .map_err(|e| RedisError::from((redis::ErrorKind::Io, "cannot read redis.ca_file", e.to_string())))?,
        )
    };
    if settings.is_cluster() {
        let mut builder = ClusterClientBuilder::new(urls)
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .retries(3)
            .max_retry_wait(1000);
        if let Some(root) = root {
            builder = builder.certs(redis::TlsCertificates { client_tls: None, root_cert: Some(root) });
        }
        let client = builder.build()?;
        return Ok(Link::Cluster(client.get_async_connection().await?).into());
    }
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    if settings.is_sentinel() {
        let primary = sentinel::Primary::connect(&urls, &settings.sentinel, root, config).await?;
        return Ok(Link::Sentinel(primary).into());
    }
    let url = urls.first().copied().unwrap_or_default();
    let client = match root {
        None => redis::Client::open(url)?,
        Some(root) => {
            redis::Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert: Some(root) })?
        }
    };
    Ok(Link::Single(ConnectionManager::new_with_config(client, config).await?).into())
}

/// Whether Redis refused a write for lack of memory (`maxmemory` reached under the
/// `noeviction` policy: `OOM command not allowed when used memory > 'maxmemory'`), alone,
/// inside a script, a pipeline or a transaction.
pub fn out_of_memory(error: &RedisError) -> bool {
    error.code() == Some("OOM")
        || error.clone().into_server_errors().is_some_and(|errors| errors.iter().any(|(_, e)| e.code() == "OOM"))
}

/// A server's memory: what it uses and its `maxmemory` (0: none set), bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub used: u64,
    pub max: u64,
}

impl Memory {
    /// Reads `used_memory` and `maxmemory` from the text of `INFO memory`.
    pub fn parse(info: &str) -> Option<Self> {
        let field = |name: &str| {
            info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.trim().parse::<u64>().ok())
        };
        Some(Self { used: field("used_memory")?, max: field("maxmemory")? })
    }
}

impl RedisConn {
    /// A clone whose round trips count under `op`.
    pub fn op(&self, op: Op) -> Self {
        Self { link: self.link.clone(), round_trips: self.round_trips.clone(), op }
    }

    /// The round trips this connection and its clones made so far.
    pub fn round_trips(&self) -> RoundTrips {
        self.round_trips.clone()
    }

    pub fn link(&self) -> &Link {
        &self.link
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.link, Link::Cluster(_))
    }

    /// The memory of the one server; `None` on a cluster (each shard has its own).
    pub async fn memory(&self) -> RedisResult<Option<Memory>> {
        if self.is_cluster() {
            return Ok(None);
        }
        let mut conn = self.op(Op::Memory);
        let info: String = redis::cmd("INFO").arg("memory").query_async(&mut conn).await?;
        Ok(Memory::parse(&info))
    }

    /// Every key matching `pattern`, scanned in batches (never one long blocking command)
    /// on the one server, or on every primary of a cluster.
    pub async fn scan_match(&self, pattern: &str) -> RedisResult<Vec<String>> {
        let mut found = Vec::new();
        match &self.link {
            Link::Single(_) | Link::Sentinel(_) => {
                let mut conn = self.op(Op::Scan);
                let mut cursor = 0u64;
                loop {
                    let (next, keys): (u64, Vec<String>) = scan(cursor, pattern).query_async(&mut conn).await?;
                    found.extend(keys);
                    if next == 0 {
                        return Ok(found);
                    }
                    cursor = next;
                }
            }
            Link::Cluster(conn) => {
                let mut conn = conn.clone();
                for (host, port) in self.primaries().await? {
                    let mut cursor = 0u64;
                    loop {
                        let node =
                            RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host: host.clone(), port });
                        self.round_trips.count(Op::Scan);
                        let reply = conn.route_command(scan(cursor, pattern), node).await?;
                        let (next, keys): (u64, Vec<String>) = redis::from_redis_value(reply)?;
                        found.extend(keys);
                        if next == 0 {
                            break;
                        }
                        cursor = next;
                    }
                }
                Ok(found)
            }
        }
    }

    /// The primaries of a cluster (host, port), from `CLUSTER SLOTS`; empty for one server.
    pub async fn primaries(&self) -> RedisResult<Vec<(String, u16)>> {
        if !self.is_cluster() {
            return Ok(Vec::new());
        }
        let mut conn = self.op(Op::ClusterSlots);
        let slots: Vec<Value> = redis::cmd("CLUSTER").arg("SLOTS").query_async(&mut conn).await?;
        let mut primaries = Vec::new();
        for range in slots {
            let Value::Array(range) = range else { continue };
            // [start, end, [host, port, id, …], replicas…]
            let Some(primary) = range.into_iter().nth(2) else { continue };
            let (host, port): (String, u16) = match primary {
                Value::Array(node) if node.len() >= 2 => {
                    let mut node = node.into_iter();
                    let host = node.next().expect("two fields");
                    let port = node.next().expect("two fields");
                    (redis::from_redis_value(host)?, redis::from_redis_value(port)?)
                }
                _ => continue,
            };
            if !primaries.contains(&(host.clone(), port)) {
                primaries.push((host, port));
            }
        }
        Ok(primaries)
    }
}

fn scan(cursor: u64, pattern: &str) -> Cmd {
    let mut cmd = redis::cmd("SCAN");
    cmd.arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(500);
    cmd
}

/// One command or one pipeline is one round trip, counted before it is sent (a failed
/// exchange took its time too).
impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        self.round_trips.count(self.op);
        match &mut self.link {
            Link::Single(conn) => conn.req_packed_command(cmd),
            Link::Cluster(conn) => conn.req_packed_command(cmd),
            Link::Sentinel(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        self.round_trips.count(self.op);
        match &mut self.link {
            Link::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Link::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
            Link::Sentinel(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.link {
            Link::Single(conn) => conn.get_db(),
            Link::Cluster(conn) => conn.get_db(),
            Link::Sentinel(conn) => conn.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::config::Settings;

    fn redis_with(env: &[(&str, &str)]) -> crate::config::RedisSettings {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::load_from(None, env).unwrap().redis
    }

    #[test]
    fn one_url_is_one_server_unless_told_otherwise() {
        let single = redis_with(&[]);
        assert_eq!(single.urls(), ["redis://127.0.0.1:6379"]);
        assert!(!single.is_cluster());
        let told = redis_with(&[("NAAS_REDIS__CLUSTER", "true")]);
        assert!(told.is_cluster());
    }

    #[test]
    fn several_urls_are_the_seeds_of_a_cluster() {
        let seeds = redis_with(&[("NAAS_REDIS__URL", "redis://10.0.0.1:6379, redis://10.0.0.2:6379,")]);
        assert_eq!(seeds.urls(), ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"]);
        assert!(seeds.is_cluster());
    }

    #[test]
    fn with_a_sentinel_name_the_urls_are_sentinels_not_cluster_seeds() {
        let sentinels = redis_with(&[
            ("NAAS_REDIS__URL", "redis://10.0.0.1:26379,redis://10.0.0.2:26379"),
            ("NAAS_REDIS__SENTINEL", "naas"),
        ]);
        assert!(sentinels.is_sentinel());
        assert!(!sentinels.is_cluster());
    }
}
