//! `GET /v2/jobs?status=&tag=k:v&page=&per_page=`: the caller's own jobs (an admin's: all),
//! newest first, filtered by status and tag, a page at a time.

use std::collections::HashMap;

use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use naas_shared::domain::Tag;
use naas_shared::job::{JobDocument, JobStatus};
use naas_shared::store::ListCursor;
use serde::Serialize;
use serde_json::json;

use crate::auth::{Realm, Role, authenticate};
use crate::error::{ApiError, FieldError};
use crate::request_id::RequestId;
use crate::state::AppState;

const MAX_PER_PAGE: usize = 100;
/// Index entries read per round trip while filling a page.
const CHUNK: usize = 200;

struct Filter {
    status: Option<JobStatus>,
    tag: Option<Tag>,
    page: usize,
    per_page: usize,
}

fn parse(query: &HashMap<String, String>) -> Result<Filter, ApiError> {
    let mut errors = Vec::new();
    let status = match query.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(s) => match serde_json::from_value::<JobStatus>(json!(s)) {
            Ok(status) => Some(status),
            Err(_) => {
                errors.push(FieldError::new("status", "one of queued, started, finished, failed, canceled"));
                None
            }
        },
    };
    let tag = match query.get("tag").map(String::as_str) {
        None | Some("") => None,
        Some(t) => Tag::parse(t).map_err(|e| errors.push(FieldError::new("tag", e.to_string()))).ok(),
    };
    let mut number = |name: &str, default: usize, max: usize| match query.get(name) {
        None => default,
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=max).contains(n)).unwrap_or_else(|| {
            errors.push(FieldError::new(name, format!("an integer from 1 to {max}")));
            default
        }),
    };
    let page = number("page", 1, 1_000_000);
    let per_page = number("per_page", 20, MAX_PER_PAGE);
    if errors.is_empty() { Ok(Filter { status, tag, page, per_page }) } else { Err(ApiError::Validation(errors)) }
}

/// A page of jobs, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobDocument>,
    #[schema(minimum = 1)]
    pub page: usize,
    #[schema(minimum = 1, maximum = 100)]
    pub per_page: usize,
    /// More jobs match after this page.
    pub has_more: bool,
}

/// The query of `GET /v2/jobs`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documentation only: the handler checks the query parameter by parameter.
pub struct ListQuery {
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// Only jobs carrying this `key:value` tag.
    pub tag: Option<Tag>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<u32>,
    /// Jobs per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<u32>,
}

#[utoipa::path(
    get, path = "/v2/jobs", tag = "jobs", operation_id = "list_jobs",
    summary = "List jobs",
    description = "The caller's own jobs (an admin's: every job), newest first, filtered by status and tag, a page \
                   at a time. Role: viewer.",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of jobs.", body = JobList),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 422, response = super::openapi::Unprocessable),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("basic" = []), ("bearer" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<JobList>, ApiError> {
    let caller = authenticate(&headers, &state, Realm::Jobs, &request_id).await?;
    let filter = parse(&query)?;
    let owner = (caller.role != Role::Admin).then_some(caller.owner.as_str());
    let skip = (filter.page - 1) * filter.per_page;
    let (mut matched, mut jobs, mut cursor) = (0, Vec::new(), ListCursor::default());
    let has_more = 'scan: loop {
        let ids = state.store.list_ids(owner, &mut cursor, CHUNK).await.map_err(ApiError::store)?;
        for id in &ids {
            // A record that expired or cannot be read is simply not listed.
            let record = match state.store.get(*id).await {
                Ok(Some(record)) => record,
                Ok(None) => continue,
                Err(error) if error.is_unreadable() => continue,
                Err(error) => return Err(ApiError::store(error)),
            };
            let wanted = caller.may_see(&record)
                && filter.status.is_none_or(|s| record.doc.status == s)
                && filter.tag.as_ref().is_none_or(|t| record.doc.tags.contains(t));
            if !wanted {
                continue;
            }
            matched += 1;
            if matched > skip + filter.per_page {
                break 'scan true;
            }
            if matched > skip {
                jobs.push(crate::redaction::for_caller(&caller, &state.platforms, record.doc));
            }
        }
        if ids.len() < CHUNK {
            break false;
        }
    };
    Ok(Json(JobList { jobs, page: filter.page, per_page: filter.per_page, has_more }))
}
