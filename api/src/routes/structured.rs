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
pub async fn send_command_structured(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    super::jobs::submit(state, request_id, headers, body, JobKind::Command, true).await
}
