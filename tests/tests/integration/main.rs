//! The one integration-test binary. Every test starts its own real nats-server and
//! redis-server on free loopback ports, the services in-process, and simulated devices.

mod api_keys;
mod bodies;
mod breaker;
mod cancel;
mod config;
mod config_locks;
mod device_limits;
mod events;
mod failures;
mod healthcheck;
mod kills;
mod linux;
mod listing;
mod lockouts;
mod logins;
mod metrics;
mod nats_cluster;
mod netmiko;
mod openapi;
mod outages;
mod pipeline;
mod platforms;
mod provision;
mod rate_limits;
mod reaper;
mod redis_cluster;
mod reuse;
mod secrets;
mod stream;
mod structured;
mod tls;
mod traces;
mod v1;
mod validation;
mod webhooks;
