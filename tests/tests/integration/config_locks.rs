//! A push meets a device someone else is changing: a Junos engineer with uncommitted
//! changes in the shared candidate. The job must not commit their half-made change with
//! its own: entering exclusive mode is refused and the job fails saying why.

use std::sync::Arc;
use std::time::Duration;

use naas_shared::job::DeviceCredentials;
use naas_shared::secret::Secret;
use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use naas_worker::session::host_keys::HostKeys;
use naas_worker::session::{DeviceSession, Target};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_junos_push_never_commits_someone_elses_uncommitted_changes() {
    let device = DeviceSpec::new("juniper_junos", "vmx1", USER, PASS, "");
    let stack = Stack::start(StackOptions { devices: vec![device], ..Default::default() }).await;
    let port = stack.device("vmx1").addr.port();

    // An engineer's session: configuration mode, a change staged, not committed.
    let redis = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let platforms = stack.settings.platforms().unwrap();
    let target = Target {
        host: "127.0.0.1",
        port,
        platform: platforms.get("juniper_junos").unwrap(),
        conn_timeout: Duration::from_secs(5),
        prompt_timeout: Duration::from_secs(5),
        output_limit: 1 << 20,
        host_keys: Arc::new(HostKeys::from_settings(&stack.settings, redis)),
        ssh_key: None,
        legacy_ssh: false,
        jump: None,
    };
    let login = DeviceCredentials {
        username: USER.into(),
        password: Secret::new(PASS.into()),
        enable: None,
        jump_password: None,
    };
    let mut engineer = DeviceSession::open(&target, &login).await.expect("the engineer logs in");
    engineer.run("configure", Duration::from_secs(5)).await.unwrap();
    engineer.run("set system host-name half-made", Duration::from_secs(5)).await.unwrap();

    let body = json!({"host": "127.0.0.1", "port": port, "platform": "juniper_junos",
                      "config": ["set system ntp server 192.0.2.1"]});
    let response = stack.post("/v2/send-config", USER, PASS, &body).await;
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    let doc = stack.result_of(&job_id).await;
    assert_eq!((doc["status"].as_str(), doc["error_code"].as_str()), (Some("failed"), Some("CONFIG_REJECTED")));
    assert!(doc["error"].as_str().unwrap().contains("entering configuration mode"), "{doc}");
    let sent: Vec<String> = stack.command_log.entries_for("vmx1").into_iter().map(|r| r.command).collect();
    assert!(!sent.iter().any(|c| c.starts_with("commit") || c.contains("ntp")), "nothing pushed: {sent:?}");
    let running = engineer.run("run show configuration system", Duration::from_secs(5)).await.unwrap();
    assert!(!running.contains("half-made"), "the engineer's change stays uncommitted: {running}");
    engineer.close().await;
}
