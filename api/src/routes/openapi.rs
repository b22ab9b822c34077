//! The OpenAPI 3.1 document of this API, generated from the handlers' `#[utoipa::path]`
//! annotations and the types they send and receive, then completed at start-up with what
//! depends on the deployment (known platforms, timeout and key lifetime limits). Served
//! as `GET /openapi.json` and rendered by the page at `GET /docs`.
//!
//! Both are public, like `/livez`: the document describes the interface, not any data, and
//! a caller needs it before it has credentials. The page is Swagger UI: its files come from
//! the crates.io package `utoipa-swagger-ui-vendored` at build time and are compiled into the
//! binary, so the page loads nothing from elsewhere; it is served with a CSP that allows
//! nothing but this origin.

use std::borrow::Cow;
use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use naas_shared::config::Settings;
use naas_shared::domain::{CommandList, Context, Host, JobId, Tag};
use naas_shared::job::{JobDocument, JobKind, JobStatus};
use naas_shared::platform::{AUTODETECT, Platforms};
use serde_json::{Value, json};
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoParams, Modify, OpenApi, ToResponse, ToSchema};
use utoipa_swagger_ui::Config as SwaggerConfig;

use super::api_keys::{ApiKeyCreated, ApiKeyList, ApiKeySummary, CreateApiKey, KeyContext};
use super::health::{Health, Probe};
use super::jobs::JobAccepted;
use super::listing::JobList;
use super::v1::Deprecated as V1Deprecated;
use crate::auth::Role;
use crate::error::{ErrorBody, FieldError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "naas",
        description = "Network automation as a service: run show commands and push configuration to network \
                       devices over SSH, as queued jobs.\n\n\
                       **Authentication.** `Authorization: Basic` carries the *device* SSH credentials (the caller is an \
                       operator owning the jobs it submits); `Authorization: Bearer` carries an API key (a JWT from \
                       `/v2/api-keys`, with a role and contexts), and the device credentials then travel in the body. \
                       On `/v2/api-keys`, Basic `admin` with the configured admin secret is the bootstrap administrator. \
                       Roles: viewer < operator < admin.\n\n\
                       **Errors.** Every non-2xx body is `{\"status\", \"error\", \"code\"}` (+ `fields` on 422). \
                       Every response carries `X-Request-ID` (the caller's, echoed when it is 1-128 characters of \
                       letters, digits and `-_.:/+=@`; generated otherwise).\n\n\
                       `/openapi.json`, `/docs`, `/livez`, `/readyz`, `/healthcheck` and `/metrics` need no credentials.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        super::jobs::send_command,
        super::jobs::send_config,
        super::listing::list,
        super::jobs::get,
        super::jobs::cancel,
        super::stream::follow,
        super::structured::send_command_structured,
        super::v1::send_command,
        super::v1::send_command_structured,
        super::v1::send_config,
        super::v1::get,
        super::v1::cancel,
        super::api_keys::create,
        super::api_keys::list,
        super::api_keys::revoke,
        super::api_keys::rotate,
        super::health::livez,
        super::health::readyz,
        super::health::healthcheck,
        crate::metrics::scrape,
        openapi_json,
        docs,
        docs_file,
    ),
    components(
        schemas(
            ErrorBody, FieldError, JobDocument, JobStatus, JobKind, naas_shared::error::ErrorCode, JobId, Host,
            Context, Tag, CommandList, naas_shared::openapi::JobResults, JobAccepted, JobList, SendCommandRequest,
            SendCommandStructuredRequest, SendConfigRequest, JumpHost, Role, CreateApiKey, KeyContext, ApiKeyCreated, ApiKeySummary, ApiKeyList,
            Probe, Health,
        ),
        responses(
            Unauthorized, Forbidden, NotFound, Conflict, RequestTimeout, PayloadTooLarge, UnsupportedMediaType,
            Unprocessable,
            TooManyRequests, Unavailable,
        ),
    ),
    modifiers(&Security, &Aliases, &V1Deprecated),
    tags(
        (name = "jobs", description = "Submit jobs, follow them, read their results, cancel them."),
        (name = "api-keys", description = "API keys (admin only). A token is shown once, when created or rotated."),
        (name = "operations", description = "Probes, metrics and this document."),
        (name = "v1", description = "NAAS v1 routes, deprecated (`Deprecation`, `Sunset` headers): the v2 handlers \
                                     behind NAAS's field names (`ip`, `device_type`) and answers."),
    ),
)]
struct ApiDoc;

