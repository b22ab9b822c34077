//! A three-node NATS cluster with every stream replicated three times: killing the node
//! that leads the jobs stream, under load, loses no accepted job.

use std::time::Duration;

use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

/// Submits until accepted: while the cluster elects a new leader a submission may get 503
/// (never anything else).
async fn submit(stack: &Stack, body: &Value) -> String {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = stack.post("/v2/send-command", "netops", "s3cret-pw", body).await;
        match response.status().as_u16() {
            202 => return response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned(),
            503 => assert!(tokio::time::Instant::now() < give_up, "the cluster never recovered"),
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_jobs_stream_leader_loses_no_accepted_job() {
    let devices = naas_tests::ios_fleet("c", 4, 10);
    let mut stack = Stack::start(StackOptions {
        workers: 2,
        devices,
        nats_cluster: true,
        settings: naas_tests::fast_recovery,
        ..Default::default()
    })
    .await;
    stack.add_reaper(|_| {}).await;
    let ports: Vec<u16> = stack.devices.iter().map(|d| d.addr.port()).collect();
    let body = |i: usize| json!({"host": "127.0.0.1", "port": ports[i % ports.len()], "commands": ["show version"]});

    let mut accepted = Vec::new();
    for i in 0..150 {
        accepted.push(submit(&stack, &body(i)).await);
    }
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    let info = jobs.info().await.unwrap();
    let cluster = info.cluster.as_ref().expect("a clustered stream");
    assert_eq!(info.config.num_replicas, 3);
    let killed = cluster.leader.clone().expect("the jobs stream has a leader");
    eprintln!("killing {killed}, the jobs stream leader, with {} jobs accepted", accepted.len());
    match killed.as_str() {
        "n0" => stack.nats.kill(),
        name => {
            let index: usize = name.trim_start_matches('n').parse().unwrap();
            stack.nats_peers[index - 1].kill();
        }
    }
    // The accepted jobs must survive whatever happens next; the new leaders are awaited
    // only so the rest of the load does not measure the election.
    for stream in [topology.jobs_stream(), topology.results_stream(), topology.events_stream()] {
        naas_tests::wait::until(&format!("a new leader for {stream}"), Duration::from_secs(30), || async {
            let mut handle = stack.jetstream().get_stream(&stream).await.ok()?;
            let info = handle.info().await.ok()?;
            let leader = info.cluster.as_ref()?.leader.clone()?;
            (leader != killed).then_some(())
        })
        .await;
    }
    for i in 150..300 {
        accepted.push(submit(&stack, &body(i)).await);
    }
    for id in &accepted {
        let doc = stack.result_of(id).await;
        assert_eq!(doc["status"], "finished", "{doc}");
    }
}
