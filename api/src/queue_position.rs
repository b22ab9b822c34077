//! `queue_position` in the 202 answer: how many jobs were waiting for a worker when this
//! one was queued.
//!
//! The figure is the workers' consumer's count of jobs not yet delivered to any worker
//! (`num_pending`), read at most every [`RECHECK`] (one JetStream request, made while the
//! job's record is written, and shared by the submissions that arrive meanwhile), plus the
//! jobs this API replica has queued since that read.
//! It is exact for one replica while no worker takes a job; otherwise it is off by the jobs
//! other replicas queued and workers took since the last read (at most [`RECHECK`] old).
//! Jobs a worker has taken but not started (waiting for its device or for a free slot in
//! that worker) are not counted as waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::pull};
use naas_nats::Topology;
use tokio::sync::Mutex;

/// How long one read of the consumer is trusted.
pub const RECHECK: Duration = Duration::from_millis(500);

pub struct QueuePosition {
    jetstream: jetstream::Context,
    stream: String,
    consumer: String,
    /// When the consumer was last read and what it said; a refresh holds the lock, so
    /// concurrent submissions make one request between them.
    last: Mutex<Option<(Instant, u64)>>,
    /// Jobs this replica queued since that read.
    since: AtomicU64,
}

impl QueuePosition {
    pub fn new(jetstream: jetstream::Context, topology: &Topology) -> Self {
        Self {
            jetstream,
            stream: topology.jobs_stream(),
            consumer: topology.workers_consumer(),
            last: Mutex::new(None),
            since: AtomicU64::new(0),
        }
    }

    /// The position of a job about to be queued (the jobs waiting ahead of it), and counts
    /// it as queued; `None` when the consumer cannot be read.
    pub async fn take(&self) -> Option<u64> {
        let mut last = self.last.lock().await;
        let waiting = match *last {
            Some((at, waiting)) if at.elapsed() < RECHECK => waiting,
            _ => {
                let waiting = self.read().await?;
                *last = Some((Instant::now(), waiting));
                self.since.store(0, Ordering::Relaxed);
                waiting
            }
        };
        drop(last);
        Some(waiting + self.since.fetch_add(1, Ordering::Relaxed))
    }

    /// Takes back [`Self::take`]'s count for a job that was not queued after all.
    pub fn untake(&self) {
        let _ = self.since.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    async fn read(&self) -> Option<u64> {
        let consumer =
            self.jetstream.get_consumer_from_stream::<pull::Config, _, _>(&self.consumer, &self.stream).await;
        match consumer {
            Ok(consumer) => Some(consumer.cached_info().num_pending),
            Err(error) => {
                tracing::debug!(%error, "cannot read the workers' consumer; no queue position");
                None
            }
        }
    }
}
