//! The NAAS v1 routes, kept for callers migrating from NAAS: `/v1/send_command`,
//! `/v1/send_command_structured`, `/v1/send_config`, their result routes, `GET /v1/jobs` (the v2
//! listing) and `DELETE /v1/jobs/{id}`. Each translates the
//! NAAS body into the v2 one (`ip` → `host`, `device_type` → `platform`, `commands` as the
//! configuration of send_config; timeouts in any number of seconds, as v2 takes them) and runs the v2
//! handler (which checks the content type), so authentication, validation, rate limits and queueing are the same code.
//! Answers keep the v2 fields and add NAAS's (`message`, `app`, `version`); every answer,
//! errors included, carries `Deprecation`, `Sunset` and a `Link` to the v2 route.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::Operation;

use super::jobs;
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::state::AppState;

/// When v1 was deprecated (RFC 9745 `Deprecation`: `@` Unix seconds): 2025-01-01.
const DEPRECATED_SINCE: &str = "@1735689600";
/// NAAS's `app` and `version` fields of its answers.
const APP: &str = "naas";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// When v1 goes away (RFC 8594 `Sunset`, an HTTP date), as NAAS announced it.
const SUNSET: &str = "Fri, 01 Jan 2027 00:00:00 GMT";

/// `POST /v1/send_command`: NAAS's body (`ip`, `commands`, `port`, `platform` or
/// `device_type`, `read_timeout`, `expect_string`, `enable`).
#[utoipa::path(
    post, path = "/v1/send_command", tag = "v1", operation_id = "v1_send_command",
    summary = "Run commands on a device (NAAS v1)",
    description = "NAAS v1 shape of `POST /v2/send-command`: `ip` instead of `host`, `device_type` accepted for \
                   `platform`. The answer adds NAAS's `message`, `app` and `version` to the v2 fields.",
    request_body(content = V1SendCommandRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued.", body = V1JobAccepted),
        super::openapi::SubmissionErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn send_command(
    state: State<AppState>,
    request_id: Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = v2_body(body, false);
    accepted(jobs::send_command(state, request_id, headers, body).await, "send_command").await
}

/// `POST /v1/send_command_structured`: NAAS's send_command body plus `textfsm_template`.
#[utoipa::path(
    post, path = "/v1/send_command_structured", tag = "v1", operation_id = "v1_send_command_structured",
    summary = "Run commands and parse their output with TextFSM (NAAS v1)",
    description = "NAAS v1 shape of `POST /v2/send-command-structured`: `ip` instead of `host`, `device_type` \
                   accepted for `platform`, an optional `textfsm_template`.",
    request_body(content = V1SendCommandRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued.", body = V1JobAccepted),
        super::openapi::SubmissionErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn send_command_structured(
    state: State<AppState>,
    request_id: Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = v2_body(body, false);
    let outcome = super::structured::send_command_structured(state, request_id, headers, body).await;
    accepted(outcome, "send_command_structured").await
}

/// `POST /v1/send_config`: NAAS's body (`ip`, `config` or `commands`, `save_config`, `commit`…).
#[utoipa::path(
    post, path = "/v1/send_config", tag = "v1", operation_id = "v1_send_config",
    summary = "Push configuration to a device (NAAS v1)",
    description = "NAAS v1 shape of `POST /v2/send-config`: `ip` instead of `host`, the lines in `config` or \
                   `commands`, `device_type` accepted for `platform`.",
    request_body(content = V1SendConfigRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued.", body = V1JobAccepted),
        super::openapi::SubmissionErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn send_config(
    state: State<AppState>,
    request_id: Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = v2_body(body, true);
    accepted(jobs::send_config(state, request_id, headers, body).await, "send_config").await
}

/// `GET /v1/send_command/{job_id}` (and the other v1 read paths, `openapi::ALIASES`): the
/// job document with NAAS's `app` and `version`.
#[utoipa::path(
    get, path = "/v1/send_command/{job_id}", tag = "v1", operation_id = "v1_get_command",
    summary = "A job and its results (NAAS v1)",
    description = "The v2 job document plus NAAS's `app` and `version`.",
    params(("job_id" = String, Path, description = "The job's id.")),
    responses(
        (status = 200, description = "The job.", body = V1JobDocument),
        super::openapi::JobReadErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn get(
    state: State<AppState>,
    request_id: Extension<RequestId>,
    job_id: Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let axum::Json(document) = jobs::get(state, request_id, job_id, headers).await?;
    Ok(axum::Json(V1Document { document, app: APP, version: VERSION }).into_response())
}

#[derive(serde::Serialize)]
struct V1Document {
    #[serde(flatten)]
    document: naas_shared::job::JobDocument,
    app: &'static str,
    version: &'static str,
}

/// `DELETE /v1/jobs/{job_id}`: as `DELETE /v2/jobs/{job_id}`.
#[utoipa::path(
    delete, path = "/v1/jobs/{job_id}", tag = "v1", operation_id = "v1_cancel_job",
    summary = "Cancel a job (NAAS v1)",
    description = "As `DELETE /v2/jobs/{job_id}`.",
    params(("job_id" = String, Path, description = "The job's id.")),
    responses(
        (status = 204, description = "Canceled."),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn cancel(
    state: State<AppState>,
    request_id: Extension<RequestId>,
    job_id: Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    jobs::cancel(state, request_id, job_id, headers).await
}

/// Marks every v1 operation deprecated in the OpenAPI document.
pub struct Deprecated;

impl utoipa::Modify for Deprecated {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            let operations: [&mut Option<Operation>; 3] = [&mut item.get, &mut item.post, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                operation.deprecated = Some(utoipa::openapi::Deprecated::True);
            }
        }
    }
}

/// Marks every v1 answer deprecated, errors included.
pub async fn deprecation(request: Request, next: Next) -> Response {
    let successor = successor(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("deprecation", HeaderValue::from_static(DEPRECATED_SINCE));
    headers.insert("sunset", HeaderValue::from_static(SUNSET));
    // NAAS's own spelling of the same, for clients written against it.
    headers.insert("x-api-deprecated", HeaderValue::from_static("true"));
    headers.insert("x-api-sunset", HeaderValue::from_static("2027-01-01"));
    if let Ok(link) = HeaderValue::from_str(&format!("<{successor}>; rel=\"successor-version\"")) {
        headers.insert(header::LINK, link);
    }
    response
}

/// The v2 route replacing a v1 path.
fn successor(path: &str) -> String {
    let rest = path.strip_prefix("/v1/").unwrap_or(path);
    match rest.split_once('/') {
        Some(("send_command" | "send_config" | "send_command_structured" | "jobs", id)) => format!("/v2/jobs/{id}"),
        _ => format!("/v2/{}", rest.replace('_', "-")),
    }
}

/// The v2 body of a NAAS v1 submission. A body that is not a JSON object goes to the v2
/// handler as it came, so that it authenticates the caller first and answers the body's
/// problem (size, media type, JSON) exactly as on v2.
fn v2_body(body: Result<Bytes, BytesRejection>, config: bool) -> Result<Bytes, BytesRejection> {
    let bytes = body?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(fields)) => Ok(Bytes::from(Value::Object(translate(fields, config)).to_string())),
        _ => Ok(bytes),
    }
}

/// NAAS v1 field names → v2 ones; a field given under both names keeps the v2 one.
fn translate(mut body: Map<String, Value>, config: bool) -> Map<String, Value> {
    let mut renames = vec![("ip", "host"), ("device_type", "platform")];
    if config {
        renames.push(("commands", "config"));
    }
    for (v1, v2) in renames {
        if let Some(value) = body.remove(v1) {
            body.entry(v2.to_owned()).or_insert(value);
        }
    }
    body
}

/// A 202 from v2 with NAAS's fields added and `Location` on the v1 result route; a 422
/// names the fields as the v1 caller sent them (`ip`, not `host`).
async fn accepted(outcome: Result<Response, ApiError>, route: &str) -> Result<Response, ApiError> {
    let response = match outcome {
        Ok(response) => response,
        Err(ApiError::Validation(mut fields)) => {
            for field in &mut fields {
                if field.field == "host" {
                    field.field = "ip".into();
                }
            }
            return Err(ApiError::Validation(fields));
        }
        Err(other) => return Err(other),
    };
    let (mut parts, body) = response.into_parts();
    // The handler built its body in memory: reading it back cannot wait on a peer.
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(Value::Object(mut accepted)) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(Response::from_parts(parts, axum::body::Body::from(bytes)));
    };
    accepted.insert("message".into(), "Job enqueued".into());
    accepted.insert("app".into(), APP.into());
    accepted.insert("version".into(), VERSION.into());
    if let Some(job_id) = accepted.get("job_id").and_then(Value::as_str)
        && let Ok(location) = HeaderValue::from_str(&format!("/v1/{route}/{job_id}"))
    {
        parts.headers.insert(header::LOCATION, location);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, axum::body::Body::from(Value::Object(accepted).to_string())))
}

