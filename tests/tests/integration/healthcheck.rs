//! `<binary> healthcheck`, the containers' self-check: the API answers `GET /livez` over
//! TLS on its own port; the worker and the reaper reach NATS and Redis with their settings.
//! Each probe must also fail when what it checks is gone.

use naas_api::Api;
use naas_reaper::Reaper;
use naas_shared::secret::Secret;
use naas_shared::service::healthcheck;
use naas_tests::servers::closed_port;
use naas_tests::{Stack, StackOptions};
use naas_worker::Worker;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_probes_its_own_port() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let mut settings = stack.settings.clone();
    // The stack's API bound port 0; the probe needs the port it actually got, and reaches
    // it through loopback like a container listening on every interface.
    let bound: std::net::SocketAddr = stack.api_url.trim_start_matches("https://").parse().unwrap();
    settings.api.listen = format!("0.0.0.0:{}", bound.port()).parse().unwrap();
    healthcheck::<Api>(&settings).await.expect("the running API is healthy");

    settings.api.listen = format!("0.0.0.0:{}", closed_port()).parse().unwrap();
    let error = healthcheck::<Api>(&settings).await.expect_err("nothing listens there");
    assert!(format!("{error:#}").contains("connecting to"), "{error:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_and_reapers_are_healthy_only_while_nats_and_redis_answer() {
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let settings = stack.settings.clone();
    healthcheck::<Worker>(&settings).await.expect("worker healthy");
    healthcheck::<Reaper>(&settings).await.expect("reaper healthy");

    stack.nats.kill();
    let error = healthcheck::<Worker>(&settings).await.expect_err("NATS is down");
    assert!(format!("{error:#}").contains("NATS"), "{error:#}");
    healthcheck::<Reaper>(&settings).await.expect_err("NATS is down");
    stack.nats.resume();
    healthcheck::<Worker>(&settings).await.expect("healthy again");

    stack.redis.kill();
    let error = healthcheck::<Worker>(&settings).await.expect_err("Redis is down");
    assert!(format!("{error:#}").contains("Redis"), "{error:#}");
    healthcheck::<Reaper>(&settings).await.expect_err("Redis is down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_probe_uses_the_configured_tls_and_credentials() {
    let stack = Stack::start(StackOptions { workers: 0, nats_tls: true, redis_tls: true, ..Default::default() }).await;
    healthcheck::<Worker>(&stack.settings).await.expect("TLS and passwords as configured");

    let mut wrong = stack.settings.clone();
    wrong.nats.password = Some(Secret::new("not-the-password".into()));
    healthcheck::<Worker>(&wrong).await.expect_err("NATS refuses a wrong password");

    let mut wrong = stack.settings.clone();
    wrong.redis.url = Secret::new(wrong.redis.url.expose().replacen("redis-pw-for-tests", "wrong", 1));
    healthcheck::<Reaper>(&wrong).await.expect_err("Redis refuses a wrong password");
}
