//! A Redis Cluster on loopback: three `redis-server` primaries (`cluster-enabled yes`,
//! append-only like the single server), each with its own port and temp dir, the 16384
//! hash slots split between them. Stopped and removed on Drop, like every server here.

use std::time::Duration;

use crate::servers::RedisServer;

/// Hash slots of a Redis Cluster.
const SLOTS: u16 = 16384;

pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts `size` primaries, gives each an equal share of the slots, introduces them to
    /// each other and waits until every node reports `cluster_state:ok`.
    pub async fn start(size: usize) -> Self {
        let extra: Vec<String> =
            ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"].iter().map(|a| a.to_string()).collect();
        let nodes: Vec<RedisServer> = (0..size).map(|_| RedisServer::start_with(&extra, "redis")).collect();
        let cluster = Self { nodes };
        let share = SLOTS.div_ceil(size as u16);
        for (i, node) in cluster.nodes.iter().enumerate() {
            let first = i as u16 * share;
            let last = (first + share).min(SLOTS);
            let mut conn = node_connection(&node.url).await;
            let _: () = redis::cmd("CLUSTER")
                .arg("ADDSLOTS")
                .arg((first..last).collect::<Vec<u16>>())
                .query_async(&mut conn)
                .await
                .expect("CLUSTER ADDSLOTS");
        }
        let mut first = node_connection(&cluster.nodes[0].url).await;
        for node in &cluster.nodes[1..] {
            let _: () = redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(port(&node.url))
                .query_async(&mut first)
                .await
                .expect("CLUSTER MEET");
        }
        cluster.wait_until_ok().await;
        cluster
    }

    /// Every node's URL, comma-separated (the form `redis.url` takes for a cluster).
    pub fn urls(&self) -> String {
        self.nodes.iter().map(|n| n.url.clone()).collect::<Vec<_>>().join(",")
    }

    /// Polls `CLUSTER INFO` on every node (cluster state is gossiped; nothing announces
    /// it) until each one knows every node and serves every slot.
    async fn wait_until_ok(&self) {
        let urls: Vec<String> = self.nodes.iter().map(|n| n.url.clone()).collect();
        let size = urls.len();
        crate::wait::until("the Redis Cluster to form", Duration::from_secs(30), || {
            let urls = urls.clone();
            async move {
                for url in &urls {
                    let mut conn = node_connection(url).await;
                    let info: String = redis::cmd("CLUSTER").arg("INFO").query_async(&mut conn).await.ok()?;
                    let field = |name: &str| {
                        info.lines().find_map(|l| l.strip_prefix(name)).map(str::trim).unwrap_or_default().to_owned()
                    };
                    let formed = field("cluster_state:") == "ok"
                        && field("cluster_known_nodes:") == size.to_string()
                        && field("cluster_slots_ok:") == SLOTS.to_string();
                    if !formed {
                        return None;
                    }
                }
                Some(())
            }
        })
        .await;
    }

    /// Keys matching `pattern` on each node (a plain connection per node, no routing).
    pub async fn keys_per_node(&self, pattern: &str) -> Vec<Vec<String>> {
        let mut per_node = Vec::new();
        for node in &self.nodes {
            let mut conn = node_connection(&node.url).await;
            let keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query_async(&mut conn).await.expect("KEYS");
            per_node.push(keys);
        }
        per_node
    }
}

/// A direct connection to one node (commands for keys of other nodes get MOVED).
pub async fn node_connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("a node URL");
    client.get_multiplexed_async_connection().await.expect("connect to a cluster node")
}

fn port(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the URL has a port")
}
