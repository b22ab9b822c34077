//! The whole system for one test: its own nats-server and redis-server, the API and
//! workers built through their library `build` functions (the production code path), and
//! a simulated device fleet. A random prefix isolates it; Drop stops everything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use naas_shared::config::Settings;
use naas_shared::secret::Secret;
use naas_sim::{CommandLog, DeviceSpec, RunningDevice, SimSettings};
use naas_worker::WorkerStats;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::servers::{NatsServer, RedisServer};

/// The bootstrap admin's password in every test stack (HTTP Basic user `admin`).
pub const ADMIN_SECRET: &str = "admin-secret-for-tests";

pub struct Stack {
    pub nats: NatsServer,
    /// The other nodes when the stack runs a NATS cluster (`nats` is the first).
    pub nats_peers: Vec<NatsServer>,
    pub redis: RedisServer,
    /// The other nodes when the stack runs a Redis Cluster (`redis` is the first).
    pub redis_peers: Vec<RedisServer>,
    /// With `redis_sentinel`: the Sentinels watching `redis` (the primary) and `redis_peers`
    /// (its replicas).
    pub redis_sentinels: Vec<crate::redis_sentinel::Sentinel>,
    pub settings: Settings,
    pub api_url: String,
    pub devices: Vec<RunningDevice>,
    pub command_log: CommandLog,
    pub workers: Vec<Arc<WorkerStats>>,
    pub http: reqwest::Client,
    pub nats_client: async_nats::Client,
    pub token: CancellationToken,
}

pub struct StackOptions {
    pub workers: usize,
    pub worker_concurrency: usize,
    pub devices: Vec<DeviceSpec>,
    /// Adjusts the settings every service of the stack gets.
    pub settings: fn(&mut Settings),
    /// Directory of extra platform definitions (`jobs.platform_dir`).
    pub platform_dir: Option<std::path::PathBuf>,
    /// Run NATS with TLS and user/password authentication.
    pub nats_tls: bool,
    /// Run a three-node NATS cluster with every stream replicated three times.
    pub nats_cluster: bool,
    /// Run Redis with TLS only and a password.
    pub redis_tls: bool,
    /// Run a three-primary Redis Cluster; every service gets all three URLs.
    pub redis_cluster: bool,
    /// A primary, two replicas and three Sentinels; `redis.url` names the Sentinels.
    pub redis_sentinel: bool,
}

/// `count` simulated Cisco IOS devices named `<name>1`, `<name>2`, … with the stack's
/// default login (`netops` / `s3cret-pw`, the same enable secret) and `latency_ms`.
pub fn ios_fleet(name: &str, count: usize, latency_ms: u64) -> Vec<DeviceSpec> {
    (1..=count)
        .map(|i| {
            let mut device = DeviceSpec::cisco_ios(&format!("{name}{i}"), "netops", "s3cret-pw", "s3cret-pw");
            device.latency_ms = latency_ms;
            device
        })
        .collect()
}

/// Settings for fault tests: a 3 s ack wait (a dead worker's jobs come back quickly), a
/// reaper sweeping every second, no rate limit in the way of the load.
pub fn fast_recovery(settings: &mut Settings) {
    settings.nats.ack_wait_secs = 3;
    settings.reaper.interval_secs = 1;
    settings.rate_limit.enabled = false;
}

/// [`fast_recovery`], and a job nobody starts expires from the queue after 1 s.
pub fn fast_queue_expiry(settings: &mut Settings) {
    fast_recovery(settings);
    settings.jobs.queue_timeout_secs = 1;
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            workers: 1,
            worker_concurrency: 8,
            devices: vec![DeviceSpec::cisco_ios("r1", "netops", "s3cret-pw", "s3cret-pw")],
            settings: |_| {},
            platform_dir: None,
            nats_tls: false,
            nats_cluster: false,
            redis_tls: false,
            redis_cluster: false,
            redis_sentinel: false,
        }
    }
}