/// A path NAAS clients read a job at, served by the handler of another documented path
/// (the router sends both to it) and documented as a copy of that path's `GET` under its
/// own operation id and summary.
struct Alias {
    path: &'static str,
    of: &'static str,
    operation_id: &'static str,
    summary: &'static str,
}

const ALIASES: &[Alias] = &[
    Alias {
        path: "/v1/jobs",
        of: "/v2/jobs",
        operation_id: "v1_list_jobs",
        summary: "List jobs (NAAS v1 path; deprecated)",
    },
    Alias {
        path: "/v2/send-command/{job_id}",
        of: "/v2/jobs/{job_id}",
        operation_id: "get_command_job",
        summary: "A job's status and results (NAAS v2 path)",
    },
    Alias {
        path: "/v2/send-config/{job_id}",
        of: "/v2/jobs/{job_id}",
        operation_id: "get_config_job",
        summary: "A job's status and results (NAAS v2 path)",
    },
    Alias {
        path: "/v2/send-command-structured/{job_id}",
        of: "/v2/jobs/{job_id}",
        operation_id: "get_structured_job",
        summary: "A job's status and results (send-command-structured path)",
    },
    Alias {
        path: "/v1/send_config/{job_id}",
        of: "/v1/send_command/{job_id}",
        operation_id: "v1_get_config",
        summary: "A configuration job and its results (NAAS v1)",
    },
    Alias {
        path: "/v1/send_command_structured/{job_id}",
        of: "/v1/send_command/{job_id}",
        operation_id: "v1_get_command_structured",
        summary: "A structured job and its records (NAAS v1)",
    },
];

struct Aliases;

impl Modify for Aliases {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let paths = &mut openapi.paths.paths;
        for alias in ALIASES {
            let mut operation = paths
                .get(alias.of)
                .and_then(|item| item.get.clone())
                .unwrap_or_else(|| panic!("{} aliases {}, which has no documented GET", alias.path, alias.of));
            operation.operation_id = Some(alias.operation_id.into());
            operation.summary = Some(alias.summary.into());
            operation.description = Some(format!("The same as `GET {}`.", alias.of));
            let item = utoipa::openapi::path::PathItem::new(utoipa::openapi::HttpMethod::Get, operation);
            paths.insert(alias.path.into(), item);
        }
    }
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some(
            "Jobs: the device's SSH username and password (operator, owning the jobs it submits). \
             API keys: user `admin` with the configured admin secret."
                .into(),
        );
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description =
            Some("An API key from POST /v2/api-keys; device credentials then come in the request body.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// The request body of `POST /v2/send-command`.
///
/// Every field is checked and every problem named at once (422 with `fields`). `null` is the
/// same as leaving a field out; unknown fields are ignored.
#[derive(ToSchema)]
#[schema(examples(json!({
    "host": "10.0.0.1", "platform": "cisco_ios", "commands": ["show version", "show ip interface brief"],
    "tags": ["site:lon1"]
})))]
#[allow(dead_code)] // Documentation only: the handler checks the body field by field.
pub struct SendCommandRequest {
    pub host: Host,
    /// SSH port.
    #[schema(minimum = 1, maximum = 65535, default = 22)]
    pub port: Option<u16>,
    /// One of the platforms this deployment knows, or `autodetect`: the worker recognises
    /// the device from its prompt and `show version` (or `uname -a`) and says which
    /// platform it ran on in the job's `detected_platform`; an unrecognised device fails
    /// with `PLATFORM_NOT_DETECTED`. Not accepted by send-command-structured.
    #[schema(default = "cisco_ios")]
    pub platform: Option<String>,
    pub commands: CommandList,
    /// The enable (privileged mode) secret, when it differs from the password.
    pub enable: Option<String>,
    /// Seconds to wait for each command's output; a fraction rounds up to whole seconds.
    #[schema(exclusive_minimum = 0.0, default = 30)]
    pub read_timeout: Option<f64>,
    /// Seconds to wait for the SSH connection; a fraction rounds up to whole seconds.
    #[schema(exclusive_minimum = 0.0, default = 10)]
    pub conn_timeout: Option<f64>,
    /// The queue the job goes to (an API key may be limited to some contexts).
    #[schema(value_type = Option<Context>, default = "default")]
    pub context: Option<String>,
    #[schema(max_items = 10)]
    pub tags: Option<Vec<Tag>>,
    /// A regular expression (1-512 characters) that ends each command's output instead of
    /// the prompt.
    #[schema(min_length = 1, max_length = 512)]
    pub expect_string: Option<String>,
    /// Where the job document is delivered (signed) when the job ends; the webhook policy of
    /// the deployment decides which URLs are allowed.
    #[schema(format = "uri")]
    pub webhook_url: Option<String>,
    /// A key of the deployment's SSH key store to log in with, instead of a password.
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    pub ssh_key: Option<String>,
    /// Allow the legacy SSH algorithms old devices need.
    #[schema(default = false)]
    pub legacy_ssh: Option<bool>,
    pub jump_host: Option<JumpHost>,
    /// The device login. Required with Bearer auth; refused with Basic auth (the Basic
    /// credentials are the device login).
    #[schema(min_length = 1)]
    pub username: Option<String>,
    /// The device password (Bearer auth only).
    #[schema(format = Password)]
    pub password: Option<String>,
}

