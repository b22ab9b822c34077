//! The job repository: one sealed record per job, expiring with the result TTL.
//!
//! Records are sealed with the key ring before they reach Redis (they hold command
//! output), bound to their job id so records cannot be swapped between keys.
//!
//! The job state is spread over [`Bucket::COUNT`] buckets, a job's bucket taken from its
//! id. Each bucket has its own hash tag and its own indexes (leases, lease holders, queue
//! deadlines, listing indexes; spelled in [`super::keys`]); a record shares its bucket's
//! tag, so one Lua script moves a record and its index entries together, which a Redis
//! Cluster allows only within one hash slot. On a cluster the buckets spread over the
//! shards (their tags sit mid-range of 16 equal slot ranges).
//!
//! What reads a job by id goes straight to its bucket. What walks the state goes bucket
//! by bucket, one round trip each: the reaper's look for expired leases and overdue jobs
//! ([`JobStore::expired`], one script run per bucket) and the listing
//! ([`JobStore::list_ids`], which merges the buckets' indexes by score into the order one
//! index would have; one pipeline on a single server, one request per bucket on a cluster).

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;

use super::keys::Bucket;
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

/// What [`JobStore::expired`] found in the job indexes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expired {
    /// Leases that expired, oldest first within each bucket.
    pub leases: Vec<Lease>,
    /// Queued jobs past their queue deadline (Unix ms), oldest first within each bucket.
    pub overdue: Vec<(JobId, u64)>,
}

