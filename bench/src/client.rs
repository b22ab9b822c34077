//! A caller of the API: HTTPS (the API's self-signed development certificate), HTTP Basic
//! with the device credentials, `send-command` with `show version` (or, in the soak, the
//! command it asks for).

use std::net::SocketAddr;
use std::time::Duration;

use crate::system::{PASSWORD, USERNAME};

pub const COMMAND: &str = "show version";

/// One caller's connection pool (each concurrent caller gets its own, as separate
/// clients would).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTPS client")
}

/// Submits `show version` for the device at `device`; the job id, or why not.
pub async fn submit(http: &reqwest::Client, api_url: &str, device: SocketAddr) -> Result<String, String> {
    submit_command(http, api_url, device, COMMAND).await
}

/// Submits `command` for the device at `device`; the job id, or why not.
pub async fn submit_command(
    http: &reqwest::Client,
    api_url: &str,
    device: SocketAddr,
    command: &str,
) -> Result<String, String> {
    let body = serde_json::json!({"host": device.ip().to_string(), "port": device.port(), "commands": [command]});
    let response = http
        .post(format!("{api_url}/v2/send-command"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("reading the response: {e}"))?;
    if status != reqwest::StatusCode::ACCEPTED {
        return Err(format!("{status}: {}", text.chars().take(200).collect::<String>()));
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("response body: {e}"))?;
    value["job_id"].as_str().map(str::to_owned).ok_or_else(|| format!("no job_id in {text}"))
}
