//! The device repository: what the fleet shares about each device (`host:port`): the
//! sessions running on it (slots), its circuit breaker, and the host key it first
//! presented. When to take a slot or open a circuit is the worker's business; the
//! check-and-set of each is one Lua script here, so two workers never both win.
//!
//! Every key is per device and used alone, so devices spread over a cluster's nodes.

use std::sync::Arc;
use std::time::Duration;

use super::redis_conn::RedisConn;
use super::round_trips::Op;
use super::{StoreError, keys, scripts};

/// How a job holds a device: alongside other read-only jobs, or alone (a config push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Shared,
    Exclusive,
}

/// Whether a job may try its device, by the device's circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Closed,
    /// The circuit is open: fail fast.
    Open,
    /// The cool-down is over and this job is the trial.
    Trial,
}

/// A change of a circuit's state that deserves an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Opened { failures: u32 },
    Closed,
}

/// Devices per circuit state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CircuitCounts {
    pub closed: u64,
    pub open: u64,
    pub half_open: u64,
}

#[derive(Clone)]
pub struct DeviceStore {
    conn: RedisConn,
    prefix: Arc<str>,
}

impl DeviceStore {
    pub fn new(conn: RedisConn, prefix: &str) -> Self {
        Self { conn, prefix: prefix.into() }
    }

    /// A slot holder as stored: `s:<job>` (shared) or `x:<job>` (exclusive).
    fn holder(job: &str, access: Access) -> String {
        match access {
            Access::Shared => format!("s:{job}"),
            Access::Exclusive => format!("x:{job}"),
        }
    }

    /// Takes (or renews) a slot for `job` until `lease` from now (Redis's clock), at most
    /// `limit` shared holders or one exclusive; false if the device is busy.
    pub async fn acquire_slot(
        &self,
        host: &str,
        port: u16,
        job: &str,
        access: Access,
        limit: usize,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.op(Op::DeviceSlotAcquire);
        let taken: i64 = scripts::DEVICE_SLOT_ACQUIRE
            .key(keys::device_slots(&self.prefix, host, port))
            .arg(Self::holder(job, access))
            .arg(limit)
            .arg(if access == Access::Exclusive { "1" } else { "0" })
            .arg(lease.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(taken == 1)
    }

    pub async fn release_slot(&self, host: &str, port: u16, job: &str, access: Access) -> Result<(), StoreError> {
        let mut conn = self.conn.op(Op::DeviceSlotRelease);
        let _: i64 = redis::cmd("ZREM")
            .arg(keys::device_slots(&self.prefix, host, port))
            .arg(Self::holder(job, access))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Drops the expired holders of every device's slot set, one script per set (each set
    /// is its own key, on whichever node of a cluster holds it); returns how many.
    pub async fn prune_slots(&self) -> Result<u64, StoreError> {
        let mut pruned = 0;
        for key in self.conn.scan_match(&keys::device_slots_pattern(&self.prefix)).await? {
            let mut conn = self.conn.op(Op::DeviceSlotsPrune);
            let dropped: u64 = scripts::DEVICE_SLOTS_PRUNE.key(key).invoke_async(&mut conn).await?;
            pruned += dropped;
        }
        Ok(pruned)
    }

    /// Asks the device's circuit whether a job may try it at `now_ms` (Unix ms); an open
    /// circuit whose cool-down is over lets this one job through as its trial and stays
    /// half-open for another `cool_down`.
    pub async fn circuit_admit(
        &self,
        host: &str,
        port: u16,
        now_ms: u64,
        cool_down: Duration,
    ) -> Result<Admission, StoreError> {
        let mut conn = self.conn.op(Op::DeviceCircuitAdmit);
        let answer: String = scripts::CIRCUIT_ADMIT
            .key(keys::circuit(&self.prefix, host, port))
            .arg(now_ms)
            .arg(cool_down.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(match answer.as_str() {
            "open" => Admission::Open,
            "trial" => Admission::Trial,
            _ => Admission::Closed,
        })
    }

    /// Records how a job that tried the device fared (`unreachable`: it could not reach
    /// it); the circuit opens at `threshold` consecutive failures or a failed trial, and
    /// closes on a success.
    pub async fn circuit_record(
        &self,
        host: &str,
        port: u16,
        now_ms: u64,
        cool_down: Duration,
        threshold: u32,
        unreachable: bool,
    ) -> Result<Option<Change>, StoreError> {
        let mut conn = self.conn.op(Op::DeviceCircuitRecord);
        let (change, failures): (String, u32) = scripts::CIRCUIT_RECORD
            .key(keys::circuit(&self.prefix, host, port))
            .arg(now_ms)
            .arg(cool_down.as_millis() as u64)
            .arg(threshold)
            .arg(if unreachable { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok(match change.as_str() {
            "opened" => Some(Change::Opened { failures }),
            "closed" => Some(Change::Closed),
            _ => None,
        })
    }

    /// Counts circuits per state, scanning in batches (never one long blocking command) on
    /// every node that holds keys.
    pub async fn circuit_counts(&self) -> Result<CircuitCounts, StoreError> {
        let mut counts = CircuitCounts::default();
        let mut conn = self.conn.op(Op::DeviceCircuitCounts);
        for key in self.conn.scan_match(&keys::circuits_pattern(&self.prefix)).await? {
            let state: Option<String> = redis::cmd("HGET").arg(&key).arg("state").query_async(&mut conn).await?;
            match state.as_deref().unwrap_or("closed") {
                "open" => counts.open += 1,
                "half-open" => counts.half_open += 1,
                _ => counts.closed += 1,
            }
        }
        Ok(counts)
    }

    /// Remembers `fingerprint` as the device's host key unless one is remembered already;
    /// returns the one remembered before, if any.
    pub async fn remember_host_key(
        &self,
        host: &str,
        port: u16,
        fingerprint: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.op(Op::DeviceHostKey);
        let known: Option<String> = redis::cmd("SET")
            .arg(keys::host_key(&self.prefix, host, port))
            .arg(fingerprint)
            .arg("NX")
            .arg("GET")
            .query_async(&mut conn)
            .await?;
        Ok(known)
    }
}