/// NAAS v1 `send_command` body, as documented for migration.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct V1SendCommandRequest {
    /// The device: IPv4, IPv6 or a DNS name (v2: `host`).
    #[schema(example = "192.0.2.10")]
    ip: String,
    /// Commands to run, in order.
    #[schema(min_items = 1, example = json!(["show version"]))]
    commands: Vec<String>,
    #[schema(minimum = 1, maximum = 65535, default = 22)]
    port: Option<u16>,
    /// Platform name (v2 spelling); `device_type` is accepted too.
    #[schema(example = "cisco_ios")]
    platform: Option<String>,
    /// NAAS's name for `platform`.
    device_type: Option<String>,
    /// Seconds; a fraction is rounded up.
    #[schema(minimum = 1)]
    read_timeout: Option<f64>,
    expect_string: Option<String>,
    /// Enable secret.
    enable: Option<String>,
    /// send_command_structured only: a TextFSM template applied to every command's output
    /// (otherwise the ntc-templates index chooses).
    textfsm_template: Option<String>,
}

/// NAAS v1 `send_config` body.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct V1SendConfigRequest {
    /// The device: IPv4, IPv6 or a DNS name (v2: `host`).
    #[schema(example = "192.0.2.10")]
    ip: String,
    /// Configuration lines; `commands` is accepted as an alias.
    #[schema(min_items = 1, example = json!(["interface Gi0/1", "description uplink"]))]
    config: Option<Vec<String>>,
    commands: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 65535, default = 22)]
    port: Option<u16>,
    platform: Option<String>,
    device_type: Option<String>,
    #[schema(minimum = 1)]
    read_timeout: Option<f64>,
    save_config: Option<bool>,
    commit: Option<bool>,
    enable: Option<String>,
}

