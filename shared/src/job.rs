//! Jobs as callers see them (the contract's job document) and as the system keeps them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::domain::{Context, Host, JobId, Tag};
use crate::error::{ErrorCode, JobFailure};
use crate::secret::Secret;

/// What a job does on the device; also the last token of its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Command,
    Config,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Command => "command",
            Self::Config => "config",
        }
    }
}

/// Where a job is: `finished` means the device did what was asked; every other outcome is
/// `failed` with an `error_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Started,
    Finished,
    Failed,
    Canceled,
}

impl JobStatus {
    /// The status as callers spell it (also the last token of its event subject).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Started => "started",
            Self::Finished => "finished",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Finished | Self::Failed | Self::Canceled)
    }
}

/// The job document of the contract, exactly the fields callers rely on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobDocument {
    pub job_id: JobId,
    pub status: JobStatus,
    pub host: Host,
    /// The device's platform (e.g. `cisco_ios`), or `autodetect` as submitted.
    pub platform: String,
    /// `autodetect` jobs only: the platform the device was recognised as and the job ran
    /// on. Absent on other jobs, and when no platform was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_platform: Option<String>,
    pub kind: JobKind,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::JobResults>, required = true))]
    pub results: Option<Value>,
    /// send-command-structured only: for each key of `results`, whether that output was
    /// parsed into records (`true`) or is the raw text because no template parsed it
    /// (`false`). Absent on other jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<std::collections::HashMap<String, bool>>))]
    pub parsed: Option<Value>,
    /// Whether output was cut to the largest output kept per job
    /// (`jobs.max_stored_output_bytes`): every cut output ends with
    /// `[naas: output truncated, N bytes not kept]`. Absent when nothing was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub results_truncated: bool,
    /// Why the job failed or was canceled (never credentials or device output).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error_code: Option<ErrorCode>,
    /// Whether running the same job again might succeed (failed jobs only).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error_retryable: Option<bool>,
    pub tags: Vec<Tag>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub enqueued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime, required = true))]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime, required = true))]
    pub finished_at: Option<OffsetDateTime>,
    /// From start (or enqueue, for a job that never started) to the end.
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 0))]
    pub duration_ms: Option<u64>,
    /// Deliveries to a worker so far.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub attempts: u32,
}

/// The longest a job may take once started: connect and log in (twice the connect timeout,
/// for a jump host), reach the prompt (twice: enable), then every command or line plus
/// entering/leaving config mode, committing and saving, each with its own read timeout.
pub fn job_deadline(conn_timeout_secs: u64, prompt_timeout_secs: u64, read_timeout_secs: u64, commands: usize) -> u64 {
    conn_timeout_secs * 2 + prompt_timeout_secs * 2 + read_timeout_secs * (commands as u64 + 4)
}

impl JobDocument {
    /// A job as it stands when queued: nothing run, nothing tried.
    pub fn queued(
        job_id: JobId,
        host: Host,
        platform: String,
        kind: JobKind,
        tags: Vec<Tag>,
        enqueued_at: OffsetDateTime,
    ) -> Self {
        Self {
            job_id,
            status: JobStatus::Queued,
            host,
            platform,
            detected_platform: None,
            kind,
            results: None,
            parsed: None,
            results_truncated: false,
            error: None,
            error_code: None,
            error_retryable: None,
            tags,
            enqueued_at,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            attempts: 0,
        }
    }

    /// Puts a job whose worker was lost back in the queue: it is `queued` again and has not
    /// started; its attempts so far stay counted.
    pub fn requeue(&mut self) {
        self.status = JobStatus::Queued;
        self.started_at = None;
    }

    /// Cancels a job at the caller's request: it ends `canceled` at `now`, however far it
    /// got (whether it may still be canceled is the caller's check).
    pub fn cancel(&mut self, now: OffsetDateTime) {
        self.status = JobStatus::Canceled;
        self.finished_at = Some(now);
        self.error = Some("canceled by the caller".into());
    }

    pub fn mark_started(&mut self, now: OffsetDateTime, attempt: u32) {
        self.status = JobStatus::Started;
        self.started_at = Some(now);
        self.attempts = attempt;
    }

    /// Keeps at most `limit` bytes of output (see [`truncate_results`]) and says so in
    /// `results_truncated`.
    pub fn bound_results(&mut self, limit: usize) {
        if let Some(results) = &mut self.results
            && truncate_results(results, limit)
        {
            self.results_truncated = true;
        }
    }

