//! Round trips to Redis, counted per operation of the store.
//!
//! A round trip is one request/response exchange with Redis: one command, one pipeline
//! (a `MULTI … EXEC` included, as it is sent as one), one script invocation (`EVALSHA`; a
//! `NOSCRIPT` answer and the reload after it are exchanges of their own). Latency per job
//! grows with round trips, not with the commands inside a script or pipeline, so this is
//! the figure to keep low on a job's path. [`crate::store::RedisConn`] counts every
//! exchange under the [`Op`] its repository named, with one atomic add: no lock, no
//! allocation.
//!
//! The counts belong to one connection and its clones (one per service: the api, a
//! worker and a reaper each connect once), not to the process, so services that tests run
//! in one process keep separate counts. They are exported as
//! `naas_redis_round_trips_total{op}` ([`crate::metrics::Metrics::with_round_trips`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a round trip was for: the repository method that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Made on a connection no repository labelled (health checks, tools, tests).
    Other,
    JobEnqueue,
    JobGet,
    JobList,
    JobDelete,
    JobTransition,
    JobStart,
    JobRequeue,
    JobWaitReplicas,
    JobLeaseRenew,
    JobLeaseExpiry,
    JobExpired,
    JobForget,
    Ping,
    Memory,
    Scan,
    ClusterSlots,
    DeviceAdmit,
    DeviceRelease,
    DeviceSlotsPrune,
    DeviceSlotRenew,
    DeviceCircuitCounts,
    DeviceHostKey,
    CallerRateLimit,
    CallerRateLimitRefund,
    CallerIdempotencyClaim,
    CallerIdempotencyRelease,
    LockoutCheck,
    LockoutFail,
    ApiKeyPut,
    ApiKeyGet,
    ApiKeyList,
    ApiKeyDelete,
    LeaderTake,
}

impl Op {
    /// Every operation, in the order of the enum.
    pub const ALL: [Op; 34] = [
        Op::Other,
        Op::JobEnqueue,
        Op::JobGet,
        Op::JobList,
        Op::JobDelete,
        Op::JobTransition,
        Op::JobStart,
        Op::JobRequeue,
        Op::JobWaitReplicas,
        Op::JobLeaseRenew,
        Op::JobLeaseExpiry,
        Op::JobExpired,
        Op::JobForget,
        Op::Ping,
        Op::Memory,
        Op::Scan,
        Op::ClusterSlots,
        Op::DeviceAdmit,
        Op::DeviceRelease,
        Op::DeviceSlotsPrune,
        Op::DeviceSlotRenew,
        Op::DeviceCircuitCounts,
        Op::DeviceHostKey,
        Op::CallerRateLimit,
        Op::CallerRateLimitRefund,
        Op::CallerIdempotencyClaim,
        Op::CallerIdempotencyRelease,
        Op::LockoutCheck,
        Op::LockoutFail,
        Op::ApiKeyPut,
        Op::ApiKeyGet,
        Op::ApiKeyList,
        Op::ApiKeyDelete,
        Op::LeaderTake,
    ];

    /// The `op` label: `<repository>.<operation>`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Op::Other => "other",
            Op::JobEnqueue => "job.enqueue",
            Op::JobGet => "job.get",
            Op::JobList => "job.list",
            Op::JobDelete => "job.delete",
            Op::JobTransition => "job.transition",
            Op::JobStart => "job.start",
            Op::JobRequeue => "job.requeue",
            Op::JobWaitReplicas => "job.wait_replicas",
            Op::JobLeaseRenew => "job.lease_renew",
            Op::JobLeaseExpiry => "job.lease_expiry",
            Op::JobExpired => "job.expired",
            Op::JobForget => "job.forget",
            Op::Ping => "ping",
            Op::Memory => "memory",
            Op::Scan => "scan",
            Op::ClusterSlots => "cluster_slots",
            Op::DeviceAdmit => "device.admit",
            Op::DeviceRelease => "device.release",
            Op::DeviceSlotsPrune => "device.slots_prune",
            Op::DeviceSlotRenew => "device.slot_renew",
            Op::DeviceCircuitCounts => "device.circuit_counts",
            Op::DeviceHostKey => "device.host_key",
            Op::CallerRateLimit => "caller.rate_limit",
            Op::CallerRateLimitRefund => "caller.rate_limit_refund",
            Op::CallerIdempotencyClaim => "caller.idempotency_claim",
            Op::CallerIdempotencyRelease => "caller.idempotency_release",
            Op::LockoutCheck => "lockout.check",
            Op::LockoutFail => "lockout.fail",
            Op::ApiKeyPut => "api_key.put",
            Op::ApiKeyGet => "api_key.get",
            Op::ApiKeyList => "api_key.list",
            Op::ApiKeyDelete => "api_key.delete",
            Op::LeaderTake => "leader.take",
        }
    }
}

/// The round trips of one connection and its clones, per [`Op`]; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct RoundTrips(Arc<[AtomicU64; Op::ALL.len()]>);

impl Default for RoundTrips {
    fn default() -> Self {
        Self(Arc::new(std::array::from_fn(|_| AtomicU64::new(0))))
    }
}

impl RoundTrips {
    pub(crate) fn count(&self, op: Op) {
        self.0[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Round trips made so far for `op`.
    pub fn get(&self, op: Op) -> u64 {
        self.0[op as usize].load(Ordering::Relaxed)
    }

    /// Round trips made so far, per operation label, every operation listed (most at 0).
    pub fn totals(&self) -> Vec<(&'static str, u64)> {
        Op::ALL.iter().map(|&op| (op.as_str(), self.get(op))).collect()
    }

    /// Round trips made so far, all operations together.
    pub fn total(&self) -> u64 {
        Op::ALL.iter().map(|&op| self.get(op)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_is_listed_once_in_enum_order_with_its_own_label() {
        for (index, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, index, "{op:?}");
        }
        let mut labels: Vec<&str> = Op::ALL.iter().map(|op| op.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), Op::ALL.len());
    }

    #[test]
    fn clones_share_the_counts() {
        let counts = RoundTrips::default();
        let clone = counts.clone();
        clone.count(Op::JobEnqueue);
        counts.count(Op::JobEnqueue);
        counts.count(Op::DeviceAdmit);
        assert_eq!(counts.get(Op::JobEnqueue), 2);
        assert_eq!(clone.total(), 3);
        assert!(counts.totals().contains(&("device.admit", 1)));
    }
}