/// The request body of `POST /v2/send-command-structured`: send-command's, plus optionally
/// the caller's own TextFSM template (applied to every command instead of the index; one
/// that does not compile is a 422 naming the field).
#[derive(ToSchema)]
#[schema(examples(json!({"host": "10.0.0.1", "platform": "cisco_ios", "commands": ["show ip interface brief"]})))]
#[allow(dead_code)] // Documentation only: the handler checks the body field by field.
/// (Its schema is completed with send-command's fields when the document is built.)
pub struct SendCommandStructuredRequest {
    /// The text of a TextFSM template (NAAS's name; `template` is the same, give one of them).
    #[schema(max_length = 65536)]
    pub textfsm_template: Option<String>,
    #[schema(max_length = 65536)]
    pub template: Option<String>,
}

/// The request body of `POST /v2/send-config`: as send-command, with `config` instead of
/// `commands`, the config options, and no `expect_string`.
#[derive(ToSchema)]
#[schema(examples(json!({
    "host": "10.0.0.1", "platform": "cisco_ios", "config": ["interface Loopback1", " description managed by naas"],
    "save_config": true
})))]
#[allow(dead_code)] // Documentation only: the handler checks the body field by field.
pub struct SendConfigRequest {
    pub host: Host,
    #[schema(minimum = 1, maximum = 65535, default = 22)]
    pub port: Option<u16>,
    #[schema(default = "cisco_ios")]
    pub platform: Option<String>,
    /// The configuration lines, as a list or as one text (one line per line; blank lines
    /// dropped).
    #[schema(value_type = ConfigLines)]
    pub config: Vec<String>,
    /// Save the running configuration after a successful push (platforms with a save
    /// command).
    #[schema(default = false)]
    pub save_config: Option<bool>,
    /// Commit the candidate configuration (platforms with a commit model).
    #[schema(default = false)]
    pub commit: Option<bool>,
    /// With `commit`: roll back unless confirmed within this many minutes.
    #[schema(minimum = 1, maximum = 60)]
    pub commit_confirmed: Option<u32>,
    /// Stop at the first rejected line.
    #[schema(default = true)]
    pub stop_on_error: Option<bool>,
    pub enable: Option<String>,
    #[schema(exclusive_minimum = 0.0, default = 30)]
    pub read_timeout: Option<f64>,
    #[schema(exclusive_minimum = 0.0, default = 10)]
    pub conn_timeout: Option<f64>,
    #[schema(value_type = Option<Context>, default = "default")]
    pub context: Option<String>,
    #[schema(max_items = 10)]
    pub tags: Option<Vec<Tag>>,
    #[schema(format = "uri")]
    pub webhook_url: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    pub ssh_key: Option<String>,
    #[schema(default = false)]
    pub legacy_ssh: Option<bool>,
    pub jump_host: Option<JumpHost>,
    #[schema(min_length = 1)]
    pub username: Option<String>,
    #[schema(format = Password)]
    pub password: Option<String>,
}

