//! The order in which this worker's jobs get at a busy device.
//!
//! The fleet-wide session limit lives in Redis (device slots). A job that found its device
//! full used to poll until a slot freed, and whichever poll came first won: under
//! contention some jobs waited many rounds while others got straight in, and each waited
//! up to a polling interval after the slot it needed had freed. So within one worker the
//! jobs for a device queue here first, first come first served, holding at most as many
//! turns as the device takes sessions (a config push takes them all), and each is woken
//! the moment the job before it has released its slot. Redis still decides between
//! workers; this only orders the jobs of one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::device_access::Access;

pub struct DeviceQueues {
    /// Sessions per device (`jobs.device_concurrency`).
    limit: u32,
    /// One queue per device with jobs holding or awaiting a turn; dropped when empty.
    queues: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A job's turn at its device: hold it until the device slot is released.
pub struct Turn {
    permit: Option<OwnedSemaphorePermit>,
    device: String,
    queues: Arc<DeviceQueues>,
}

impl DeviceQueues {
    pub fn new(limit: usize) -> Arc<Self> {
        let limit = u32::try_from(limit.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
        Arc::new(Self { limit, queues: Mutex::new(HashMap::new()) })
    }

    fn queue(&self, device: &str) -> Arc<Semaphore> {
        let mut queues = self.queues.lock().expect("not poisoned");
        queues.entry(device.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.limit as usize))).clone()
    }

    fn turns(&self, access: Access) -> u32 {
        match access {
            Access::Shared => 1,
            Access::Exclusive => self.limit,
        }
    }

    /// A turn now, if nobody is ahead and the device has one free.
    pub fn try_enter(self: &Arc<Self>, device: &str, access: Access) -> Option<Turn> {
        let permit = self.queue(device).try_acquire_many_owned(self.turns(access)).ok();
        let turn = Turn { permit, device: device.to_owned(), queues: self.clone() };
        turn.permit.is_some().then_some(turn)
    }

    /// Waits behind the jobs that asked before this one.
    pub async fn enter(self: &Arc<Self>, device: &str, access: Access) -> Turn {
        let queue = self.queue(device);
        let permit = queue.acquire_many_owned(self.turns(access)).await.expect("the queue is never closed");
        Turn { permit: Some(permit), device: device.to_owned(), queues: self.clone() }
    }

    /// Devices with a queue (jobs holding or awaiting a turn).
    #[cfg(test)]
    fn devices(&self) -> usize {
        self.queues.lock().expect("not poisoned").len()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut queues = self.queues.queues.lock().expect("not poisoned");
        // Only the map holds it: no job holds a turn or waits for one.
        if queues.get(&self.device).is_some_and(|queue| Arc::strong_count(queue) == 1) {
            queues.remove(&self.device);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn waiting_jobs_get_in_in_the_order_they_came() {
        let queues = DeviceQueues::new(2);
        let first = queues.try_enter("r1:22", Access::Shared).expect("free");
        let second = queues.try_enter("r1:22", Access::Shared).expect("free");
        assert!(queues.try_enter("r1:22", Access::Shared).is_none(), "two sessions at most");
        let (order, mut entered) = mpsc::unbounded_channel();
        let mut waiting = Vec::new();
        for n in 0..4 {
            let (queues, order) = (queues.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let turn = queues.enter("r1:22", Access::Shared).await;
                order.send(n).unwrap();
                turn
            }));
            // Each waiter is queued before the next one asks.
            tokio::task::yield_now().await;
        }
        drop(first);
        let a = entered.recv().await;
        drop(second);
        let b = entered.recv().await;
        assert_eq!((a, b), (Some(0), Some(1)));
        for task in waiting.drain(..2) {
            drop(task.await.unwrap());
        }
        let rest = (entered.recv().await, entered.recv().await);
        assert_eq!(rest, (Some(2), Some(3)));
        for task in waiting {
            drop(task.await.unwrap());
        }
        assert_eq!(queues.devices(), 0, "an idle device's queue is dropped");
    }

    #[tokio::test]
    async fn a_config_push_waits_for_every_session_and_holds_them_all() {
        let queues = DeviceQueues::new(2);
        let show = queues.try_enter("r1:22", Access::Shared).expect("free");
        assert!(queues.try_enter("r1:22", Access::Exclusive).is_none());
        let push = tokio::spawn({
            let queues = queues.clone();
            async move { queues.enter("r1:22", Access::Exclusive).await }
        });
        tokio::task::yield_now().await;
        assert!(queues.try_enter("r1:22", Access::Shared).is_none(), "a later job does not jump the push");
        drop(show);
        let push = push.await.unwrap();
        assert!(queues.try_enter("r1:22", Access::Shared).is_none(), "the push holds the device alone");
        assert!(queues.try_enter("r2:22", Access::Shared).is_some(), "other devices are not affected");
        drop(push);
        assert!(queues.try_enter("r1:22", Access::Shared).is_some());
    }
}
