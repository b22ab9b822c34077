//! API keys, roles and contexts, each promise attacked.

use std::time::Duration;

use futures::StreamExt;
use naas_tests::{ADMIN_SECRET, Stack, StackOptions};
use reqwest::Method;
use serde_json::{Value, json};

fn show(stack: &Stack, context: &str) -> Value {
    json!({"host": "127.0.0.1", "port": stack.device("r1").addr.port(), "commands": ["show clock"],
           "context": context, "username": "netops", "password": "s3cret-pw"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_submit_jobs_and_see_only_their_own() {
    let stack = Stack::start(StackOptions::default()).await;
    let (_, operator) = stack.api_key("operator", &["*"]).await;
    let (_, other) = stack.api_key("operator", &["*"]).await;
    let (_, admin) = stack.api_key("admin", &["*"]).await;

    let response = stack.bearer(Method::POST, "/v2/send-command", &operator, Some(&show(&stack, "default"))).await;
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    let path = format!("/v2/jobs/{job_id}");
    assert_eq!(stack.bearer(Method::GET, &path, &operator, None).await.status(), 200);
    assert_eq!(stack.bearer(Method::GET, &path, &other, None).await.status(), 404);
    assert_eq!(stack.bearer(Method::GET, &path, &admin, None).await.status(), 200);
    assert_eq!(stack.get(&path, "netops", "s3cret-pw").await.status(), 404, "Basic callers own only their jobs");

    // Without device credentials in the body an API key caller gets a 422 naming them.
    let mut body = show(&stack, "default");
    body.as_object_mut().unwrap().remove("username");
    let response = stack.bearer(Method::POST, "/v2/send-command", &operator, Some(&body)).await;
    assert_eq!(response.status(), 422);
    assert_eq!(response.json::<Value>().await.unwrap()["fields"][0]["field"], "username");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contexts_roles_revocation_and_rotation_are_enforced() {
    let stack = Stack::start(StackOptions::default()).await;
    let prefix = stack.settings.prefix.clone();
    let mut audit = stack.nats_client.subscribe(format!("{prefix}.audit.>")).await.unwrap();
    stack.nats_client.flush().await.unwrap();

    let (lab_id, lab) = stack.api_key("operator", &["lab"]).await;
    let denied = stack.bearer(Method::POST, "/v2/send-command", &lab, Some(&show(&stack, "default"))).await;
    assert_eq!(denied.status(), 403);
    assert_eq!(denied.json::<Value>().await.unwrap()["code"], "CONTEXT_DENIED");
    let allowed = stack.bearer(Method::POST, "/v2/send-command", &lab, Some(&show(&stack, "lab"))).await;
    assert_eq!(allowed.status(), 202);

    let (_, viewer) = stack.api_key("viewer", &["lab"]).await;
    let refused = stack.bearer(Method::POST, "/v2/send-command", &viewer, Some(&show(&stack, "lab"))).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["code"], "RBAC_DENIED");

    // Rotation: the old token stops working at once, the new one works.
    let rotated = stack.post(&format!("/v2/api-keys/{lab_id}/rotate"), "admin", ADMIN_SECRET, &json!({})).await;
    assert_eq!(rotated.status(), 201);
    let fresh = rotated.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let old = stack.bearer(Method::POST, "/v2/send-command", &lab, Some(&show(&stack, "lab"))).await;
    assert_eq!(old.status(), 401);
    assert_eq!(stack.bearer(Method::POST, "/v2/send-command", &fresh, Some(&show(&stack, "lab"))).await.status(), 202);

    // Revocation: effective on the very next request.
    let revoked =
        stack.http.delete(stack.url(&format!("/v2/api-keys/{lab_id}"))).basic_auth("admin", Some(ADMIN_SECRET));
    assert_eq!(revoked.send().await.unwrap().status(), 204);
    assert_eq!(stack.bearer(Method::POST, "/v2/send-command", &fresh, Some(&show(&stack, "lab"))).await.status(), 401);

    // The listing never shows tokens.
    let listing = stack.get("/v2/api-keys", "admin", ADMIN_SECRET).await.text().await.unwrap();
    assert!(!listing.contains(&fresh) && !listing.contains(&viewer) && listing.contains("viewer key"), "{listing}");
    assert_eq!(stack.get("/v2/api-keys", "admin", "wrong-secret").await.status(), 401);

    let mut seen = Vec::new();
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(2), audit.next()).await {
        let event: Value = serde_json::from_slice(&message.payload).unwrap();
        assert!(!message.payload.windows(fresh.len()).any(|w| w == fresh.as_bytes()), "a token in an audit event");
        seen.push(event["event_type"].as_str().unwrap().to_owned());
        if seen.iter().any(|e| e == "apikey.revoked") && seen.iter().filter(|e| *e == "auth.failure").count() >= 3 {
            break;
        }
    }
    for expected in
        ["apikey.created", "auth.context_denied", "auth.rbac_denied", "apikey.revoked", "auth.failure", "auth.success"]
    {
        assert!(seen.iter().any(|e| e == expected), "{expected} missing from {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_tokens_are_refused() {
    use base64::Engine;
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let (key_id, token) = stack.api_key("admin", &["*"]).await;
    let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = json!({"sub": key_id, "role": "admin", "contexts": ["*"], "iat": 1, "exp": 9_999_999_999i64,
                        "jti": "x", "iss": "naas", "aud": "naas-api"})
    .to_string();
    let none = format!("{}.{}.", enc(r#"{"alg":"none","typ":"JWT"}"#), enc(&claims));
    let parts: Vec<&str> = token.split('.').collect();
    let swapped = format!("{}.{}.{}", enc(r#"{"alg":"RS256","typ":"JWT","kid":"derived"}"#), parts[1], parts[2]);
    let tampered = format!("{}.{}.{}", parts[0], enc(&claims), parts[2]);
    for forged in [none, swapped, tampered, "not-a-jwt".to_owned()] {
        let response = stack.bearer(Method::GET, "/v2/api-keys", &forged, None).await;
        assert_eq!(response.status(), 401, "{forged}");
        assert_eq!(response.json::<Value>().await.unwrap()["code"], "AUTH_INVALID_TOKEN");
    }
    assert_eq!(stack.bearer(Method::GET, "/v2/api-keys", &token, None).await.status(), 200);
}

/// Every endpoint × role: allowed exactly when the role reaches the endpoint's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_endpoint_and_role() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let mut tokens = Vec::new();
    for role in ["viewer", "operator", "admin"] {
        tokens.push((role, stack.api_key(role, &["*"]).await.1));
    }
    let (spare, _) = stack.api_key("viewer", &["*"]).await;
    let rank = |r: &str| ["viewer", "operator", "admin"].iter().position(|x| *x == r).unwrap();
    let job = show(&stack, "default");
    let config = json!({"host": "127.0.0.1", "config": ["hostname x"], "username": "u", "password": "p"});
    let key = json!({"role": "viewer", "name": "k"});
    let missing_job = format!("/v2/jobs/{}", uuid::Uuid::new_v4());
    let endpoints: Vec<(Method, String, Option<Value>, &str)> = vec![
        (Method::POST, "/v2/send-command".into(), Some(job), "operator"),
        (Method::POST, "/v2/send-config".into(), Some(config), "operator"),
        (Method::GET, missing_job, None, "viewer"),
        (Method::GET, "/v2/api-keys".into(), None, "admin"),
        (Method::POST, "/v2/api-keys".into(), Some(key), "admin"),
        (Method::POST, format!("/v2/api-keys/{spare}/rotate"), Some(json!({})), "admin"),
        (Method::DELETE, "/v2/api-keys/no-such-key".into(), None, "admin"),
    ];
    for (method, path, body, needs) in &endpoints {
        for (role, token) in &tokens {
            let status = stack.bearer(method.clone(), path, token, body.as_ref()).await.status().as_u16();
            if rank(role) >= rank(needs) {
                assert!(![401, 403].contains(&status), "{role} {method} {path} → {status}");
            } else {
                assert_eq!(status, 403, "{role} {method} {path}");
            }
        }
    }
}

/// A key with the `redact` scope reads job results with the platform's secrets replaced
/// (the document, the listing and the stream's result); a key without it reads them as
/// stored; a scope naas does not know is a 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_redact_scope_hides_secrets_in_results() {
    let stack = Stack::start(StackOptions::default()).await;
    let body = json!({"role": "operator", "name": "agent", "scopes": {"redact": true}});
    let created: Value = stack.post("/v2/api-keys", "admin", ADMIN_SECRET, &body).await.json().await.unwrap();
    assert_eq!(created["scopes"], json!({"redact": true}), "{created}");
    let redacting = created["token"].as_str().unwrap().to_owned();
    let (_, admin) = stack.api_key("admin", &["*"]).await;
    for scopes in [json!({"redact": "yes"}), json!({"devices": "*"}), json!(["redact"])] {
        let body = json!({"role": "viewer", "name": "bad", "scopes": scopes});
        let response = stack.post("/v2/api-keys", "admin", ADMIN_SECRET, &body).await;
        assert_eq!(response.status(), 422, "{scopes}");
        assert_eq!(response.json::<Value>().await.unwrap()["fields"][0]["field"], "scopes");
    }

    let mut show = show(&stack, "default");
    show["commands"] = json!(["show running-config"]);
    let response = stack.bearer(Method::POST, "/v2/send-command", &redacting, Some(&show)).await;
    assert_eq!(response.status(), 202);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    let stored = stack.result_of(&job_id).await;
    let config = stored["results"]["show running-config"].as_str().unwrap().to_owned();
    let line = config.lines().find(|l| l.starts_with("enable secret 9 ")).expect("the device prints its secret");
    let hash = line.trim_start_matches("enable secret 9 ").to_owned();

    let path = format!("/v2/jobs/{job_id}");
    let seen: Value = stack.bearer(Method::GET, &path, &redacting, None).await.json().await.unwrap();
    let text = seen["results"]["show running-config"].as_str().unwrap();
    assert!(text.contains("enable secret 9 <redacted>"), "{text}");
    assert!(text.contains("hostname "), "the rest of the output stays: {text}");
    let listed = stack.bearer(Method::GET, "/v2/jobs", &redacting, None).await.text().await.unwrap();
    let streamed = stack.bearer(Method::GET, &format!("{path}/stream"), &redacting, None).await.text().await.unwrap();
    for (what, text) in [("document", seen.to_string()), ("listing", listed), ("stream", streamed)] {
        assert_eq!(text.matches(&hash).count(), 0, "{what} shows the secret");
        assert!(text.contains("<redacted>"), "{what}: {text}");
    }
    let plain: Value = stack.bearer(Method::GET, &path, &admin, None).await.json().await.unwrap();
    assert!(plain["results"]["show running-config"].as_str().unwrap().contains(&hash), "a key without the scope");
}