/// Configuration lines: a list of lines, or one text holding them.
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
#[allow(dead_code)] // Documentation only.
pub enum ConfigLines {
    Lines(CommandList),
    Text(String),
}

/// An SSH jump host (bastion) to reach the device through: a password or a key of the key
/// store.
#[derive(ToSchema)]
#[schema(examples(json!({"host": "bastion.example.net", "username": "jump", "password": "********"})))]
#[allow(dead_code)] // Documentation only: the handler checks the body field by field.
pub struct JumpHost {
    pub host: Host,
    #[schema(minimum = 1, maximum = 65535, default = 22)]
    pub port: Option<u16>,
    #[schema(min_length = 1)]
    pub username: String,
    #[schema(format = Password)]
    pub password: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    pub ssh_key: Option<String>,
}

/// `X-Idempotency-Key`: the same key from the same caller within 24 h answers with the
/// original job (`idempotent: true`) instead of queueing a second one.
#[derive(IntoParams)]
#[into_params(names("X-Idempotency-Key"), parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKey(
    #[param(required = false, min_length = 1, max_length = 128, pattern = "^[!-~]{1,128}$")] String,
);

/// The example of an error body.
fn error_example(status: u16, error: &str, code: &str) -> Value {
    json!({"status": status, "error": error, "code": code})
}

/// A reusable error response: the error body with one example per code.
fn error_response(description: &str, examples: &[(&str, Value)], headers: &[(&str, &str, Type)]) -> ApiResponse {
    let mut content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody")));
    content = content.examples_from_iter(
        examples.iter().map(|(name, value)| (*name, ExampleBuilder::new().value(Some(value.clone())).build())),
    );
    let mut response = ResponseBuilder::new().description(description).content("application/json", content.build());
    for (name, description, kind) in headers {
        let schema = ObjectBuilder::new().schema_type(kind.clone());
        response =
            response.header(*name, HeaderBuilder::new().schema(Some(schema)).description(Some(*description)).build());
    }
    response.build()
}

macro_rules! error_responses {
    ($($name:ident => $build:expr;)*) => {$(
        pub struct $name;
        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<ApiResponse>) {
                (stringify!($name), RefOr::T($build))
            }
        }
    )*};
}

/// Error answers shared by several operations, named once: `responses((status = 202, …),
/// SubmissionErrors)` documents every error a submission can answer.
macro_rules! error_sets {
    ($($(#[$doc:meta])* $name:ident => [$($status:literal $response:ident),* $(,)?];)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, RefOr<ApiResponse>> {
                [$(($status.to_string(), RefOr::Ref(Ref::from_response_name(stringify!($response))))),*]
                    .into_iter()
                    .collect()
            }
        }
    )*};
}

error_sets! {
    /// What a job submission can answer besides 202.
    SubmissionErrors => [
        401 Unauthorized, 403 Forbidden, 408 RequestTimeout, 409 Conflict, 413 PayloadTooLarge,
        415 UnsupportedMediaType, 422 Unprocessable, 429 TooManyRequests, 503 Unavailable,
    ];
    /// What reading one job can answer besides 200.
    JobReadErrors => [401 Unauthorized, 403 Forbidden, 404 NotFound, 503 Unavailable];
}

const RETRY_AFTER: (&str, &str, Type) = ("Retry-After", "Seconds to wait before retrying.", Type::Integer);

