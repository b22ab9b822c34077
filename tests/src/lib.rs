//! The integration-test harness: real nats-server and redis-server processes, the naas
//! services built through their library entry points, simulated devices, and log capture.

pub mod cluster;
pub mod collector;
pub mod faults;
pub mod logs;
pub mod processes;
pub mod receiver;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod servers;
pub mod sshd;
pub mod stack;
pub mod wait;

pub use stack::{ADMIN_SECRET, Stack, StackOptions, fast_queue_expiry, fast_recovery, ios_fleet};
