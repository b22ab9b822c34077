//! The naas messaging contract, used by every process that touches NATS.
//!
//! Subjects, stream and consumer definitions, the typed job message and its headers, and
//! idempotent provisioning all live here; no other crate spells a subject or a stream
//! name. Everything is derived from one configurable prefix so several deployments or
//! test runs can share a NATS server.

pub mod audit;
pub mod backends;
pub mod backlog;
pub mod events;
pub mod message;
pub mod provision;
pub mod results;
pub mod topology;

pub use audit::Audit;
pub use backends::{Backends, connect_backends};
pub use events::{Events, JobEvent};
pub use message::{JobMessage, JobSpec, MessageError, Structured, headers};
pub use provision::{Provisioned, connect, provision};
pub use results::{publish_result, publish_settled};
pub use topology::Topology;