error_responses! {
    Unauthorized => error_response(
        "Credentials missing, malformed or not accepted.",
        &[
            ("missing", error_example(401, "authentication required: send device credentials with HTTP Basic, or an API key as a Bearer token", "AUTH_REQUIRED")),
            ("invalid token", error_example(401, "the token is expired", "AUTH_INVALID_TOKEN")),
        ],
        &[("WWW-Authenticate", "`Basic realm=\"naas\"` or `Bearer error=\"invalid_token\"`.", Type::String)],
    );
    Forbidden => error_response(
        "Authenticated, but not allowed: the role is too low (`RBAC_DENIED`), the key may not use the context \
         (`CONTEXT_DENIED`), the caller is locked out after failed attempts (`LOCKED_OUT`) or the device is \
         (`DEVICE_LOCKED_OUT`).",
        &[
            ("role", error_example(403, "this needs the operator role", "RBAC_DENIED")),
            ("context", error_example(403, "this key may not use context \"lab\"", "CONTEXT_DENIED")),
            ("locked out", error_example(403, "too many failed attempts: locked for 300 s", "LOCKED_OUT")),
            ("device locked out", error_example(403, "the device is locked out for 300 s after repeated login failures", "DEVICE_LOCKED_OUT")),
        ],
        &[],
    );
    NotFound => error_response(
        "No such thing, or the caller may not see it (the same answer either way).",
        &[("not found", error_example(404, "not found", "NOT_FOUND"))],
        &[],
    );
    Conflict => error_response(
        "The job already ended (`JOB_ALREADY_ENDED`), or a submission with the same idempotency key is still \
         being recorded (`IDEMPOTENCY_KEY_IN_USE`).",
        &[
            ("ended", error_example(409, "the job already ended (finished)", "JOB_ALREADY_ENDED")),
            ("key in use", error_example(409, "a submission with this idempotency key is still being processed; retry shortly", "IDEMPOTENCY_KEY_IN_USE")),
        ],
        &[],
    );
    RequestTimeout => error_response(
        "The body did not arrive in full within `api.body_read_timeout_secs` of the headers; the connection \
         closes after this answer.",
        &[("too slow", error_example(408, "request body did not arrive within 10 s", "REQUEST_TIMEOUT"))],
        &[],
    );
    PayloadTooLarge => error_response(
        "The body is larger than `api.max_body_bytes`.",
        &[("too large", error_example(413, "request body is larger than 1048576 bytes", "PAYLOAD_TOO_LARGE"))],
        &[],
    );
    UnsupportedMediaType => error_response(
        "The body is not declared as `application/json`.",
        &[("not JSON", error_example(415, "request body must be JSON (Content-Type: application/json)", "UNSUPPORTED_MEDIA_TYPE"))],
        &[],
    );
    Unprocessable => error_response(
        "The body is not JSON (`MALFORMED_JSON`), or fields failed validation (`VALIDATION_FAILED`, every one \
         named in `fields`).",
        &[
            ("validation", json!({
                "status": 422, "error": "request validation failed: host, commands", "code": "VALIDATION_FAILED",
                "fields": [
                    {"field": "host", "message": "is required"},
                    {"field": "commands", "message": "is required: a non-empty list of commands"}
                ]
            })),
            ("malformed", error_example(422, "request body is not valid JSON: EOF while parsing an object at line 1 column 1", "MALFORMED_JSON")),
        ],
        &[],
    );
    TooManyRequests => error_response(
        "A rate limit is reached (per caller, or per caller and device).",
        &[("rate limited", error_example(429, "rate limit reached; retry in 12 s", "RATE_LIMITED"))],
        &[
            RETRY_AFTER,
            ("X-RateLimit-Limit", "Submissions allowed per window.", Type::Integer),
            ("X-RateLimit-Remaining", "Submissions left in the window.", Type::Integer),
            ("X-RateLimit-Reset", "When the window next frees a slot (Unix seconds).", Type::Integer),
        ],
    );
    Unavailable => error_response(
        "NATS or Redis is unavailable, or (submissions) the job queue or the job store is full; retry later.",
        &[
            ("unavailable", error_example(503, "Redis is unavailable", "SERVICE_UNAVAILABLE")),
            ("store full", error_example(503, "the job store is full; retry later", "STORE_FULL")),
        ],
        &[RETRY_AFTER],
    );
}

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "operations", operation_id = "openapi",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The document.", content_type = "application/json", body = Object)),
)]
pub fn openapi_json(document: &str) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], document.to_owned()).into_response()
}

/// No script, style, frame, form or connection beyond this origin; no inline script or
/// style. `img-src data:`: Swagger UI's stylesheet draws its icons as `data:` SVG images.
/// Swagger UI sets element styles from its script (the style properties of the DOM), which a
/// CSP does not restrict, and needs neither `'unsafe-inline'` nor `'unsafe-eval'`.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' \
                        data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: HeaderValue, body: impl IntoResponse) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP)),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    (headers, body).into_response()
}

