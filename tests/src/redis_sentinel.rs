//! Redis with Sentinel on loopback: a primary, two replicas of it and three Sentinels that
//! watch it under the name `naas` (quorum 2, the primary judged down after one second), each
//! with its own port and temp dir. Stopped and removed on Drop, like every server here.

use std::process::Command;
use std::time::Duration;

use crate::redis_cluster::node_connection;
use crate::servers::{RedisServer, Supervised, TempDir, free_port};

/// The name the Sentinels know the primary by (`redis.sentinel`).
pub const PRIMARY_NAME: &str = "naas";

pub struct Sentinel {
    _process: Supervised,
    _dir: TempDir,
    pub url: String,
}

pub struct RedisSentinels {
    pub primary: RedisServer,
    pub replicas: Vec<RedisServer>,
    pub sentinels: Vec<Sentinel>,
}

impl RedisSentinels {
    /// Starts the primary, its two replicas and three Sentinels, and waits until every
    /// Sentinel knows both replicas and the other two Sentinels (what a failover needs).
    pub async fn start() -> Self {
        let primary = RedisServer::start_with(&[], "redis");
        let port = port(&primary.url).to_string();
        let replica_of: Vec<String> = ["--replicaof", "127.0.0.1", &port].iter().map(|a| a.to_string()).collect();
        let replicas = (0..2).map(|_| RedisServer::start_with(&replica_of, "redis")).collect();
        let sentinels = (0..3).map(|_| Sentinel::start(&port)).collect();
        let set = Self { primary, replicas, sentinels };
        set.wait_until_watched().await;
        set
    }

    /// The Sentinels' URLs, comma-separated (the form `redis.url` takes with `redis.sentinel`).
    pub fn urls(&self) -> String {
        self.sentinels.iter().map(|s| s.url.clone()).collect::<Vec<_>>().join(",")
    }

    async fn wait_until_watched(&self) {
        let urls: Vec<String> = self.sentinels.iter().map(|s| s.url.clone()).collect();
        crate::wait::until("the Sentinels to know the replicas and each other", Duration::from_secs(30), || {
            let urls = urls.clone();
            async move {
                for url in &urls {
                    let mut conn = node_connection(url).await;
                    let replicas: Vec<redis::Value> =
                        redis::cmd("SENTINEL").arg("REPLICAS").arg(PRIMARY_NAME).query_async(&mut conn).await.ok()?;
                    let peers: Vec<redis::Value> =
                        redis::cmd("SENTINEL").arg("SENTINELS").arg(PRIMARY_NAME).query_async(&mut conn).await.ok()?;
                    if replicas.len() < 2 || peers.len() < 2 {
                        return None;
                    }
                }
                Some(())
            }
        })
        .await;
    }
}

/// The address (`host:port`) that at least two of the Sentinels name as the primary now.
pub async fn primary_address(sentinels: &[Sentinel]) -> Option<String> {
    let mut named = Vec::new();
    for sentinel in sentinels {
        let mut conn = node_connection(&sentinel.url).await;
        let reply: Option<(String, String)> = redis::cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(PRIMARY_NAME)
            .query_async(&mut conn)
            .await
            .ok()?;
        named.extend(reply.map(|(host, port)| format!("{host}:{port}")));
    }
    named.iter().find(|a| named.iter().filter(|b| b == a).count() >= 2).cloned()
}

impl Sentinel {
    fn start(primary_port: &str) -> Self {
        let dir = TempDir::new("redis-sentinel");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            // Sentinel rewrites its configuration file with what it learns, so it is a file of
            // its own in its own directory.
            let config = dir.path().join("sentinel.conf");
            let text = format!(
                "bind 127.0.0.1\nport {port}\ndir {dir}\n\
                 sentinel monitor {PRIMARY_NAME} 127.0.0.1 {primary_port} 2\n\
                 sentinel down-after-milliseconds {PRIMARY_NAME} 1000\n\
                 sentinel failover-timeout {PRIMARY_NAME} 10000\n\
                 sentinel parallel-syncs {PRIMARY_NAME} 1\n",
                dir = dir.path().display()
            );
            std::fs::write(&config, text).expect("write sentinel.conf");
            let mut command = Command::new(crate::servers::redis_server_binary());
            command.arg(&config).arg("--sentinel");
            match Supervised::spawn(command, "+monitor master", false) {
                Ok((process, _)) => {
                    return Self { _process: process, _dir: dir, url: format!("redis://127.0.0.1:{port}") };
                }
                Err(e) => last_error = e,
            }
        }
        panic!("redis-server --sentinel would not start: {last_error}");
    }
}

fn port(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the URL has a port")
}
