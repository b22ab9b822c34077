//! Fleet-wide limits on sessions per device, kept in Redis so every worker sees them.
//!
//! Each device has a sorted set of holders scored by lease expiry. A read-only job takes a
//! shared slot (at most `limit` at once); a config job takes the device exclusively. A
//! holder whose worker died stops counting when its lease expires. The check-and-take is
//! one Lua script, so two workers can never both take the last slot.

use std::sync::Arc;
use std::time::Duration;

pub use naas_shared::store::devices::Access;
use naas_shared::store::{DeviceStore, StoreError};

use crate::device_queue::DeviceQueues;

pub struct DeviceSlots {
    devices: DeviceStore,
    limit: usize,
    /// The order in which this worker's jobs take the slots of a device.
    pub queues: Arc<DeviceQueues>,
}

impl DeviceSlots {
    pub fn new(devices: DeviceStore, limit: usize) -> Self {
        Self { devices, limit, queues: DeviceQueues::new(limit) }
    }

    /// Takes (or renews) a slot for `job` until `lease` from now; false if the device is busy.
    pub async fn try_acquire(
        &self,
        host: &str,
        port: u16,
        job: &str,
        access: Access,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.devices.acquire_slot(host, port, job, access, self.limit, lease).await
    }

    pub async fn release(&self, host: &str, port: u16, job: &str, access: Access) {
        if let Err(error) = self.devices.release_slot(host, port, job, access).await {
            tracing::warn!(%error, "could not release a device slot; its lease will expire");
        }
    }
}