/// `GET /docs`: the interactive documentation page.
#[utoipa::path(
    get, path = "/docs", tag = "operations", operation_id = "docs",
    summary = "Interactive documentation of this API",
    description = "Swagger UI rendering `/openapi.json`: operations by tag, parameters, schemas, examples, and \
                   *Try it out* forms that send requests with Basic or Bearer credentials (*Authorize*). \
                   Self-contained (no file from elsewhere).",
    responses((status = 200, description = "The page.", content_type = "text/html", body = String)),
)]
pub async fn docs() -> Response {
    asset(HeaderValue::from_static("text/html; charset=utf-8"), include_str!("../../assets/docs.html"))
}

/// The files of Swagger UI that `/docs` loads: Swagger UI's own (compiled in) and its
/// start-up script, configured for this API.
pub const DOCS_FILES: &[&str] = &[
    "swagger-ui.css",
    "index.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    SWAGGER_INITIALIZER,
    "favicon-32x32.png",
    "favicon-16x16.png",
];

const SWAGGER_INITIALIZER: &str = "swagger-initializer.js";

/// Swagger UI's files, its configuration and the start-up script rendered from it.
#[derive(Clone)]
pub struct DocsFiles {
    config: Arc<SwaggerConfig<'static>>,
}

impl DocsFiles {
    pub fn new() -> Self {
        let config = SwaggerConfig::new(["/openapi.json"])
            // No top bar: it offers to load another document by URL.
            .use_base_layout()
            // Swagger UI's default sends the document to validator.swagger.io.
            .validator_url("none")
            .display_request_duration(true)
            .filter(true)
            .show_mutated_request(true);
        let files = Self { config: Arc::new(config) };
        for name in DOCS_FILES {
            assert!(files.get(name).is_some(), "Swagger UI has no {name}");
        }
        files
    }

    fn get(&self, name: &str) -> Option<utoipa_swagger_ui::SwaggerFile<'static>> {
        // Only the start-up script is rendered (the configuration as JSON), checked by `new`.
        utoipa_swagger_ui::serve(name, self.config.clone()).expect("the Swagger UI configuration serialises")
    }
}

/// `GET /docs/{file}`: a file of the documentation page.
#[utoipa::path(
    get, path = "/docs/{file}", tag = "operations", operation_id = "docs_file",
    summary = "A file of the documentation page",
    description = "Swagger UI's script, stylesheet, icons and start-up script (the files `/docs` loads).",
    params(("file" = String, Path, description = "The file's name.")),
    responses(
        (status = 200, description = "The file.", content(
            (String = "text/javascript"), (String = "text/css"), (String = "image/png"),
        )),
        (status = 404, response = NotFound),
    ),
)]
pub fn docs_file(files: &DocsFiles, name: &str) -> Response {
    let Some(file) = DOCS_FILES.contains(&name).then(|| files.get(name)).flatten() else {
        return crate::error::ApiError::NotFound.into_response();
    };
    let content_type = match file.content_type.as_str() {
        "text/javascript" | "application/javascript" => HeaderValue::from_static("text/javascript; charset=utf-8"),
        "text/css" => HeaderValue::from_static("text/css; charset=utf-8"),
        other => HeaderValue::from_str(other).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    };
    let body = match file.bytes {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    };
    asset(content_type, body)
}

/// The document for this deployment, as JSON text.
pub fn document(settings: &Settings, platforms: &Platforms) -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
    tailor(&mut doc, settings, platforms);
    serde_json::to_string(&doc).expect("JSON serialises")
}

