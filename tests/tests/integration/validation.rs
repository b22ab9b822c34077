//! Bad input gets a clear error: status, machine code, message, the field named.

use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_submissions_get_422_naming_the_field() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let cases = [
        (json!({"commands": ["show version"]}), "host"),
        (json!({"host": "not a host!", "commands": ["show version"]}), "host"),
        (json!({"host": "r1", "commands": []}), "commands"),
        (json!({"host": "r1", "commands": ["  "]}), "commands"),
        (json!({"host": "r1", "commands": "show version"}), "commands"),
        (json!({"host": "r1", "commands": ["show version"], "platform": "vax_vms"}), "platform"),
        (json!({"host": "r1", "commands": ["show version"], "port": 0}), "port"),
        (json!({"host": "r1", "commands": ["show version"], "port": "22"}), "port"),
        (json!({"host": "r1", "commands": ["show version"], "read_timeout": -1}), "read_timeout"),
        (json!({"host": "r1", "commands": ["show version"], "tags": ["no-colon"]}), "tags"),
    ];
    for (body, field) in cases {
        let response = stack.post("/v2/send-command", "netops", "pw", &body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert!(response.headers().contains_key("x-request-id"));
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["status"], 422);
        assert_eq!(error["code"], "VALIDATION_FAILED");
        let fields: Vec<&str> =
            error["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{body} → {error}");
    }
    let unknown: Value = stack
        .post("/v2/send-command", "netops", "pw", &json!({"host": "r1", "commands": ["x"], "platform": "nope"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(unknown["fields"][0]["message"].as_str().unwrap().contains("cisco_ios"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transport_errors_have_contract_bodies() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let url = stack.url("/v2/send-command");
    let body = r#"{"host": "r1", "commands": ["show version"]}"#;

    let no_auth = stack.http.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
    assert_eq!(no_auth.status(), 401);
    assert!(no_auth.headers().contains_key("www-authenticate"));
    assert_eq!(no_auth.json::<Value>().await.unwrap()["code"], "AUTH_REQUIRED");

    let form = stack.http.post(&url).basic_auth("u", Some("p")).body(body).send().await.unwrap();
    assert_eq!(form.status(), 415);

    let broken = stack
        .http
        .post(&url)
        .basic_auth("u", Some("p"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 422);
    assert_eq!(broken.json::<Value>().await.unwrap()["code"], "MALFORMED_JSON");

    let huge = format!(r#"{{"host": "r1", "commands": ["{}"]}}"#, "x".repeat(2 << 20));
    let too_big = stack
        .http
        .post(&url)
        .basic_auth("u", Some("p"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    assert_eq!(too_big.json::<Value>().await.unwrap()["status"], 413);

    let echoed = stack.http.get(stack.url("/livez")).header("x-request-id", "trace-me-42").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");
    assert_eq!(stack.http.get(stack.url("/readyz")).send().await.unwrap().status(), 200);
    let missing = stack.http.get(stack.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], "NOT_FOUND");
}

/// `X-Idempotency-Key`: the same key from the same caller returns the original job; a
/// different caller's key space is separate; a malformed key is a 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_keys_return_the_original_job() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let body = serde_json::json!({"host": "r1", "commands": ["show clock"]});
    let send = |user: &'static str, key: &'static str| {
        let request = stack.http.post(stack.url("/v2/send-command")).basic_auth(user, Some("pw"));
        request.header("x-idempotency-key", key).json(&body).send()
    };
    let first: Value = send("netops", "change-42").await.unwrap().json().await.unwrap();
    assert_eq!(first["idempotent"], false);
    let again = send("netops", "change-42").await.unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["location"], format!("/v2/jobs/{}", first["job_id"].as_str().unwrap()));
    let again: Value = again.json().await.unwrap();
    assert_eq!((again["job_id"].clone(), again["idempotent"].clone()), (first["job_id"].clone(), true.into()));
    let other: Value = send("someone-else", "change-42").await.unwrap().json().await.unwrap();
    assert_ne!(other["job_id"], first["job_id"]);
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    assert_eq!(jobs.info().await.unwrap().state.messages, 2, "a replay queues nothing");
    assert_eq!(send("netops", "bad key with spaces").await.unwrap().status(), 422);

    // A key whose job has no record (still being recorded, or gone) is never a 202 for it.
    let mut redis = naas_shared::store::connect(&stack.settings.redis).await.unwrap();
    let job_id = naas_shared::domain::JobId::parse(first["job_id"].as_str().unwrap()).unwrap();
    let record = naas_shared::keys::job(&stack.settings.prefix, job_id);
    let _: () = redis::cmd("DEL").arg(record).query_async(&mut redis).await.unwrap();
    let in_use = send("netops", "change-42").await.unwrap();
    assert_eq!(in_use.status(), 409);
    assert_eq!(in_use.json::<Value>().await.unwrap()["code"], "IDEMPOTENCY_KEY_IN_USE");
}

/// Every value the worker types at a device (login, password, enable secret, the jump
/// host's login and password), in every way a caller can send it (v2 body with an API key,
/// HTTP Basic, NAAS v1 body), is one line without control characters: otherwise a 422
/// naming it, the value never echoed, and nothing queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn device_bound_values_with_line_breaks_or_control_characters_are_refused() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let (_, token) = stack.api_key("operator", &["*"]).await;
    let hostile = ["s3cret\nreload", "s3cret\r\nwrite erase", "nul\0x", "esc\u{1b}[2J", "tab\tx", "ls\u{2028}x"];
    let jump = json!({"host": "bastion1", "username": "jumper", "password": "jump-pw"});
    let refused = |response: reqwest::Response, field: &'static str, value: &'static str| async move {
        let status = response.status();
        let error: Value = response.json().await.unwrap();
        assert_eq!((status.as_u16(), &error["code"]), (422, &json!("VALIDATION_FAILED")), "{field} = {value:?}");
        let fields: Vec<&str> =
            error["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
        assert_eq!(fields, [field], "{field} = {value:?}: {error}");
        assert!(!error.to_string().contains(&serde_json::to_string(value).unwrap()), "echoed: {error}");
    };
    for value in hostile {
        for field in ["enable", "username", "password"] {
            let mut body = json!({"host": "r1", "commands": ["show clock"], "username": "netops", "password": "pw"});
            body[field] = value.into();
            let response = stack.bearer(reqwest::Method::POST, "/v2/send-command", &token, Some(&body)).await;
            refused(response, field, value).await;
        }
        for (field, member) in [("jump_host.username", "username"), ("jump_host.password", "password")] {
            let mut body = json!({"host": "r1", "config": ["hostname x"], "jump_host": jump});
            body["jump_host"][member] = value.into();
            refused(stack.post("/v2/send-config", "netops", "pw", &body).await, field, value).await;
        }
        let basic = json!({"host": "r1", "commands": ["show clock"]});
        refused(stack.post("/v2/send-command", value, "pw", &basic).await, "username", value).await;
        refused(stack.post("/v2/send-command", "netops", value, &basic).await, "password", value).await;
        let v1 = json!({"ip": "r1", "commands": ["show clock"], "enable": value});
        refused(stack.post("/v1/send_command", "netops", "pw", &v1).await, "enable", value).await;
        let v1 = json!({"ip": "r1", "commands": ["hostname x"], "enable": value});
        refused(stack.post("/v1/send_config", "netops", "pw", &v1).await, "enable", value).await;
        let structured = json!({"ip": "r1", "commands": ["show version"], "enable": value});
        refused(stack.post("/v1/send_command_structured", "netops", "pw", &structured).await, "enable", value).await;
    }
    let topology = naas_nats::Topology::new(&stack.settings.prefix);
    let mut jobs = stack.jetstream().get_stream(topology.jobs_stream()).await.unwrap();
    assert_eq!(jobs.info().await.unwrap().state.messages, 0, "nothing was queued");
    // The same shapes with clean values go through (the refusals above were the values').
    let clean = json!({"host": "r1", "commands": ["show clock"], "enable": "én-s3cret !", "jump_host": jump});
    assert_eq!(stack.post("/v2/send-command", "netops", "pw", &clean).await.status(), 202);
    let v1 = json!({"ip": "r1", "commands": ["show clock"], "enable": "s3cret"});
    assert_eq!(stack.post("/v1/send_command", "netops", "pw", &v1).await.status(), 202);
    assert_eq!(jobs.info().await.unwrap().state.messages, 2);
}
