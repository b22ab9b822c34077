//! The device repository: what the fleet shares about each device (`host:port`): the
//! sessions running on it (slots), its circuit breaker, and the host key it first
//! presented. When to take a slot or open a circuit is the worker's business; the
//! check-and-set of each is one Lua script here, so two workers never both win.
//!
//! A job costs its device two scripts: [`DeviceStore::admit`] (lockout, circuit, slot) and
//! [`DeviceStore::release`] (slot, circuit, login failures). So a device's keys share
//! the hash tag `{dev:<host>:<port>}` (one device's keys on one node of a cluster, devices
//! spread over the nodes).

use std::sync::Arc;
use std::time::Duration;

use super::lockout::Policy;
use super::redis_conn::RedisConn;
use super::round_trips::Op;
use super::{StoreError, keys, scripts};

/// How a job holds a device: alongside other read-only jobs, or alone (a config push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Shared,
    Exclusive,
}

/// What a device answered a job asking to run on it ([`DeviceStore::admit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The device is locked out after repeated login failures, for this many more seconds.
    LockedOut(u64),
    /// The circuit is open: fail fast.
    Open,
    /// No slot of the kind asked for is free: wait.
    Busy,
    /// The slot is taken and the circuit is closed (or the breaker is off).
    Taken,
    /// The slot is taken, and the cool-down is over: this job is the circuit's trial.
    Trial,
    /// The job held the slot already (renewed): another delivery of it may be running, so
    /// the slot is not this delivery's to give back unless it runs the job.
    Held,
}

/// A job's slot on a device: whose, of which kind, how many shared holders the device
/// allows, and for how long it is held unless renewed (Redis's clock).
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    pub host: &'a str,
    pub port: u16,
    pub job: &'a str,
    pub access: Access,
    pub limit: usize,
    pub lease: Duration,
}

/// The circuit breaker's figures, with the worker's clock (Unix ms).
#[derive(Debug, Clone, Copy)]
pub struct Circuit {
    pub now_ms: u64,
    pub cool_down: Duration,
    pub threshold: u32,
}

/// How a job fared on its device, for [`DeviceStore::release`]: for its circuit (`None`:
/// the job does not count, e.g. it never tried the device), and for its logins.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// The circuit and whether the job could not reach the device.
    pub circuit: Option<(Circuit, bool)>,
    pub logins: Logins,
}

/// What a job says about the device's login failures.
#[derive(Debug, Clone, Copy)]
pub enum Logins {
    /// Nothing (it did not get to a login, or failed for another reason).
    Unchanged,
    /// The device refused the job's credentials: count it, lock the device at the policy's
    /// threshold.
    Refused(Policy),
    /// The job got past the login: forget the earlier failures.
    Accepted,
}

impl Report {
    /// Only the slot goes back (the job did not run).
    pub const NOTHING: Report = Report { circuit: None, logins: Logins::Unchanged };
}

/// What a release changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released {
    pub change: Option<Change>,
    /// The login failure count, when this job's failure locked the device out.
    pub locked_out: Option<u64>,
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

    /// Admits a job to the device in one script: refused while the device is locked out or
    /// its circuit is open (`circuit`: `None` when the breaker is off), else takes the
    /// job's slot (at most `limit` shared holders, or one exclusive) unless the device is
    /// busy. An open circuit whose cool-down is over lets this one job through as its trial
    /// and stays half-open for another cool-down.
    pub async fn admit(&self, slot: &Slot<'_>, circuit: Option<Circuit>) -> Result<Admission, StoreError> {
        let mut conn = self.conn.op(Op::DeviceAdmit);
        let (answer, seconds): (String, u64) = self
            .slot_script(slot)
            .arg("admit")
            .arg(circuit.map(|c| c.now_ms.to_string()).unwrap_or_default())
            .arg(circuit.map_or(0, |c| c.cool_down.as_millis() as u64))
            .invoke_async(&mut conn)
            .await?;
        Ok(match answer.as_str() {
            "locked" => Admission::LockedOut(seconds),
            "open" => Admission::Open,
            "busy" => Admission::Busy,
            "trial" => Admission::Trial,
            "held" => Admission::Held,
            _ => Admission::Taken,
        })
    }

    /// Renews the job's slot for another lease (retaking it if it lapsed and the device has
    /// room); false if the device is busy.
    pub async fn renew_slot(&self, slot: &Slot<'_>) -> Result<bool, StoreError> {
        let mut conn = self.conn.op(Op::DeviceSlotRenew);
        let (answer, _): (String, u64) =
            self.slot_script(slot).arg("renew").arg("").arg(0).invoke_async(&mut conn).await?;
        Ok(answer != "busy")
    }

    fn slot_script(&self, slot: &Slot<'_>) -> redis::ScriptInvocation<'static> {
        let mut invocation = scripts::DEVICE_ADMIT.prepare_invoke();
        invocation
            .key(keys::device_slots(&self.prefix, slot.host, slot.port))
            .key(keys::circuit(&self.prefix, slot.host, slot.port))
            .key(keys::device_lockout(&self.prefix, slot.host, slot.port))
            .arg(Self::holder(slot.job, slot.access))
            .arg(slot.limit)
            .arg(if slot.access == Access::Exclusive { "1" } else { "0" })
            .arg(slot.lease.as_millis() as u64);
        invocation
    }

    /// Gives the job's slot back and records how the job fared, in one script: the
    /// circuit opens at `threshold` consecutive failures to reach the device or a failed
    /// trial, and closes on a success; refused logins count towards the device's lockout.
    pub async fn release(&self, slot: &Slot<'_>, report: &Report) -> Result<Released, StoreError> {
        let mut conn = self.conn.op(Op::DeviceRelease);
        let (host, port) = (slot.host, slot.port);
        let mut invocation = scripts::DEVICE_RELEASE.prepare_invoke();
        invocation
            .key(keys::device_slots(&self.prefix, host, port))
            .key(keys::circuit(&self.prefix, host, port))
            .key(keys::device_login_failures(&self.prefix, host, port))
            .key(keys::device_lockout(&self.prefix, host, port))
            .arg(Self::holder(slot.job, slot.access));
        match report.circuit {
            Some((circuit, unreachable)) => invocation
                .arg(circuit.now_ms)
                .arg(circuit.cool_down.as_millis() as u64)
                .arg(circuit.threshold)
                .arg(if unreachable { "1" } else { "0" }),
            None => invocation.arg("").arg(0).arg(0).arg("0"),
        };
        match report.logins {
            Logins::Refused(policy) => invocation
                .arg("failed")
                .arg(policy.window.as_millis() as u64)
                .arg(policy.failures)
                .arg(policy.lock.as_millis() as u64)
                .arg(uuid::Uuid::new_v4().simple().to_string()),
            Logins::Accepted => invocation.arg("succeeded").arg(0).arg(0).arg(0).arg(""),
            Logins::Unchanged => invocation.arg("").arg(0).arg(0).arg(0).arg(""),
        };
        let (change, failures, locked): (String, u32, u64) = invocation.invoke_async(&mut conn).await?;
        let change = match change.as_str() {
            "opened" => Some(Change::Opened { failures }),
            "closed" => Some(Change::Closed),
            _ => None,
        };
        Ok(Released { change, locked_out: (locked > 0).then_some(locked) })
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