/// A v1 202 answer: the v2 fields plus NAAS's.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct V1JobAccepted {
    job_id: String,
    status: String,
    /// Jobs waiting for a worker when this one was queued (approximate; as in v2).
    #[schema(minimum = 0)]
    queue_position: Option<u64>,
    #[schema(example = "Job enqueued")]
    message: String,
    #[schema(example = "naas")]
    app: String,
    version: String,
}

/// A v1 job answer: the v2 job document plus NAAS's `app` and `version`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct V1JobDocument {
    job_id: String,
    status: String,
    results: Option<serde_json::Value>,
    error: Option<String>,
    app: String,
    version: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn naas_names_become_v2_names() {
        let body = translate(
            object(
                json!({"ip": "10.0.0.1", "device_type": "cisco_nxos", "commands": ["show ver"], "read_timeout": 2.5}),
            ),
            false,
        );
        assert_eq!(
            Value::Object(body),
            json!({"host": "10.0.0.1", "platform": "cisco_nxos", "commands": ["show ver"], "read_timeout": 2.5})
        );
        let config = translate(object(json!({"ip": "r1", "commands": ["hostname a"]})), true);
        assert_eq!(Value::Object(config), json!({"host": "r1", "config": ["hostname a"]}));
    }

    #[test]
    fn a_v2_name_given_too_wins_and_timeouts_are_left_to_validation() {
        let body = translate(object(json!({"ip": "a", "host": "b", "read_timeout": -1.5})), false);
        assert_eq!(Value::Object(body), json!({"host": "b", "read_timeout": -1.5}));
    }

    #[test]
    fn each_v1_path_links_its_v2_successor() {
        assert_eq!(successor("/v1/send_command"), "/v2/send-command");
        assert_eq!(successor("/v1/send_config/abc"), "/v2/jobs/abc");
        assert_eq!(successor("/v1/jobs/abc"), "/v2/jobs/abc");
        assert_eq!(successor("/v1/send_command_structured"), "/v2/send-command-structured");
        assert_eq!(successor("/v1/send_command_structured/abc"), "/v2/jobs/abc");
    }
}
