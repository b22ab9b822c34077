//! The job repository: one sealed record per job, expiring with the result TTL.
//!
//! Records are sealed with the key ring before they reach Redis (they hold command
//! output), bound to their job id so records cannot be swapped between keys.
//!
//! Every key of the job state (records, leases, lease holders, queue deadlines, listing
//! indexes; spelled in [`super::keys`]) carries the hash tag `{<prefix>}`: one Lua script
//! moves a record and its index entries together, which a Redis Cluster allows only within
//! one hash slot. So on a cluster the job state lives on one shard; the per-caller and
//! per-device keys (limits, breaker, lockouts, slots) spread over the others.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;

use super::redis_conn::{Memory, RedisConn, connect};
use super::round_trips::Op;
use super::{StoreError, keys, scripts};
use crate::config::RedisSettings;
use crate::domain::JobId;
use crate::job::{JobRecord, JobStatus};
use crate::seal::Sealer;

/// A state a transition may start from: a status, or a status at one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromState {
    Any(JobStatus),
    Attempt(JobStatus, u32),
}

impl FromState {
    fn spelled(self) -> String {
        match self {
            Self::Any(status) => status.as_str().to_owned(),
            Self::Attempt(status, attempt) => format!("{}:{attempt}", status.as_str()),
        }
    }
}

/// Who runs a started job and until when (unless renewed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: JobId,
    pub attempt: u32,
    pub worker: String,
    /// Unix milliseconds.
    pub expires_ms: u64,
}

impl Lease {
    fn holder(&self) -> String {
        format!("{}|{}", self.attempt, self.worker)
    }
}

/// Unix milliseconds of `at`.
pub fn unix_ms(at: time::OffsetDateTime) -> u64 {
    (at.unix_timestamp_nanos() / 1_000_000).max(0) as u64
}

#[derive(Clone)]
pub struct JobStore {
    conn: RedisConn,
    prefix: Arc<str>,
    sealer: Arc<Sealer>,
    ttl: Duration,
    /// `redis.wait_replicas`: replicas that must hold a job's record before a write of it
    /// counts as done.
    wait_replicas: u32,
}

/// How long a write waits for `redis.wait_replicas` replicas before it goes on without
/// them (and says so in the log).
const WAIT_REPLICAS_TIMEOUT_MS: u64 = 1000;

impl JobStore {
    /// Connects (fails fast when Redis is unreachable) and keeps reconnecting afterwards.
    pub async fn connect(
        settings: &RedisSettings,
        prefix: &str,
        sealer: Arc<Sealer>,
        ttl: Duration,
    ) -> Result<Self, StoreError> {
        let conn = connect(settings).await?;
        Ok(Self { conn, prefix: prefix.into(), sealer, ttl, wait_replicas: settings.wait_replicas })
    }

    /// With `redis.wait_replicas`, waits until that many replicas hold every write this
    /// connection made so far (Redis `WAIT`): a record the caller is told about then
    /// survives the primary's loss. Replication is otherwise asynchronous.
    async fn replicated(&self, conn: &RedisConn) -> Result<(), StoreError> {
        if self.wait_replicas == 0 || conn.is_cluster() {
            return Ok(());
        }
        let mut conn = conn.op(Op::JobWaitReplicas);
        let acked: u32 =
            redis::cmd("WAIT").arg(self.wait_replicas).arg(WAIT_REPLICAS_TIMEOUT_MS).query_async(&mut conn).await?;
        if acked < self.wait_replicas {
            tracing::warn!(
                acked,
                wanted = self.wait_replicas,
                "redis: a job record reached fewer replicas than redis.wait_replicas"
            );
        }
        Ok(())
    }

    fn key(&self, id: JobId) -> String {
        keys::job(&self.prefix, id)
    }

    fn leases_key(&self) -> String {
        keys::leases(&self.prefix)
    }

    fn holders_key(&self) -> String {
        keys::lease_holders(&self.prefix)
    }

    fn deadlines_key(&self) -> String {
        keys::queue_deadlines(&self.prefix)
    }

    /// `<status>:<attempts>|<sealed record>`: status and attempt count are not secret and
    /// stay readable, so a script can compare-and-set on them.
    fn encode(&self, record: &JobRecord) -> Result<String, StoreError> {
        let plain = serde_json::to_vec(record)?;
        let sealed = self.sealer.seal_string(&plain, record.doc.job_id.to_string().as_bytes());
        Ok(format!("{}:{}|{sealed}", record.doc.status.as_str(), record.doc.attempts))
    }