/// Completes the generated document: the headers every response carries, and the limits
/// and platforms of this deployment.
fn tailor(doc: &mut Value, settings: &Settings, platforms: &Platforms) {
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    let headers = json!({
        "X-Request-ID": {
            "description": "The request's id: the caller's `X-Request-ID` when it is 1-128 characters of letters, \
                            digits and `-_.:/+=@`, generated otherwise.",
            "required": true,
            "schema": {"type": "string", "minLength": 1, "maxLength": 128}
        }
    });
    doc["components"]["headers"] = headers;
    let request_id = json!({"$ref": "#/components/headers/X-Request-ID"});
    let add_request_id = |response: &mut Value| {
        if let Some(response) = response.as_object_mut().filter(|r| !r.contains_key("$ref")) {
            let headers = response.entry("headers").or_insert_with(|| json!({}));
            headers["X-Request-ID"] = request_id.clone();
        }
    };
    if let Some(responses) = doc["components"]["responses"].as_object_mut() {
        responses.values_mut().for_each(add_request_id);
        // Retry-After is always sent with 429 and 503.
        for name in ["TooManyRequests", "Unavailable"] {
            if let Some(header) = responses.get_mut(name).and_then(|r| r["headers"].get_mut("Retry-After")) {
                header["required"] = json!(true);
            }
        }
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
                for (status, response) in responses.iter_mut() {
                    add_request_id(response);
                    if status == "202"
                        && let Some(location) = response.pointer_mut("/headers/Location")
                    {
                        location["required"] = json!(true);
                    }
                }
            }
        }
    }
    if let Some(file) = doc.pointer_mut("/paths/~1docs~1{file}/get/parameters/0/schema") {
        file["enum"] = json!(DOCS_FILES);
    }
    let names: Vec<&str> = platforms.names();
    let detectable: Vec<&str> = names.iter().copied().chain([AUTODETECT]).collect();
    let schemas = &mut doc["components"]["schemas"];
    for (body, platforms) in [("SendCommandRequest", &detectable), ("SendConfigRequest", &names)] {
        let properties = &mut schemas[body]["properties"];
        set_enum(&mut properties["platform"], platforms);
        let jobs = &settings.jobs;
        set_limits(&mut properties["read_timeout"], jobs.default_read_timeout_secs, jobs.max_read_timeout_secs);
        set_limits(&mut properties["conn_timeout"], jobs.default_conn_timeout_secs, jobs.max_conn_timeout_secs);
        if !settings.webhooks.enabled() {
            properties["webhook_url"] = json!({
                "type": "null",
                "description": "Webhooks are not configured on this deployment: only null (or no value) is accepted."
            });
        }
    }
    // send-command-structured: send-command's fields plus its own.
    let own = schemas["SendCommandStructuredRequest"].clone();
    let mut merged = schemas["SendCommandRequest"].clone();
    if let (Some(properties), Some(extra)) = (merged["properties"].as_object_mut(), own["properties"].as_object()) {
        properties.extend(extra.clone());
    }
    merged["description"] = own["description"].clone();
    merged["examples"] = own["examples"].clone();
    set_enum(&mut merged["properties"]["platform"], &names);
    schemas["SendCommandStructuredRequest"] = merged;
    set_maximum(&mut schemas["CreateApiKey"]["properties"]["ttl_seconds"], settings.auth.max_key_ttl_secs);
}

/// Restricts a (possibly nullable) string property to `values`, null still allowed.
fn set_enum(property: &mut Value, values: &[&str]) {
    let mut allowed: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    allowed.push(Value::Null);
    if let Some(object) = property.as_object_mut() {
        object.insert("enum".into(), Value::Array(allowed));
    }
}

fn set_limits(property: &mut Value, default: u64, maximum: u64) {
    if let Some(object) = property.as_object_mut() {
        object.insert("default".into(), json!(default));
    }
    set_maximum(property, maximum);
}