impl Stack {
    pub async fn start(options: StackOptions) -> Self {
        crate::logs::install();
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut settings = Settings::defaults();
        let mut nats_peers = Vec::new();
        let nats = if options.nats_cluster {
            let mut cluster = crate::cluster::NatsCluster::start(3).await;
            settings.nats.url = cluster.urls();
            settings.nats.replicas = 3;
            nats_peers = cluster.nodes.split_off(1);
            cluster.nodes.remove(0)
        } else if options.nats_tls {
            let (nats, ca) = NatsServer::start_tls("naas", "nats-pw-for-tests");
            settings.nats.ca_file = ca.display().to_string();
            settings.nats.user = "naas".into();
            settings.nats.password = Some(Secret::new("nats-pw-for-tests".into()));
            nats
        } else {
            NatsServer::start()
        };
        let mut redis_peers = Vec::new();
        let mut redis_urls = None;
        let mut redis_sentinels = Vec::new();
        let redis = if options.redis_sentinel {
            let set = crate::redis_sentinel::RedisSentinels::start().await;
            redis_urls = Some(set.urls());
            settings.redis.sentinel = crate::redis_sentinel::PRIMARY_NAME.to_owned();
            redis_peers = set.replicas;
            redis_sentinels = set.sentinels;
            set.primary
        } else if options.redis_cluster {
            let mut cluster = crate::redis_cluster::RedisCluster::start(3).await;
            redis_urls = Some(cluster.urls());
            redis_peers = cluster.nodes.split_off(1);
            cluster.nodes.remove(0)
        } else if options.redis_tls {
            let (redis, ca) = RedisServer::start_tls("redis-pw-for-tests");
            settings.redis.ca_file = ca.display().to_string();
            redis
        } else {
            RedisServer::start()
        };
        settings.prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        if !options.nats_cluster {
            settings.nats.url = nats.url.clone();
        }
        settings.redis.url = Secret::new(redis_urls.unwrap_or_else(|| redis.url.clone()));
        settings.api.listen = "127.0.0.1:0".parse().unwrap();
        settings.encryption_key = Some(naas_shared::seal::Sealer::generate_ring());
        settings.admin_secret = Some(Secret::new(ADMIN_SECRET.to_owned()));
        settings.worker.concurrency = options.worker_concurrency;
        settings.worker.shutdown_grace_secs = 5;
        settings.api.shutdown_grace_secs = 2;
        settings.worker.prompt_timeout_secs = 10;
        (options.settings)(&mut settings);
        if let Some(dir) = &options.platform_dir {
            settings.jobs.platform_dir = dir.display().to_string();
        }
        let token = CancellationToken::new();

        let fleet = naas_sim::build(SimSettings { listen: "127.0.0.1".parse().unwrap(), devices: options.devices })
            .await
            .expect("simulated devices start");
        let devices = fleet.devices();
        let command_log = fleet.command_log();
        tokio::spawn(fleet.run_until_stopped(token.clone()));

        let api = naas_api::build(settings.clone()).await.expect("API builds");
        let api_url = format!("https://{}", api.local_addr());
        tokio::spawn(api.run_until_stopped(token.clone()));

        let nats_client = naas_nats::connect(&settings.nats, "naas-tests").await.expect("test NATS client");
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTPS client");
        let mut stack = Self {
            nats,
            nats_peers,
            redis,
            redis_peers,
            redis_sentinels,
            settings,
            api_url,
            devices,
            command_log,
            workers: Vec::new(),
            http,
            nats_client,
            token,
        };
        for _ in 0..options.workers {
            stack.add_worker().await;
        }
        stack
    }

    /// Starts one more API replica on the same NATS and Redis; returns its base URL.
    pub async fn add_api(&self) -> String {
        let api = naas_api::build(self.settings.clone()).await.expect("API builds");
        let url = format!("https://{}", api.local_addr());
        tokio::spawn(api.run_until_stopped(self.token.clone()));
        url
    }

    /// Starts a worker with its own stop token (a SIGTERM for that worker alone); the
    /// handle resolves when it has drained.
    pub async fn add_stoppable_worker(
        &mut self,
    ) -> (Arc<WorkerStats>, CancellationToken, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let mut settings = self.settings.clone();
        settings.worker.name = format!("worker-{}", self.workers.len() + 1);
        let worker = naas_worker::build(settings).await.expect("worker builds");
        let stats = worker.stats();
        let stop = self.token.child_token();
        let running = tokio::spawn(worker.run_until_stopped(stop.clone()));
        self.workers.push(stats.clone());
        (stats, stop, running)
    }

    /// Starts a reaper (in-process) with the stack's settings, adjusted by `adjust`.
    pub async fn add_reaper(&self, adjust: fn(&mut Settings)) {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        let reaper = naas_reaper::build(settings).await.expect("reaper builds");
        tokio::spawn(reaper.run_until_stopped(self.token.clone()));
    }

    /// Starts one more worker process-equivalent sharing the consumer.
    pub async fn add_worker(&mut self) -> Arc<WorkerStats> {
        let mut settings = self.settings.clone();
        settings.worker.name = format!("worker-{}", self.workers.len() + 1);
        let worker = naas_worker::build(settings).await.expect("worker builds");
        let stats = worker.stats();
        tokio::spawn(worker.run_until_stopped(self.token.clone()));
        self.workers.push(stats.clone());
        stats
    }

