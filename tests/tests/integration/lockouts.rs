//! Lockouts trigger after repeated failures and expire.

use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use naas_tests::{ADMIN_SECRET, Stack, StackOptions};
use serde_json::{Value, json};

/// Retries `attempt` until it returns `want` (the lock expiring is the event), at most 10 s.
async fn eventually<F, Fut>(want: u16, mut attempt: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if attempt().await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_that_keeps_refusing_logins_is_locked_out_then_released() {
    let options = StackOptions {
        settings: |s| {
            s.lockout.device_failures = 2;
            s.lockout.device_lock_secs = 2;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let mut events =
        stack.nats_client.subscribe(format!("{}.audit.device.locked_out", stack.settings.prefix)).await.unwrap();
    stack.nats_client.flush().await.unwrap();
    let port = stack.device("r1").addr.port();
    let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"]});
    for _ in 0..2 {
        let accepted = stack.submit_command("netops", "wrong", &body).await;
        assert_eq!(stack.result_of(accepted["job_id"].as_str().unwrap()).await["error_code"], "AUTH_FAILURE");
    }
    let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap();
    let event: Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!(event["failure_count"], 2);
    assert_eq!(event["host"], "127.0.0.1");
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&event).unwrap()).contains("wrong"));

    let refused = stack.post("/v2/send-command", "netops", "s3cret-pw", &body).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["code"], "DEVICE_LOCKED_OUT");
    let released = eventually(202, || async {
        stack.post("/v2/send-command", "netops", "s3cret-pw", &body).await.status().as_u16()
    });
    assert!(released.await, "the device lock expires");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_api_user_is_locked_out_after_failed_logins_then_released() {
    let options = StackOptions {
        workers: 0,
        settings: |s| {
            s.lockout.user_failures = 3;
            s.lockout.user_lock_secs = 2;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    for _ in 0..3 {
        assert_eq!(stack.get("/v2/api-keys", "admin", "guess").await.status(), 401);
    }
    let locked = stack.get("/v2/api-keys", "admin", ADMIN_SECRET).await;
    assert_eq!(locked.status(), 403, "even the right secret is refused while locked");
    assert_eq!(locked.json::<Value>().await.unwrap()["code"], "LOCKED_OUT");
    let released =
        eventually(200, || async { stack.get("/v2/api-keys", "admin", ADMIN_SECRET).await.status().as_u16() });
    assert!(released.await, "the user lock expires");
}

/// Forged tokens naming a real key (an unverified `sub`) never lock that key out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_tokens_cannot_lock_out_a_real_key() {
    let options = StackOptions {
        workers: 0,
        settings: |s| {
            s.lockout.user_failures = 2;
        },
        ..Default::default()
    };
    let stack = Stack::start(options).await;
    let (key_id, token) = stack.api_key("viewer", &["default"]).await;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{key_id}"}}"#));
    let forged = format!("{header}.{claims}.c2lnbmF0dXJl");
    for _ in 0..4 {
        let response =
            stack.bearer(reqwest::Method::GET, "/v2/jobs/00000000-0000-0000-0000-000000000000", &forged, None).await;
        assert_eq!(response.status(), 401);
    }
    let response =
        stack.bearer(reqwest::Method::GET, "/v2/jobs/00000000-0000-0000-0000-000000000000", &token, None).await;
    assert_eq!(response.status(), 404, "the real key still works");
}
