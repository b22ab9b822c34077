//! The NAAS v1 routes: NAAS's field names and answers over the v2 machinery, each answer
//! marked deprecated with a link to its successor.

use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

fn assert_deprecated(response: &reqwest::Response, successor: &str) {
    let headers = response.headers();
    assert_eq!(headers["deprecation"], "@1735689600");
    assert_eq!(headers["sunset"], "Fri, 01 Jan 2027 00:00:00 GMT");
    assert_eq!(headers["x-api-deprecated"], "true");
    assert_eq!(headers["link"].to_str().unwrap(), format!("<{successor}>; rel=\"successor-version\""));
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_naas_v1_client_submits_reads_and_cancels() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();

    let body = json!({"ip": "127.0.0.1", "port": port, "device_type": "cisco_ios", "commands": ["show version"],
                      "read_timeout": 20.5, "conn_timeout": 3.0});
    let response = stack.post("/v1/send_command", USER, PASS, &body).await;
    assert_eq!(response.status(), 202);
    assert_deprecated(&response, "/v2/send-command");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/send_command/{job_id}"));
    assert_eq!(accepted["message"], "Job enqueued");
    assert_eq!(accepted["app"], "naas");
    assert_eq!(accepted["status"], "queued");

    assert_eq!(stack.result_of(&job_id).await["status"], "finished");
    let response = stack.get(&location, USER, PASS).await;
    assert_eq!(response.status(), 200);
    assert_deprecated(&response, &format!("/v2/jobs/{job_id}"));
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["status"], "finished");
    assert_eq!(doc["app"], "naas");
    assert!(doc["error"].is_null(), "{doc}");
    assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"), "{doc}");

    // v2 takes netmiko's float timeouts too.
    let v2 = json!({"host": "127.0.0.1", "port": port, "commands": ["show version"], "read_timeout": 30.0,
                    "conn_timeout": 2.5});
    let response = stack.post("/v2/send-command", USER, PASS, &v2).await;
    assert_eq!(response.status(), 202);
    let v2_job: Value = response.json().await.unwrap();
    assert_eq!(stack.result_of(v2_job["job_id"].as_str().unwrap()).await["status"], "finished");

    // Finished: cancelling is a conflict, as on v2; another caller sees nothing.
    let cancel = stack.http.delete(stack.url(&format!("/v1/jobs/{job_id}"))).basic_auth(USER, Some(PASS));
    let response = cancel.send().await.unwrap();
    assert_eq!(response.status(), 409);
    assert_deprecated(&response, &format!("/v2/jobs/{job_id}"));
    assert_eq!(stack.get(&location, USER, "another-password").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn send_config_takes_commands_as_the_lines_and_errors_name_v1_fields() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"ip": "127.0.0.1", "port": port, "commands": ["interface Loopback7", " description v1"]});
    let response = stack.post("/v1/send_config", USER, PASS, &body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["job_id"].as_str().unwrap();
    let doc = stack.result_of(job_id).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    assert_eq!(doc["kind"], "config");
    assert_eq!(doc["results"]["lines"].as_array().unwrap().len(), 2, "{doc}");
    let read = stack.get(&format!("/v1/send_config/{job_id}"), USER, PASS).await;
    assert_eq!(read.status(), 200);

    let response = stack.post("/v1/send_command", USER, PASS, &json!({"commands": ["show clock"]})).await;
    assert_eq!(response.status(), 422);
    assert_deprecated(&response, "/v2/send-command");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "VALIDATION_FAILED");
    assert!(error["fields"].as_array().unwrap().iter().any(|f| f["field"] == "ip"), "{error}");

    let response = stack.http.post(stack.url("/v1/send_command")).basic_auth(USER, Some(PASS)).body("{}");
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 415);
    assert_deprecated(&response, "/v2/send-command");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn send_command_structured_takes_naas_textfsm_template() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let template = "Value VERSION (\\S+)\n\nStart\n  ^.*Version ${VERSION}, -> Record\n";
    let body = json!({"ip": "127.0.0.1", "port": port, "commands": ["show version"], "textfsm_template": template});
    let response = stack.post("/v1/send_command_structured", USER, PASS, &body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    assert_deprecated(&response, "/v2/send-command-structured");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/send_command_structured/{job_id}"));
    assert_eq!(stack.result_of(&job_id).await["status"], "finished");

    let doc: Value = stack.get(&location, USER, PASS).await.json().await.unwrap();
    let records = doc["results"]["show version"].as_array().unwrap_or_else(|| panic!("records: {doc}"));
    assert_eq!(records.len(), 1, "{doc}");
    assert!(!records[0]["version"].as_str().unwrap().is_empty(), "{doc}");
    assert_eq!(doc["parsed"]["show version"], true, "{doc}");
}

/// `GET /v1/jobs` lists as `/v2/jobs` does (the caller's own jobs), marked deprecated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn v1_jobs_lists_the_callers_jobs() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"ip": "127.0.0.1", "port": port, "commands": ["show version"]});
    let accepted: Value = stack.post("/v1/send_command", USER, PASS, &body).await.json().await.unwrap();
    let response = stack.get("/v1/jobs?status=queued", USER, PASS).await;
    assert_eq!(response.status(), 200);
    assert_deprecated(&response, "/v2/jobs");
    let listed: Value = response.json().await.unwrap();
    let ids: Vec<&str> = listed["jobs"].as_array().unwrap().iter().map(|j| j["job_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [accepted["job_id"].as_str().unwrap()]);
    let other: Value = stack.get("/v1/jobs", "someone-else", PASS).await.json().await.unwrap();
    assert_eq!(other["jobs"], json!([]), "another caller's jobs are not listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn device_type_autodetect_is_recognised_for_commands_and_refused_for_config() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = stack.device("r1").addr.port();
    let body = json!({"ip": "127.0.0.1", "port": port, "device_type": "autodetect", "commands": ["show version"]});
    let response = stack.post("/v1/send_command", USER, PASS, &body).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["job_id"].as_str().unwrap();
    stack.result_of(job_id).await;
    let doc: Value = stack.get(&format!("/v1/send_command/{job_id}"), USER, PASS).await.json().await.unwrap();
    assert_eq!(
        (doc["status"].as_str(), doc["detected_platform"].as_str()),
        (Some("finished"), Some("cisco_ios")),
        "{doc}"
    );

    let config = json!({"ip": "127.0.0.1", "port": port, "device_type": "autodetect", "commands": ["hostname r2"]});
    let response = stack.post("/v1/send_config", USER, PASS, &config).await;
    assert_eq!(response.status(), 422);
    let problem = response.text().await.unwrap();
    assert!(problem.contains("autodetect"), "{problem}");
}
