//! `<binary> provision`, the Helm hook's step: the real composition root creates the NATS
//! topology with nothing but NATS settings (production mode, no key ring, no admin secret),
//! finds it in place on a second run, and fails with a clear message when NATS is away.

use std::process::{Command, Output};

use naas_nats::Topology;
use naas_tests::servers::NatsServer;

fn provision(nats_url: &str, prefix: &str) -> Output {
    Command::new(crate::reaper::WORKER_EXE)
        .arg("provision")
        .env_clear()
        .env("NAAS_MODE", "production")
        .env("NAAS_PREFIX", prefix)
        .env("NAAS_NATS__URL", nats_url)
        .env("NAAS_NATS__CONNECT_TIMEOUT_SECS", "2")
        .output()
        .expect("run the worker binary")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provision_creates_the_topology_idempotently_with_nats_settings_only() {
    let mut nats = NatsServer::start();
    let prefix = "prov";
    let topology = Topology::new(prefix);

    for run in 1..=2 {
        let output = provision(&nats.url, prefix);
        assert!(output.status.success(), "run {run}: {}", text(&output));
        assert!(text(&output).contains("NATS topology"), "run {run}: {}", text(&output));
    }

    let js = async_nats::jetstream::new(async_nats::connect(&nats.url).await.unwrap());
    for (stream, subject) in [
        (topology.jobs_stream(), "prov.jobs.>"),
        (topology.results_stream(), "prov.results.>"),
        (topology.events_stream(), "prov.events.>"),
    ] {
        let mut stream = js.get_stream(&stream).await.unwrap_or_else(|e| panic!("{stream}: {e}"));
        assert_eq!(stream.info().await.unwrap().config.subjects, vec![subject.to_owned()]);
    }
    let jobs = js.get_stream(topology.jobs_stream()).await.unwrap();
    let mut workers = jobs
        .get_consumer::<async_nats::jetstream::consumer::pull::Config>(&topology.workers_consumer())
        .await
        .expect("the workers' consumer exists");
    assert_eq!(workers.info().await.unwrap().config.filter_subject, "prov.jobs.>");

    nats.kill();
    let output = provision(&nats.url, prefix);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("connecting to NATS"), "{}", text(&output));
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let output = Command::new(crate::reaper::WORKER_EXE).arg("provison").env_clear().output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("unknown subcommand \"provison\""), "{}", text(&output));
}
