//! Waiting for job results the way a caller streaming them would: one core NATS
//! subscription on the scenario's results subjects, each terminal document handed to the
//! task waiting for that job id (or kept until it asks, when the worker was faster than
//! the submission's HTTP response).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use naas_shared::config::Settings;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// When a job's terminal result arrived and whether the job finished (vs failed).
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: Instant,
    pub finished: bool,
    pub error: Option<String>,
}

#[derive(Default)]
struct Pending {
    waiting: HashMap<String, oneshot::Sender<Arrival>>,
    early: HashMap<String, Arrival>,
}

#[derive(Clone)]
pub struct Results {
    pending: Arc<Mutex<Pending>>,
}

impl Results {
    /// Subscribes before anything is submitted; the task ends when the client closes.
    pub async fn subscribe(settings: &Settings) -> anyhow::Result<(Self, async_nats::Client)> {
        let client = naas_nats::connect(&settings.nats, "naas-bench").await.context("connecting to NATS")?;
        let subject = naas_nats::Topology::new(&settings.prefix).results_wildcard();
        let mut subscription = client.subscribe(subject).await.context("subscribing to results")?;
        let results = Self { pending: Arc::default() };
        let pending = results.pending.clone();
        tokio::spawn(async move {
            while let Some(message) = subscription.next().await {
                let at = Instant::now();
                let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&message.payload) else { continue };
                let (Some(job_id), Some(status)) = (doc["job_id"].as_str(), doc["status"].as_str()) else {
                    continue;
                };
                if !matches!(status, "finished" | "failed" | "canceled") {
                    continue;
                }
                let error =
                    doc["error_code"].as_str().map(|code| format!("{code}: {}", doc["error"].as_str().unwrap_or("")));
                let arrival = Arrival { at, finished: status == "finished", error };
                let mut pending = pending.lock().expect("not poisoned");
                match pending.waiting.remove(job_id) {
                    Some(waiter) => {
                        let _ = waiter.send(arrival);
                    }
                    None => {
                        pending.early.insert(job_id.to_owned(), arrival);
                    }
                }
            }
        });
        Ok((results, client))
    }

    /// Waits for the job's terminal result, at most `timeout`.
    pub async fn wait(&self, job_id: &str, timeout: Duration) -> anyhow::Result<Arrival> {
        let receiver = {
            let mut pending = self.pending.lock().expect("not poisoned");
            if let Some(arrival) = pending.early.remove(job_id) {
                return Ok(arrival);
            }
            let (sender, receiver) = oneshot::channel();
            pending.waiting.insert(job_id.to_owned(), sender);
            receiver
        };
        match tokio::time::timeout(timeout, receiver).await {
            Ok(Ok(arrival)) => Ok(arrival),
            Ok(Err(_)) => anyhow::bail!("the results subscription ended"),
            Err(_) => {
                self.pending.lock().expect("not poisoned").waiting.remove(job_id);
                anyhow::bail!("no result for job {job_id} within {} s", timeout.as_secs())
            }
        }
    }
}
