//! A three-node nats-server cluster on loopback (JetStream replicated across the nodes),
//! for tests that kill a node under load.

use std::time::Duration;

use crate::servers::{NatsServer, TempDir, free_port};

pub struct NatsCluster {
    pub nodes: Vec<NatsServer>,
}

impl NatsCluster {
    /// Starts `size` nodes routed to each other and waits until JetStream can place a
    /// stream with a replica on every node.
    pub async fn start(size: usize) -> Self {
        let cluster_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let routes: Vec<String> = cluster_ports.iter().map(|p| format!("\"nats-route://127.0.0.1:{p}\"")).collect();
        let nodes = cluster_ports
            .iter()
            .enumerate()
            .map(|(i, port)| {
                let extra = format!(
                    "server_name: n{i}\ncluster {{\n  name: naas-test\n  listen: \"127.0.0.1:{port}\"\n  \
                     routes: [{}]\n}}\n",
                    routes.join(", ")
                );
                NatsServer::start_with(TempDir::new("nats-node"), &extra)
            })
            .collect();
        let cluster = Self { nodes };
        cluster.wait_for_jetstream(size).await;
        cluster
    }

    /// Every node's client URL, comma-separated (the form `nats.url` takes).
    pub fn urls(&self) -> String {
        self.nodes.iter().map(|n| n.url.clone()).collect::<Vec<_>>().join(",")
    }

    async fn wait_for_jetstream(&self, replicas: usize) {
        let client = async_nats::connect(self.nodes[0].url.as_str()).await.expect("connect to the cluster");
        let jetstream = async_nats::jetstream::new(client);
        let config = async_nats::jetstream::stream::Config {
            name: "CLUSTER_READY".into(),
            subjects: vec!["cluster.ready".into()],
            num_replicas: replicas,
            ..Default::default()
        };
        let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match jetstream.create_stream(config.clone()).await {
                Ok(_) => break,
                Err(error) => {
                    assert!(tokio::time::Instant::now() < give_up, "the NATS cluster never formed: {error}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        let _ = jetstream.delete_stream("CLUSTER_READY").await;
    }
}