    pub fn device(&self, hostname: &str) -> &RunningDevice {
        self.devices.iter().find(|d| d.hostname == hostname).expect("device exists")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }

    /// POSTs a JSON body with Basic credentials.
    pub async fn post(&self, path: &str, user: &str, password: &str, body: &Value) -> reqwest::Response {
        self.http.post(self.url(path)).basic_auth(user, Some(password)).json(body).send().await.expect("request sent")
    }

    /// Sends a request with a Bearer token.
    pub async fn bearer(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// Creates an API key as the bootstrap admin; returns (key_id, token).
    pub async fn api_key(&self, role: &str, contexts: &[&str]) -> (String, String) {
        let body = serde_json::json!({"role": role, "contexts": contexts, "name": format!("{role} key")});
        let response = self.post("/v2/api-keys", "admin", ADMIN_SECRET, &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let created: Value = response.json().await.unwrap();
        (created["key_id"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned())
    }

    pub async fn get(&self, path: &str, user: &str, password: &str) -> reqwest::Response {
        self.http.get(self.url(path)).basic_auth(user, Some(password)).send().await.expect("request sent")
    }

    /// Submits send-command and returns the 202 body.
    pub async fn submit_command(&self, user: &str, password: &str, body: &Value) -> Value {
        let response = self.post("/v2/send-command", user, password, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 202, "submission refused: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub fn jetstream(&self) -> jetstream::Context {
        jetstream::new(self.nats_client.clone())
    }

    /// Waits for the job's terminal document on the results stream (replayed from the
    /// start, so it does not matter whether it was published already).
    pub async fn result_of(&self, job_id: &str) -> Value {
        let topology = naas_nats::Topology::new(&self.settings.prefix);
        let stream = self.jetstream().get_stream(topology.results_stream()).await.expect("results stream");
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                filter_subject: format!("{}.results.*.{job_id}", self.settings.prefix),
                ..Default::default()
            })
            .await
            .expect("ordered consumer");
        let mut messages = consumer.messages().await.expect("messages");
        let message = tokio::time::timeout(Duration::from_secs(60), messages.next())
            .await
            .expect("a result within 60 s")
            .expect("stream open")
            .expect("message");
        let omitted = message.headers.as_ref().is_some_and(|h| h.get(naas_nats::results::RESULTS_OMITTED).is_some());
        if omitted {
            // Published without its output (larger than nats.result_inline_max_bytes): the
            // whole document is the job's record, as the API serves it.
            return serde_json::to_value(self.record(job_id).await.doc).unwrap();
        }
        let doc = naas_nats::message::open_result(&message.payload, &self.sealer()).expect("a result document");
        serde_json::to_value(doc).unwrap()
    }

    fn sealer(&self) -> naas_shared::seal::Sealer {
        naas_shared::seal::Sealer::from_ring(self.settings.encryption_key.as_ref().unwrap()).unwrap()
    }

    /// The job's record in Redis, opened with the stack's key ring.
    pub async fn record(&self, job_id: &str) -> naas_shared::job::JobRecord {
        let store = naas_shared::store::JobStore::connect(
            &self.settings.redis,
            &self.settings.prefix,
            Arc::new(self.sealer()),
            self.settings.result_ttl(),
        )
        .await
        .expect("job store");
        let id = naas_shared::domain::JobId::parse(job_id).expect("a job id");
        store.get(id).await.expect("the record opens").expect("the job has a record")
    }

    /// Every value stored under this stack's Redis prefix (`<prefix>:…`, the job buckets
    /// included, and the hash-tagged `{<prefix>}:…`), as text, from every node.
    pub async fn redis_dump(&self) -> HashMap<String, String> {
        let mut conn = naas_shared::store::connect(&self.settings.redis).await.unwrap();
        let prefix = &self.settings.prefix;
        let mut keys = conn.scan_match(&naas_shared::keys::untagged_pattern(prefix)).await.unwrap();
        keys.extend(conn.scan_match(&naas_shared::keys::tagged_pattern(prefix)).await.unwrap());
        let mut dump = HashMap::new();
        for key in keys {
            let value: redis::Value = redis::cmd("DUMP").arg(&key).query_async(&mut conn).await.unwrap();
            let text = match value {
                redis::Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                other => format!("{other:?}"),
            };
            dump.insert(key, text);
        }
        dump
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.token.cancel();
    }
}