    /// Records the terminal outcome; `duration_ms` runs from start (or enqueue) to now.
    pub fn settle(&mut self, outcome: Outcome, now: OffsetDateTime) {
        let since = self.started_at.unwrap_or(self.enqueued_at);
        self.finished_at = Some(now);
        self.duration_ms = Some((now - since).whole_milliseconds().max(0) as u64);
        self.results = outcome.results;
        if outcome.detected_platform.is_some() {
            self.detected_platform = outcome.detected_platform;
        }
        match outcome.failure {
            None => {
                self.status = JobStatus::Finished;
                self.error = None;
                self.error_code = None;
                self.error_retryable = None;
            }
            Some(failure) => {
                self.status = JobStatus::Failed;
                self.error_retryable = Some(failure.code.retryable());
                self.error_code = Some(failure.code);
                self.error = Some(failure.message);
            }
        }
    }
}

/// What ends an output cut to the bytes kept per job.
pub fn truncation_marker(dropped: usize) -> String {
    format!("\n[naas: output truncated, {dropped} bytes not kept]")
}

/// Cuts the text in `results` (every string, in document order) to `limit` bytes in
/// total: the string that crosses the limit keeps what fits and ends with the
/// [`truncation_marker`], those after it keep only the marker. Returns whether anything
/// was cut.
pub fn truncate_results(results: &mut Value, limit: usize) -> bool {
    fn walk(value: &mut Value, left: &mut usize) -> bool {
        match value {
            Value::String(text) if text.len() > *left => {
                let mut cut = *left;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                let dropped = text.len() - cut;
                text.truncate(cut);
                text.push_str(&truncation_marker(dropped));
                *left = 0;
                true
            }
            Value::String(text) => {
                *left -= text.len();
                false
            }
            Value::Array(items) => items.iter_mut().fold(false, |cut, item| walk(item, left) | cut),
            Value::Object(fields) => fields.values_mut().fold(false, |cut, item| walk(item, left) | cut),
            _ => false,
        }
    }
    let mut left = limit;
    walk(results, &mut left)
}

/// How a job ended: results (also kept for some failures, e.g. which config line was
/// rejected) and the failure, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub results: Option<Value>,
    pub failure: Option<JobFailure>,
    /// The platform an `autodetect` job was recognised as.
    pub detected_platform: Option<String>,
}

impl Outcome {
    pub fn finished(results: Value) -> Self {
        Self { results: Some(results), failure: None, detected_platform: None }
    }

    pub fn failed(failure: JobFailure) -> Self {
        Self { results: None, failure: Some(failure), detected_platform: None }
    }
}

impl From<Result<Value, JobFailure>> for Outcome {
    fn from(result: Result<Value, JobFailure>) -> Self {
        match result {
            Ok(results) => Self::finished(results),
            Err(failure) => Self::failed(failure),
        }
    }
}

/// An SSH jump host (bastion) to reach a device through. Its password, when it has one,
/// travels sealed with the device credentials; a key is named from the key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JumpHostSpec {
    pub host: Host,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    pub username: String,
    #[serde(default)]
    pub ssh_key: Option<String>,
}

fn default_ssh_port() -> u16 {
    22
}

/// Options of a config push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigOptions {
    /// Save the running configuration after a successful push (`write memory`, …).
    pub save_config: bool,
    /// Commit the candidate configuration (platforms with a commit model).
    pub commit: bool,
    /// With `commit`: roll back automatically unless confirmed within this many minutes.
    pub commit_confirmed_minutes: Option<u32>,
    /// Stop at the first rejected line (the lines after it are not sent).
    pub stop_on_error: bool,
}

impl Default for ConfigOptions {
    fn default() -> Self {
        Self { save_config: false, commit: false, commit_confirmed_minutes: None, stop_on_error: true }
    }
}

/// What the store keeps per job: the document plus who may see it and where it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub doc: JobDocument,
    /// Keyed hash identifying the submitter (never the credentials themselves).
    pub owner: String,
    pub context: Context,
    pub request_id: String,
    /// Where the terminal document is delivered (signed) when the job ends, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

/// Device login material. Only ever serialised into a sealed blob.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceCredentials {
    pub username: String,
    #[serde(serialize_with = "expose", deserialize_with = "wrap")]
    pub password: Secret<String>,
    #[serde(serialize_with = "expose_opt", deserialize_with = "wrap_opt", default)]
    pub enable: Option<Secret<String>>,
    /// Password for the job's jump host, if it has one.
    #[serde(serialize_with = "expose_opt", deserialize_with = "wrap_opt", default)]
    pub jump_password: Option<Secret<String>>,
}