    /// Records a newly submitted job; it fails if no worker starts it by `deadline`.
    pub async fn enqueue(&self, record: &JobRecord, deadline: time::OffsetDateTime) -> Result<(), StoreError> {
        let value = self.encode(record)?;
        let id = record.doc.job_id;
        let mut conn = self.conn.op(Op::JobEnqueue);
        let ttl = self.ttl.as_secs().max(1);
        let enqueued = unix_ms(record.doc.enqueued_at);
        let forgotten = enqueued.saturating_sub(ttl * 1000);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .set_ex(self.key(id), value, ttl)
            .ignore()
            .zadd(self.deadlines_key(), id.to_string(), unix_ms(deadline))
            .ignore();
        // The listing indexes: the owner's jobs and everyone's, newest last, trimmed to
        // the records still kept.
        for index in [self.owner_index(&record.owner), self.all_index()] {
            pipe.zadd(&index, id.to_string(), enqueued)
                .ignore()
                .zrembyscore(&index, "-inf", forgotten)
                .ignore()
                .expire(&index, ttl as i64)
                .ignore();
        }
        let _: () = pipe.query_async(&mut conn).await?;
        self.replicated(&conn).await
    }

    fn owner_index(&self, owner: &str) -> String {
        keys::jobs_of(&self.prefix, owner)
    }

    fn all_index(&self) -> String {
        keys::jobs(&self.prefix)
    }

    /// Job ids, newest first, from `offset`: the owner's, or everyone's when `owner` is None.
    pub async fn list_ids(&self, owner: Option<&str>, offset: usize, count: usize) -> Result<Vec<JobId>, StoreError> {
        let index = owner.map_or_else(|| self.all_index(), |o| self.owner_index(o));
        let mut conn = self.conn.op(Op::JobList);
        let stop = (offset + count) as isize - 1;
        let ids: Vec<String> = conn.zrevrange(index, offset as isize, stop).await?;
        Ok(ids.iter().filter_map(|id| JobId::parse(id).ok()).collect())
    }

    /// Writes `record` only if the stored state is one of `from` (no record counts as
    /// `queued` at attempt 0): the one way status moves, so a cancellation, a worker and the
    /// reaper can never overwrite each other. Leaving `started` ends the job's lease.
    /// Returns whether it wrote.
    pub async fn transition(&self, record: &JobRecord, from: &[FromState]) -> Result<bool, StoreError> {
        self.write(Op::JobTransition, record, from, None, None).await
    }

    /// Moves a queued job (still at `record.attempts - 1`) to `started` under `lease`.
    pub async fn start(&self, record: &JobRecord, lease: &Lease) -> Result<bool, StoreError> {
        let from = FromState::Attempt(JobStatus::Queued, record.doc.attempts.saturating_sub(1));
        self.write(Op::JobStart, record, &[from], Some(lease), None).await
    }

    /// Puts a started job back in the queue (another attempt will run it) from `attempt`.
    pub async fn requeue(
        &self,
        record: &JobRecord,
        attempt: u32,
        deadline: time::OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.write(Op::JobRequeue, record, &[FromState::Attempt(JobStatus::Started, attempt)], None, Some(deadline))
            .await
    }

    async fn write(
        &self,
        op: Op,
        record: &JobRecord,
        from: &[FromState],
        lease: Option<&Lease>,
        deadline: Option<time::OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        let value = self.encode(record)?;
        let allowed: Vec<String> = from.iter().map(|f| f.spelled()).collect();
        let mut conn = self.conn.op(op);
        let written: i64 = scripts::JOB_TRANSITION
            .key(self.key(record.doc.job_id))
            .key(self.leases_key())
            .key(self.holders_key())
            .key(self.deadlines_key())
            .arg(value)
            .arg(self.ttl.as_secs().max(1))
            .arg(allowed.join(","))
            .arg(record.doc.job_id.to_string())
            .arg(lease.map(Lease::holder).unwrap_or_default())
            .arg(lease.map_or(0, |l| l.expires_ms))
            .arg(deadline.map(|d| unix_ms(d).to_string()).unwrap_or_default())
            .invoke_async(&mut conn)
            .await?;
        if written == 1 {
            self.replicated(&conn).await?;
        }
        Ok(written == 1)
    }

