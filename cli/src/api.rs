//! The HTTPS API, as `naasctl` uses it (see the contract: `/v2/send-command`,
//! `/v2/send-config`, `/v2/jobs/{id}`, `/v2/jobs/{id}/stream`, `/v2/api-keys`).
//!
//! Every non-2xx answer becomes [`CliError::Api`] from the contract's error body; anything
//! that prevents an answer (refused connection, TLS, timeout) becomes
//! [`CliError::Connection`].

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::config::{ApiAuth, Settings, Tls};
use crate::error::{ApiRefusal, CliError};

/// Longest wait for an ordinary request; the event stream has no overall limit, only a
/// limit on silence (the server sends keep-alives every 15 s by default).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const SILENCE_LIMIT: Duration = Duration::from_secs(90);
/// Submissions answered 429/503 (rate limit, queue full) are tried again this often.
const SUBMIT_ATTEMPTS: u32 = 4;

pub struct Api {
    http: reqwest::Client,
    base: String,
    auth: ApiAuth,
}

/// Which submission endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Command,
    Config,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Config => "config",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Command => "/v2/send-command",
            Kind::Config => "/v2/send-config",
        }
    }
}

impl Api {
    pub fn new(settings: &Settings, auth: ApiAuth) -> Result<Self, CliError> {
        let base = settings.require_url()?.to_owned();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("naasctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(SILENCE_LIMIT);
        builder = match &settings.tls {
            Tls::System => builder,
            Tls::Insecure => builder.danger_accept_invalid_certs(true),
            Tls::CaFile(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| CliError::usage(format!("reading CA file {}: {e}", path.display())))?;
                let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                    .ok()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| CliError::usage(format!("CA file {} holds no PEM certificate", path.display())))?;
                builder.tls_certs_only(certificates)
            }
        };
        let http = builder.build().map_err(|e| CliError::usage(format!("setting up HTTPS: {e}")))?;
        Ok(Self { http, base, auth })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            ApiAuth::Basic { username, password } => request.basic_auth(username, Some(password.expose())),
            ApiAuth::Bearer(token) => request.bearer_auth(token.expose()),
        }
    }

    /// Sends and checks the status; a 2xx response comes back unread.
    async fn send(&self, request: RequestBuilder) -> Result<Response, CliError> {
        let response = request.send().await.map_err(|e| connection_error(&self.base, &e))?;
        if response.status().is_success() { Ok(response) } else { Err(refusal(response).await) }
    }

    async fn json(&self, request: RequestBuilder) -> Result<Value, CliError> {
        let response = self.send(request.timeout(REQUEST_TIMEOUT)).await?;
        response.json().await.map_err(|e| CliError::Connection(format!("reading the API's answer: {e}")))
    }

    /// Submits a job; returns the 202 body. One idempotency key covers the retries, so a
    /// retry after a lost answer never queues the job twice.
    pub async fn submit(&self, kind: Kind, body: &Value) -> Result<Value, CliError> {
        let key = uuid::Uuid::new_v4().to_string();
        let mut attempt = 1;
        loop {
            let request = self
                .request(Method::POST, kind.path())
                .header("X-Idempotency-Key", &key)
                .json(body)
                .timeout(REQUEST_TIMEOUT);
            let response = request.send().await.map_err(|e| connection_error(&self.base, &e))?;
            let status = response.status();
            if status.is_success() {
                return response
                    .json()
                    .await
                    .map_err(|e| CliError::Connection(format!("reading the API's answer: {e}")));
            }
            let busy = status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
            if !busy || attempt == SUBMIT_ATTEMPTS {
                return Err(refusal(response).await);
            }
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1)
                .clamp(1, 30);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            attempt += 1;
        }
    }

    pub async fn job(&self, job_id: &str) -> Result<Value, CliError> {
        self.json(self.request(Method::GET, &format!("/v2/jobs/{}", segment(job_id)))).await
    }

    pub async fn cancel(&self, job_id: &str) -> Result<(), CliError> {
        let request = self.request(Method::DELETE, &format!("/v2/jobs/{}", segment(job_id))).timeout(REQUEST_TIMEOUT);
        self.send(request).await.map(drop)
    }

    /// Opens the job's event stream: `Ok(None)` when this API has no stream endpoint (or
    /// answered something other than an event stream), so the caller polls instead.
    pub async fn stream(&self, job_id: &str) -> Result<Option<Response>, CliError> {
        let request = self
            .request(Method::GET, &format!("/v2/jobs/{}/stream", segment(job_id)))
            .header("Accept", "text/event-stream");
        let response = request.send().await.map_err(|e| connection_error(&self.base, &e))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(refusal(response).await);
        }
        let is_stream = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        Ok((status.is_success() && is_stream).then_some(response))
    }

    pub async fn create_key(&self, body: &Value) -> Result<Value, CliError> {
        self.json(self.request(Method::POST, "/v2/api-keys").json(body)).await
    }

    pub async fn list_keys(&self) -> Result<Value, CliError> {
        self.json(self.request(Method::GET, "/v2/api-keys")).await
    }

    pub async fn revoke_key(&self, key_id: &str) -> Result<(), CliError> {
        let request =
            self.request(Method::DELETE, &format!("/v2/api-keys/{}", segment(key_id))).timeout(REQUEST_TIMEOUT);
        self.send(request).await.map(drop)
    }

    pub async fn rotate_key(&self, key_id: &str) -> Result<Value, CliError> {
        self.json(self.request(Method::POST, &format!("/v2/api-keys/{}/rotate", segment(key_id)))).await
    }
}

/// A path segment from user input: ids are UUIDs or hex, so anything else is
/// percent-encoded rather than allowed to change the path.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' if text != "." && text != ".." => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn connection_error(base: &str, error: &reqwest::Error) -> CliError {
    use std::error::Error;
    // reqwest's own message is generic ("error sending request"); the cause says why.
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason = cause.to_string();
        source = cause.source();
    }
    let what = if error.is_timeout() { "timed out" } else { "failed" };
    CliError::Connection(format!("request to {base} {what}: {reason}"))
}

async fn refusal(response: Response) -> CliError {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let fields = body
        .get("fields")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|f| {
                    (f["field"].as_str().unwrap_or("?").to_owned(), f["message"].as_str().unwrap_or("").to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    CliError::Api(ApiRefusal {
        status: status.as_u16(),
        code: text("code").unwrap_or_else(|| "UNKNOWN".to_owned()),
        message: text("error").unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
        fields,
        context: None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_input_cannot_change_the_path() {
        assert_eq!(super::segment("7c9e6679-7425-40de-944b-e07fc1f90ae7"), "7c9e6679-7425-40de-944b-e07fc1f90ae7");
        assert_eq!(super::segment("../api-keys"), "..%2Fapi-keys");
        assert_eq!(super::segment(".."), "%2E%2E");
    }
}