fn set_maximum(property: &mut Value, maximum: u64) {
    if let Some(object) = property.as_object_mut() {
        object.insert("maximum".into(), json!(maximum));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn spec() -> Value {
        let text = document(&Settings::defaults(), &Platforms::builtin());
        serde_json::from_str(&text).unwrap()
    }

    /// `(METHOD, path)` of every `.route(..)` in the router's source.
    fn routed() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let mut routes = BTreeSet::new();
        for call in source.split(".route(\"").skip(1) {
            let (path, rest) = call.split_once('"').unwrap();
            // The method routers of this call: `get(..)`, `.delete(..)`, … up to the call's end.
            let mut depth = 0;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' if depth == 0 => return true,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    false
                })
                .map_or(rest.len(), |(i, _)| i);
            let mut depth = 0;
            let mut word = String::new();
            for c in rest[..end].chars() {
                match c {
                    '(' => {
                        if depth == 0 && ["get", "post", "put", "patch", "delete"].contains(&word.trim()) {
                            routes.insert((word.trim().to_uppercase(), path.to_owned()));
                        }
                        depth += 1;
                        word.clear();
                    }
                    ')' => depth -= 1,
                    c if depth == 0 && (c.is_alphanumeric() || c == '_') => word.push(c),
                    _ if depth == 0 => word.clear(),
                    _ => {}
                }
            }
        }
        routes
    }

    #[test]
    fn every_route_is_in_the_document_and_nothing_else() {
        let spec = spec();
        let mut documented = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let routed = routed();
        assert!(routed.len() >= 20, "the router's routes were not found: {routed:?}");
        let missing: Vec<_> = routed.difference(&documented).collect();
        assert!(missing.is_empty(), "routes missing from the OpenAPI document: {missing:?}");
        let extra: Vec<_> = documented.difference(&routed).collect();
        assert!(extra.is_empty(), "documented operations the router does not serve: {extra:?}");
    }

    #[test]
    fn the_document_is_openapi_3_1_and_every_reference_resolves() {
        let spec = spec();
        assert_eq!(spec["openapi"], "3.1.0");
        fn refs(value: &Value, found: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        found.push(target.clone());
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        refs(&spec, &mut found);
        assert!(found.len() > 50);
        for target in found {
            let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("external reference {target}"));
            assert!(spec.pointer(pointer).is_some(), "unresolved reference {target}");
        }
    }

    #[test]
    fn every_operation_documents_its_errors_and_request_id() {
        let spec = spec();
        let mut ids = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                assert!(operation["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path}: no tag");
                let responses = operation["responses"].as_object().unwrap();
                for (status, response) in responses {
                    if let Some(target) = response["$ref"].as_str() {
                        assert!(status.starts_with('4') || status.starts_with('5'), "{method} {path} {status}");
                        assert!(target.starts_with("#/components/responses/"));
                    } else {
                        assert!(response["headers"]["X-Request-ID"].is_object(), "{method} {path} {status}");
                    }
                }
                let secured = operation.get("security").is_some();
                assert_eq!(secured, responses.contains_key("401"), "{method} {path}: security without 401");
                if secured {
                    assert!(responses.contains_key("503"), "{method} {path}: authenticated, so 503 is possible");
                }
                if operation.get("requestBody").is_some() {
                    for status in ["408", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{method} {path}: a body, so {status} is possible");
                    }
                }
            }
        }
        for (name, response) in spec["components"]["responses"].as_object().unwrap() {
            let content = &response["content"]["application/json"];
            assert_eq!(content["schema"]["$ref"], "#/components/schemas/ErrorBody", "{name}");
            assert!(content["examples"].as_object().is_some_and(|e| !e.is_empty()), "{name}: no example");
        }
        let retry = &spec["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"];
        assert_eq!(retry["required"], true);
    }

    #[test]
    fn the_page_loads_exactly_the_files_served_and_swagger_ui_reads_this_document() {
        let page = include_str!("../../assets/docs.html");
        let loaded: BTreeSet<&str> =
            page.split("\"/docs/").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
        assert_eq!(loaded, DOCS_FILES.iter().copied().collect());
        let files = DocsFiles::new();
        let initializer = files.get(SWAGGER_INITIALIZER).unwrap().bytes.into_owned();
        let initializer = String::from_utf8(initializer).unwrap();
        assert!(initializer.contains("\"url\": \"/openapi.json\""), "{initializer}");
        assert!(initializer.contains("\"validatorUrl\": \"none\""), "{initializer}");
        let file = spec()["paths"]["/docs/{file}"]["get"]["parameters"][0]["schema"].clone();
        assert_eq!(file["enum"], json!(DOCS_FILES));
    }

    #[test]
    fn the_deployment_fills_in_platforms_and_limits() {
        let mut settings = Settings::defaults();
        settings.jobs.max_read_timeout_secs = 77;
        let spec: Value = serde_json::from_str(&document(&settings, &Platforms::builtin())).unwrap();
        let body = &spec["components"]["schemas"]["SendCommandRequest"]["properties"];
        assert_eq!(body["read_timeout"]["maximum"], 77);
        let platforms = body["platform"]["enum"].as_array().unwrap();
        assert!(platforms.contains(&json!("cisco_ios")) && platforms.contains(&Value::Null));
        assert!(platforms.contains(&json!("autodetect")), "send-command detects");
        for other in ["SendConfigRequest", "SendCommandStructuredRequest"] {
            let platforms = spec["components"]["schemas"][other]["properties"]["platform"]["enum"].as_array().unwrap();
            assert!(platforms.contains(&json!("cisco_ios")) && !platforms.contains(&json!("autodetect")), "{other}");
        }
    }
}