    /// Extends `lease` to its new `expires_ms`; false if it is no longer held (the job
    /// ended, or the reaper settled it).
    pub async fn renew(&self, lease: &Lease) -> Result<bool, StoreError> {
        let mut conn = self.conn.op(Op::JobLeaseRenew);
        let renewed: i64 = scripts::LEASE_RENEW
            .key(self.leases_key())
            .key(self.holders_key())
            .arg(lease.job_id.to_string())
            .arg(lease.holder())
            .arg(lease.expires_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok(renewed == 1)
    }

    /// When the lease of a started job expires (Unix ms), if it has one.
    pub async fn lease_expiry(&self, id: JobId) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn.op(Op::JobLeaseExpiry);
        let score: Option<f64> = conn.zscore(self.leases_key(), id.to_string()).await?;
        Ok(score.map(|s| s as u64))
    }

    /// Leases that expired by `now_ms`, oldest first, at most `limit`.
    pub async fn expired_leases(&self, now_ms: u64, limit: usize) -> Result<Vec<Lease>, StoreError> {
        let mut conn = self.conn.op(Op::JobExpiredLeases);
        let expired: Vec<(String, f64)> =
            conn.zrangebyscore_limit_withscores(self.leases_key(), "-inf", now_ms, 0, limit as isize).await?;
        let mut leases = Vec::with_capacity(expired.len());
        for (job, expires) in expired {
            let holder: Option<String> = conn.hget(self.holders_key(), &job).await?;
            let (attempt, worker) = holder.as_deref().and_then(|h| h.split_once('|')).unwrap_or(("0", ""));
            match JobId::parse(&job) {
                Ok(job_id) => leases.push(Lease {
                    job_id,
                    attempt: attempt.parse().unwrap_or(0),
                    worker: worker.to_owned(),
                    expires_ms: expires as u64,
                }),
                Err(_) => self.forget(&job).await?,
            }
        }
        Ok(leases)
    }

    /// Jobs in the queue-deadline index whose deadline (Unix ms) passed by `now_ms`.
    pub async fn queue_expired(&self, now_ms: u64, limit: usize) -> Result<Vec<(JobId, u64)>, StoreError> {
        let mut conn = self.conn.op(Op::JobQueueExpired);
        let expired: Vec<(String, f64)> =
            conn.zrangebyscore_limit_withscores(self.deadlines_key(), "-inf", now_ms, 0, limit as isize).await?;
        let mut found = Vec::with_capacity(expired.len());
        for (job, deadline) in expired {
            match JobId::parse(&job) {
                Ok(id) => found.push((id, deadline as u64)),
                Err(_) => self.forget(&job).await?,
            }
        }
        Ok(found)
    }

    /// Drops a job from the lease and deadline indexes (its record is gone or settled).
    pub async fn forget(&self, job: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::JobForget);
        let _: () = redis::pipe()
            .zrem(self.leases_key(), job)
            .ignore()
            .hdel(self.holders_key(), job)
            .ignore()
            .zrem(self.deadlines_key(), job)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn get(&self, id: JobId) -> Result<Option<JobRecord>, StoreError> {
        let mut conn = self.conn.op(Op::JobGet);
        let stored: Option<String> = conn.get(self.key(id)).await?;
        let Some(stored) = stored else { return Ok(None) };
        let sealed = stored.split_once('|').map_or(stored.as_str(), |(_, sealed)| sealed);
        let plain = self.sealer.open_string(sealed, id.to_string().as_bytes())?;
        Ok(Some(serde_json::from_slice(&plain)?))
    }

    pub async fn delete(&self, id: JobId) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::JobDelete);
        let _: () = conn.del(self.key(id)).await?;
        self.forget(&id.to_string()).await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::Ping);
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    /// The memory of the one server; `None` on a cluster (each shard has its own).
    pub async fn memory(&self) -> Result<Option<Memory>, StoreError> {
        Ok(self.conn.memory().await?)
    }

    /// The connection, for the other repositories of the same Redis.
    pub fn connection(&self) -> RedisConn {
        self.conn.clone()
    }
}
