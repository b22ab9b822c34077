//! The `linux` platform against a stock OpenSSH sshd, logging in with a key from the
//! workers' key store.

use naas_tests::sshd::Sshd;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn linux_over_openssh_with_a_key_from_the_key_store() {
    let sshd = Sshd::start();
    let key_dir = sshd.key_dir.display().to_string();
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.worker.ssh_key_dir = key_dir;
    stack.add_worker().await;

    let body = json!({
        "host": "127.0.0.1", "port": sshd.port, "platform": "linux", "ssh_key": "naas-test",
        "commands": ["echo naas-$((6*7))", "uname -s", "id -un"],
    });
    // Basic auth carries the login user; with a key the password may stay empty.
    let response = stack.post("/v2/send-command", &sshd.user, "", &body).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    let results = &doc["results"];
    assert_eq!(results["echo naas-$((6*7))"], "naas-42", "{results}");
    assert_eq!(results["uname -s"], "Linux");
    assert_eq!(results["id -un"], sshd.user.as_str());

    let missing =
        json!({"host": "127.0.0.1", "port": sshd.port, "platform": "linux", "ssh_key": "nope", "commands": ["id"]});
    let accepted: Value = stack.post("/v2/send-command", &sshd.user, "", &missing).await.json().await.unwrap();
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["error_code"], "AUTH_FAILURE", "{doc}");
}

/// Old gear offering only SHA-1 key exchange, CBC ciphers, SHA-1 MACs and an ssh-rsa host
/// key: refused with the modern defaults (SSH_NEGOTIATION), reached with `legacy_ssh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn legacy_algorithms_are_opt_in() {
    let sshd = Sshd::start_legacy();
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.worker.ssh_key_dir = sshd.key_dir.display().to_string();
    stack.add_worker().await;
    let mut body = json!({
        "host": "127.0.0.1", "port": sshd.port, "platform": "linux", "ssh_key": "naas-test", "commands": ["uname -s"],
    });
    let modern: Value = stack.post("/v2/send-command", &sshd.user, "", &body).await.json().await.unwrap();
    let doc = stack.result_of(modern["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["error_code"], "SSH_NEGOTIATION", "{doc}");

    body["legacy_ssh"] = json!(true);
    let legacy: Value = stack.post("/v2/send-command", &sshd.user, "", &body).await.json().await.unwrap();
    let doc = stack.result_of(legacy["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert_eq!(doc["results"]["uname -s"], "Linux");
}

/// A device reached through an OpenSSH jump host, named in the request or configured for
/// the job's context.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_behind_a_jump_host() {
    let bastion = Sshd::start();
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.worker.ssh_key_dir = bastion.key_dir.display().to_string();
    let lab = naas_shared::job::JumpHostSpec {
        host: naas_shared::domain::Host::parse("127.0.0.1").unwrap(),
        port: bastion.port,
        username: bastion.user.clone(),
        ssh_key: Some("naas-test".into()),
    };
    stack.settings.jump_hosts.insert("lab".into(), lab);
    stack.settings.worker.session_reuse = false;
    stack.add_worker().await;
    let port = stack.device("r1").addr.port();
    let jump = json!({"host": "127.0.0.1", "port": bastion.port, "username": bastion.user, "ssh_key": "naas-test"});
    let cases = [
        json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "jump_host": jump}),
        json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "context": "lab"}),
    ];
    for (n, body) in cases.into_iter().enumerate() {
        let doc = {
            let accepted = stack.submit_command("netops", "s3cret-pw", &body).await;
            stack.result_of(accepted["job_id"].as_str().unwrap()).await
        };
        assert_eq!(doc["status"], "finished", "{body} → {doc}");
        assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"));
        assert_eq!(bastion.await_logins(n + 1).await, n + 1, "the job went through the jump host");
    }
    let wrong = json!({"host": "127.0.0.1", "port": bastion.port, "username": "nobody", "password": "nope"});
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "jump_host": wrong});
    let accepted = stack.submit_command("netops", "s3cret-pw", &body).await;
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["error_code"], "AUTH_FAILURE", "{doc}");
    assert!(doc["error"].as_str().unwrap().contains("jump host"), "{doc}");
}