/// Where a walk down a listing stands: how many entries of each bucket's index it has
/// passed. A walk starts at the default (the newest job).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCursor([usize; Bucket::COUNT]);

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

    fn leases_key(&self, bucket: Bucket) -> String {
        keys::leases(&self.prefix, bucket)
    }

    fn holders_key(&self, bucket: Bucket) -> String {
        keys::lease_holders(&self.prefix, bucket)
    }

    fn deadlines_key(&self, bucket: Bucket) -> String {
        keys::queue_deadlines(&self.prefix, bucket)
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
        let bucket = Bucket::of(id);
        let mut conn = self.conn.op(Op::JobEnqueue);
        let ttl = self.ttl.as_secs().max(1);
        let enqueued = unix_ms(record.doc.enqueued_at);
        let forgotten = enqueued.saturating_sub(ttl * 1000);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .set_ex(self.key(id), value, ttl)
            .ignore()
            .zadd(self.deadlines_key(bucket), id.to_string(), unix_ms(deadline))
            .ignore();
        // The bucket's listing indexes: the owner's jobs and everyone's, newest last,
        // trimmed to the records still kept.
        for index in [self.owner_index(bucket, &record.owner), self.all_index(bucket)] {
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

    fn owner_index(&self, bucket: Bucket, owner: &str) -> String {
        keys::jobs_of(&self.prefix, bucket, owner)
    }

    fn all_index(&self, bucket: Bucket) -> String {
        keys::jobs(&self.prefix, bucket)
    }

    /// The next `count` job ids from `cursor`, newest first (advancing it past them): the
    /// owner's, or everyone's when `owner` is None. The buckets' indexes are merged into
    /// the order one index would give (by submission time, then id, both descending).
    pub async fn list_ids(
        &self,
        owner: Option<&str>,
        cursor: &mut ListCursor,
        count: usize,
    ) -> Result<Vec<JobId>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        // At most `count` entries of one bucket can be taken, so that many are read from
        // each, from where the walk stands in it.
        let heads: Vec<(String, isize, isize)> = Bucket::all()
            .map(|bucket| {
                let index = owner.map_or_else(|| self.all_index(bucket), |o| self.owner_index(bucket, o));
                let from = cursor.0[bucket.index()] as isize;
                (index, from, from + count as isize - 1)
            })
            .collect();
        let heads: Vec<Vec<(String, f64)>> = if self.conn.is_cluster() {
            // A cluster pipeline goes whole to one node: one request per bucket instead.
            futures::future::try_join_all(heads.into_iter().map(|(index, from, stop)| {
                let mut conn = self.conn.op(Op::JobList);
                async move { conn.zrevrange_withscores(index, from, stop).await }
            }))
            .await?
        } else {
            let mut pipe = redis::pipe();
            for (index, from, stop) in &heads {
                pipe.zrevrange_withscores(index, *from, *stop);
            }
            pipe.query_async(&mut self.conn.op(Op::JobList)).await?
        };
        Ok(merge(heads, cursor, count))
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
        let bucket = Bucket::of(record.doc.job_id);
        let mut conn = self.conn.op(op);
        let written: i64 = scripts::JOB_TRANSITION
            .key(self.key(record.doc.job_id))
            .key(self.leases_key(bucket))
            .key(self.holders_key(bucket))
            .key(self.deadlines_key(bucket))
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
        let bucket = Bucket::of(lease.job_id);
        let mut conn = self.conn.op(Op::JobLeaseRenew);
        let renewed: i64 = scripts::LEASE_RENEW
            .key(self.leases_key(bucket))
            .key(self.holders_key(bucket))
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
        let score: Option<f64> = conn.zscore(self.leases_key(Bucket::of(id)), id.to_string()).await?;
        Ok(score.map(|s| s as u64))
    }

    /// Leases that expired by `now_ms` and queued jobs whose queue deadline passed by then,
    /// at most `limit` of each per bucket: one script run per bucket (run concurrently).
    pub async fn expired(&self, now_ms: u64, limit: usize) -> Result<Expired, StoreError> {
        let found =
            futures::future::try_join_all(Bucket::all().map(|bucket| self.expired_in(bucket, now_ms, limit))).await?;
        let mut expired = Expired::default();
        for (bucket, (leases, overdue)) in Bucket::all().zip(found) {
            for entry in leases.chunks_exact(3) {
                let (job, expires, holder) = (&entry[0], &entry[1], &entry[2]);
                let Ok(job_id) = JobId::parse(job) else {
                    self.forget_in(bucket, job).await?;
                    continue;
                };
                let (attempt, worker) = holder.split_once('|').unwrap_or(("0", ""));
                expired.leases.push(Lease {
                    job_id,
                    attempt: attempt.parse().unwrap_or(0),
                    worker: worker.to_owned(),
                    expires_ms: score_ms(expires),
                });
            }
            for entry in overdue.chunks_exact(2) {
                match JobId::parse(&entry[0]) {
                    Ok(job_id) => expired.overdue.push((job_id, score_ms(&entry[1]))),
                    Err(_) => self.forget_in(bucket, &entry[0]).await?,
                }
            }
        }
        Ok(expired)
    }

    /// One bucket's expired leases (`job, expiry, holder` triples) and overdue queued jobs
    /// (`job, deadline` pairs), as the script answers them.
    async fn expired_in(
        &self,
        bucket: Bucket,
        now_ms: u64,
        limit: usize,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let mut conn = self.conn.op(Op::JobExpired);
        let found: (Vec<String>, Vec<String>) = scripts::JOBS_EXPIRED
            .key(self.leases_key(bucket))
            .key(self.holders_key(bucket))
            .key(self.deadlines_key(bucket))
            .arg(now_ms)
            .arg(limit)
            .invoke_async(&mut conn)
            .await?;
        Ok(found)
    }

    /// Drops a job from its bucket's lease and deadline indexes (its record is gone or
    /// settled).
    pub async fn forget(&self, id: JobId) -> Result<(), StoreError> {
        self.forget_in(Bucket::of(id), &id.to_string()).await
    }

    /// Drops `job` (an id, or an entry that is not one) from `bucket`'s lease and deadline
    /// indexes.
    async fn forget_in(&self, bucket: Bucket, job: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::JobForget);
        let _: () = redis::pipe()
            .zrem(self.leases_key(bucket), job)
            .ignore()
            .hdel(self.holders_key(bucket), job)
            .ignore()
            .zrem(self.deadlines_key(bucket), job)
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
        self.forget(id).await
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

/// A sorted-set score as Redis answers it (`1733250000000`), in whole Unix ms.
fn score_ms(score: &str) -> u64 {
    score.parse::<f64>().map_or(0, |ms| ms.max(0.0) as u64)
}

/// Takes the `count` first entries of the buckets' `heads` (each as its index lists it from
/// where `cursor` stands: score descending, then member descending) in the order one sorted
/// set holding them all would list them, and moves `cursor` past them. Entries that are
/// not job ids are passed over (and counted), as a single index's reader did.
fn merge(heads: Vec<Vec<(String, f64)>>, cursor: &mut ListCursor, count: usize) -> Vec<JobId> {
    let mut heads: Vec<std::iter::Peekable<std::vec::IntoIter<(String, f64)>>> =
        heads.into_iter().map(|head| head.into_iter().peekable()).collect();
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        let mut newest: Option<(usize, &(String, f64))> = None;
        for (bucket, head) in heads.iter_mut().enumerate() {
            let Some(entry) = head.peek() else { continue };
            let newer = newest.is_none_or(|(_, best)| {
                entry.1.total_cmp(&best.1).then_with(|| entry.0.cmp(&best.0)) == std::cmp::Ordering::Greater
            });
            if newer {
                newest = Some((bucket, entry));
            }
        }
        let Some((bucket, _)) = newest else { break };
        let (member, _) = heads[bucket].next().expect("peeked");
        cursor.0[bucket] += 1;
        if let Ok(id) = JobId::parse(&member) {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8, bucket: u8) -> String {
        format!("00000000-0000-4000-8000-0000000000{:x}{bucket:x}", n % 16)
    }

    #[test]
    fn merging_gives_one_indexs_order_and_moves_the_cursor_past_what_it_took() {
        // Three buckets' heads, each newest first; ties on the score go to the larger id.
        let heads = || {
            let mut heads = vec![Vec::new(); Bucket::COUNT];
            heads[0] = vec![(id(9, 0), 50.0), (id(1, 0), 30.0), (id(0, 0), 10.0)];
            heads[5] = vec![(id(2, 5), 50.0), (id(3, 5), 20.0)];
            heads[7] = vec![(id(4, 7), 40.0), ("not-an-id".to_owned(), 35.0), (id(5, 7), 30.0)];
            heads
        };
        let all = [id(9, 0), id(2, 5), id(4, 7), id(5, 7), id(1, 0), id(3, 5), id(0, 0)];
        let mut cursor = ListCursor::default();
        let ids = merge(heads(), &mut cursor, 4);
        let spelled: Vec<String> = ids.iter().map(JobId::to_string).collect();
        assert_eq!(spelled, all[..3], "the entry that is no id is counted, not listed");
        let mut expected = [0; Bucket::COUNT];
        (expected[0], expected[5], expected[7]) = (1, 1, 2);
        assert_eq!(cursor, ListCursor(expected));

        // Everything at once, or a page at a time from the cursor: the same order.
        let everything = merge(heads(), &mut ListCursor::default(), 100);
        let spelled: Vec<String> = everything.iter().map(JobId::to_string).collect();
        assert_eq!(spelled, all);
        let mut walked = Vec::new();
        let mut cursor = ListCursor::default();
        loop {
            // What each bucket's index answers from where the cursor stands.
            let from_cursor: Vec<Vec<(String, f64)>> =
                heads().into_iter().enumerate().map(|(b, head)| head.into_iter().skip(cursor.0[b]).collect()).collect();
            let before = cursor.clone();
            walked.extend(merge(from_cursor, &mut cursor, 2));
            if cursor == before {
                break;
            }
        }
        assert_eq!(walked, everything);
    }

    #[test]
    fn scores_read_as_whole_milliseconds() {
        assert_eq!(score_ms("1733250000000"), 1_733_250_000_000);
        assert_eq!(score_ms("1.5e3"), 1500);
        assert_eq!(score_ms("junk"), 0);
    }
}
