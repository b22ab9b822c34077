//! `GET /v2/jobs`: a caller lists its own jobs (an admin all), newest first, filtered by
//! status and tag, a page at a time.

use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";

async fn list(stack: &Stack, user: &str, password: &str, query: &str) -> Value {
    let response = stack.get(&format!("/v2/jobs{query}"), user, password).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn ids(listing: &Value) -> Vec<String> {
    listing["jobs"].as_array().unwrap().iter().map(|j| j["job_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_list_their_own_jobs_filtered_and_paged() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let port = stack.device("r1").addr.port();
    let mut submitted = Vec::new();
    for i in 0..5 {
        let tags = if i % 2 == 0 { vec!["site:ams"] } else { vec!["site:fra"] };
        let body = json!({"host": "127.0.0.1", "port": port, "commands": ["show clock"], "tags": tags});
        submitted.push(stack.submit_command(USER, PASS, &body).await["job_id"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();
    let all = list(&stack, USER, PASS, "").await;
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all["has_more"], false);
    assert_eq!(all["jobs"][0]["status"], "queued");

    let ams = list(&stack, USER, PASS, "?tag=site:ams").await;
    assert_eq!(ids(&ams), vec![submitted[4].clone(), submitted[2].clone(), submitted[0].clone()]);
    let first = list(&stack, USER, PASS, "?per_page=2").await;
    assert_eq!((ids(&first), first["has_more"].as_bool()), (newest_first[..2].to_vec(), Some(true)));
    let last = list(&stack, USER, PASS, "?per_page=2&page=3").await;
    assert_eq!((ids(&last), last["has_more"].as_bool()), (newest_first[4..].to_vec(), Some(false)));
    assert!(ids(&list(&stack, USER, PASS, "?status=finished").await).is_empty());

    // Someone else sees none of them; an admin key sees them all.
    assert!(ids(&list(&stack, USER, "another-password", "").await).is_empty());
    let (_, admin) = stack.api_key("admin", &["*"]).await;
    let response = stack.bearer(reqwest::Method::GET, "/v2/jobs?status=queued", &admin, None).await;
    let everyone: Value = response.json().await.unwrap();
    assert_eq!(ids(&everyone), newest_first);

    for bad in ["?status=done", "?per_page=0", "?per_page=101", "?tag=nocolon", "?page=x"] {
        let response = stack.get(&format!("/v2/jobs{bad}"), USER, PASS).await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    assert_eq!(stack.http.get(stack.url("/v2/jobs")).send().await.unwrap().status(), 401);
}