impl std::fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCredentials").field("username", &self.username).finish_non_exhaustive()
    }
}

fn expose<S: serde::Serializer>(secret: &Secret<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

fn expose_opt<S: serde::Serializer>(secret: &Option<Secret<String>>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(v) => s.serialize_some(v.expose()),
        None => s.serialize_none(),
    }
}

fn wrap<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret<String>, D::Error> {
    String::deserialize(d).map(Secret::new)
}

fn wrap_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret<String>>, D::Error> {
    Option::<String>::deserialize(d).map(|v| v.map(Secret::new))
}

/// Builds send-command results: command → output, in the order sent. A command sent more
/// than once keeps every output: the second copy is keyed `"<command> [2]"`, and so on.
pub fn command_results(outputs: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut map = Map::new();
    for (command, output) in outputs {
        let mut key = command.clone();
        let mut n = 1;
        while map.contains_key(&key) {
            n += 1;
            key = format!("{command} [{n}]");
        }
        map.insert(key, Value::String(output));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_cut_to_the_bytes_kept() {
        let cases: &[(Value, usize, Value, bool)] = &[
            (serde_json::json!({"a": "12345"}), 5, serde_json::json!({"a": "12345"}), false),
            (
                serde_json::json!({"a": "12345", "b": "678"}),
                6,
                serde_json::json!({"a": "12345", "b": format!("6{}", truncation_marker(2))}),
                true,
            ),
            (
                serde_json::json!({"a": "12345", "b": "6", "c": "7"}),
                3,
                serde_json::json!({"a": format!("123{}", truncation_marker(2)), "b": format!("{}", truncation_marker(1)), "c": truncation_marker(1)}),
                true,
            ),
            (
                serde_json::json!({"config_set_output": "ok", "lines": [{"line": "x", "output": "yy", "error": null}]}),
                4,
                serde_json::json!({"config_set_output": "ok", "lines": [{"line": "x", "output": format!("y{}", truncation_marker(1)), "error": null}]}),
                true,
            ),
            // A multi-byte character is never split.
            (serde_json::json!({"a": "aé"}), 2, serde_json::json!({"a": format!("a{}", truncation_marker(2))}), true),
        ];
        for (input, limit, expected, cut) in cases {
            let mut value = input.clone();
            assert_eq!(truncate_results(&mut value, *limit), *cut, "{input} at {limit}");
            assert_eq!(&value, expected, "{input} at {limit}");
        }
    }

    fn queued_doc() -> JobDocument {
        let host = Host::parse("r1").unwrap();
        JobDocument::queued(
            JobId::new(),
            host,
            "cisco_ios".into(),
            JobKind::Command,
            vec![],
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn a_requeued_job_is_queued_again_with_its_attempts_kept() {
        let queued = queued_doc();
        let mut doc = queued.clone();
        doc.mark_started(OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(5), 2);
        doc.requeue();
        assert_eq!(doc, JobDocument { attempts: 2, ..queued });
    }

    #[test]
    fn a_canceled_job_ends_canceled_keeping_its_start() {
        let (started, now) = (
            OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(5),
            OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(9),
        );
        let queued = queued_doc();
        let mut doc = queued.clone();
        doc.cancel(now);
        let canceled = JobDocument {
            status: JobStatus::Canceled,
            finished_at: Some(now),
            error: Some("canceled by the caller".into()),
            ..queued.clone()
        };
        assert_eq!(doc, canceled);
        let mut running = queued;
        running.mark_started(started, 1);
        running.cancel(now);
        assert_eq!(running, JobDocument { started_at: Some(started), attempts: 1, ..canceled });
    }

    #[test]
    fn results_keep_order_and_duplicates() {
        let v = command_results([
            ("show clock".to_string(), "a".to_string()),
            ("show version".to_string(), "b".to_string()),
            ("show clock".to_string(), "c".to_string()),
        ]);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["show clock", "show version", "show clock [2]"]);
        assert_eq!(v["show clock [2]"], "c");
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = DeviceCredentials {
            username: "u".into(),
            password: "p4ss".into(),
            enable: Some("en4ble".into()),
            jump_password: None,
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("p4ss") && !shown.contains("en4ble"));
        let json = serde_json::to_string(&c).unwrap();
        let back: DeviceCredentials = serde_json::from_str(&json).unwrap();
        assert_eq!(back.password.expose(), "p4ss");
    }
}
