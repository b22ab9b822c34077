//! `POST /v2/send-command-structured`: a send-command whose outputs the worker parses with
//! TextFSM (the templates index, or the caller's own template) into lists of records.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use naas_shared::job::JobKind;

use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::state::AppState;

/// The body is send-command's plus an optional `textfsm_template` (or `template`): the
/// text of a TextFSM template, applied to every command instead of the index; a template
/// that does not compile is a 422 naming the field.
#[utoipa::path(
    post, path = "/v2/send-command-structured", tag = "jobs", operation_id = "send_command_structured",
    summary = "Run commands on a device, outputs parsed into records",
    description = "As `POST /v2/send-command`; once the commands ran, the worker parses each output with TextFSM \
                   (the templates index, or the caller's `textfsm_template`/`template`). `results` then holds a list \
                   of records per command, or the raw text when no template parsed it; `parsed` says which. Role: \
                   operator.",
    request_body(content = super::openapi::SendCommandStructuredRequest, content_type = "application/json"),
    params(super::openapi::IdempotencyKey),
    responses(
        (status = 202, description = "Queued (or, for a repeated idempotency key, the original job).",
            body = super::jobs::JobAccepted,
            headers(
                ("Location" = String, description = "The job: `/v2/jobs/{job_id}`."),
                ("X-RateLimit-Limit" = u64, description = "Submissions allowed per window (callers subject to rate limits)."),
                ("X-RateLimit-Remaining" = u64, description = "Submissions left in the window."),
                ("X-RateLimit-Reset" = u64, description = "When the window next frees a slot (Unix seconds)."),
            )),
        super::openapi::SubmissionErrors,
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn send_command_structured(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    super::jobs::submit(state, request_id, headers, body, JobKind::Command, true).await
}
