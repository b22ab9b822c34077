//! The job message: what the API publishes and a worker consumes.
//!
//! JSON, except the device credentials, which are sealed with the key ring (AES-256-GCM,
//! bound to the job id) and travel as base64 with the key id in the `Naas-Key-Id` header.
//! The JetStream `Nats-Msg-Id` is the job id, so a retried publish never makes a second job.

use async_nats::HeaderMap;
use bytes::Bytes;
use naas_shared::domain::{CommandList, Context, Host, JobId, Tag};
use naas_shared::job::{ConfigOptions, DeviceCredentials, JobDocument, JobKind, JobRecord, JumpHostSpec};
use naas_shared::seal::{SealError, Sealer};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub mod headers {
    pub const MSG_ID: &str = "Nats-Msg-Id";
    pub const KEY_ID: &str = "Naas-Key-Id";
    pub const REQUEST_ID: &str = "Naas-Request-Id";
    /// W3C trace context of the span that published the message (when traces are exported).
    pub const TRACEPARENT: &str = "traceparent";
}

#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("job message is not valid JSON for this version: {0}")]
    Json(#[from] serde_json::Error),
    #[error("job message has no {0} header")]
    MissingHeader(&'static str),
    #[error("job credentials cannot be opened: {0}")]
    Credentials(#[from] SealError),
}

/// How a send-command-structured job's outputs are parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Structured {
    /// The caller's own TextFSM template, applied to every command instead of the
    /// templates index (checked by the API at submission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// What a job does and where: every field of a job the caller chooses. A submission holds
/// one and [`JobMessage::new`] spreads it into the message, so a new job field is added
/// here, in [`JobMessage`] and in that one constructor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub context: Context,
    pub host: Host,
    pub port: u16,
    pub platform: String,
    /// Commands (send-command) or configuration lines (send-config).
    pub commands: CommandList,
    pub config: ConfigOptions,
    pub ssh_key: Option<String>,
    pub legacy_ssh: bool,
    pub jump_host: Option<JumpHostSpec>,
    pub expect_string: Option<String>,
    /// send-command-structured: parse the outputs with TextFSM.
    pub structured: Option<Structured>,
    pub read_timeout_secs: u64,
    pub conn_timeout_secs: u64,
    pub tags: Vec<Tag>,
    /// Where the terminal document is delivered.
    pub webhook_url: Option<String>,
}

/// A queued job as it travels through NATS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobMessage {
    pub job_id: JobId,
    pub kind: JobKind,
    pub context: Context,
    pub host: Host,
    pub port: u16,
    pub platform: String,
    /// The commands of a send-command job, or the configuration lines of a send-config job.
    pub commands: CommandList,
    /// Options of a send-config job.
    #[serde(default)]
    pub config: ConfigOptions,
    /// Name of a private key in the workers' key store to log in with (never key material).
    #[serde(default)]
    pub ssh_key: Option<String>,
    /// Offer legacy SSH algorithms (SHA-1 key exchange and MACs, CBC ciphers) for old gear.
    #[serde(default)]
    pub legacy_ssh: bool,
    /// Reach the device through this jump host (else the context's configured one, if any).
    #[serde(default)]
    pub jump_host: Option<JumpHostSpec>,
    /// send-command: each command ends when its output matches this regex, not the prompt.
    #[serde(default)]
    pub expect_string: Option<String>,
    /// send-command-structured: the outputs are parsed with TextFSM after the commands ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured: Option<Structured>,
    pub read_timeout_secs: u64,
    pub conn_timeout_secs: u64,
    pub tags: Vec<Tag>,
    pub request_id: String,
    /// Keyed hash of the submitter, so a worker can rebuild the job record if it expired.
    pub owner: String,
    /// Where the terminal document is delivered when the job ends (https, checked by the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub enqueued_at: OffsetDateTime,
    /// Sealed [`DeviceCredentials`], base64; opened only by the worker running the job.
    pub credentials: String,
}

impl JobMessage {
    /// The message of a new job, its credentials not yet sealed (see
    /// [`seal_credentials`](Self::seal_credentials)).
    pub fn new(
        job_id: JobId,
        kind: JobKind,
        spec: JobSpec,
        request_id: String,
        owner: String,
        enqueued_at: OffsetDateTime,
    ) -> Self {
        let JobSpec {
            context,
            host,
            port,
            platform,
            commands,
            config,
            ssh_key,
            legacy_ssh,
            jump_host,
            expect_string,
            structured,
            read_timeout_secs,
            conn_timeout_secs,
            tags,
            webhook_url,
        } = spec;
        Self {
            job_id,
            kind,
            context,
            host,
            port,
            platform,
            commands,
            config,
            ssh_key,
            legacy_ssh,
            jump_host,
            expect_string,
            structured,
            read_timeout_secs,
            conn_timeout_secs,
            tags,
            request_id,
            owner,
            webhook_url,
            enqueued_at,
            credentials: String::new(),
        }
    }

    /// The record of this job as it stands when queued.
    pub fn queued_record(&self) -> JobRecord {
        JobRecord {
            doc: JobDocument::queued(
                self.job_id,
                self.host.clone(),
                self.platform.clone(),
                self.kind,
                self.tags.clone(),
                self.enqueued_at,
            ),
            owner: self.owner.clone(),
            context: self.context.clone(),
            request_id: self.request_id.clone(),
            webhook_url: self.webhook_url.clone(),
        }
    }

    /// Seals `credentials` for this job; returns the key id for the header.
    pub fn seal_credentials(&mut self, sealer: &Sealer, credentials: &DeviceCredentials) -> String {
        let mut plain = serde_json::to_vec(credentials).expect("credentials serialise");
        let (kid, sealed) = sealer.seal(&plain, self.job_id.to_string().as_bytes());
        zeroize::Zeroize::zeroize(&mut plain);
        self.credentials = sealed;
        kid
    }

    /// Headers and payload ready to publish.
    pub fn encode(&self, key_id: &str) -> (HeaderMap, Bytes) {
        let mut headers = HeaderMap::new();
        headers.insert(headers::MSG_ID, self.job_id.to_string().as_str());
        headers.insert(headers::KEY_ID, key_id);
        headers.insert(headers::REQUEST_ID, self.request_id.as_str());
        (headers, Bytes::from(serde_json::to_vec(self).expect("job message serialises")))
    }

    pub fn decode(payload: &[u8]) -> Result<Self, MessageError> {
        Ok(serde_json::from_slice(payload)?)
    }

    /// Opens the credentials with the key named in the message headers.
    pub fn open_credentials(
        &self,
        sealer: &Sealer,
        headers: Option<&HeaderMap>,
    ) -> Result<DeviceCredentials, MessageError> {
        let kid = headers
            .and_then(|h| h.get(headers::KEY_ID))
            .map(|v| v.as_str().to_owned())
            .ok_or(MessageError::MissingHeader(headers::KEY_ID))?;
        let mut plain = sealer.open(&kid, &self.credentials, self.job_id.to_string().as_bytes())?;
        let credentials = serde_json::from_slice(&plain);
        zeroize::Zeroize::zeroize(&mut plain);
        Ok(credentials?)
    }
}

/// The payload published on a result subject: the job document as JSON, or, with result
/// sealing on, `{"job_id", "status", "sealed"}` where `sealed` is the document sealed with
/// the key ring (bound to the job id) for consumers holding the key.
pub fn result_payload(doc: &JobDocument, sealer: Option<&Sealer>) -> Vec<u8> {
    let plain = serde_json::to_vec(doc).expect("job documents serialise");
    match sealer {
        None => plain,
        Some(sealer) => {
            let sealed = sealer.seal_string(&plain, doc.job_id.to_string().as_bytes());
            let envelope = serde_json::json!({"job_id": doc.job_id, "status": doc.status, "sealed": sealed});
            serde_json::to_vec(&envelope).expect("result envelopes serialise")
        }
    }
}

/// Reads a result payload in either form.
pub fn open_result(payload: &[u8], sealer: &Sealer) -> Result<JobDocument, MessageError> {
    let value: serde_json::Value = serde_json::from_slice(payload)?;
    match (value.get("sealed").and_then(|s| s.as_str()), value.get("job_id").and_then(|s| s.as_str())) {
        (Some(sealed), Some(job_id)) => Ok(serde_json::from_slice(&sealer.open_string(sealed, job_id.as_bytes())?)?),
        _ => Ok(serde_json::from_value(value)?),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use naas_shared::secret::Secret;

    pub(crate) fn sample_message() -> JobMessage {
        JobMessage {
            job_id: JobId::new(),
            kind: JobKind::Command,
            context: Context::default(),
            host: Host::parse("r1").unwrap(),
            port: 22,
            platform: "cisco_ios".into(),
            commands: CommandList::parse(vec!["show version".into()]).unwrap(),
            config: ConfigOptions::default(),
            ssh_key: None,
            legacy_ssh: false,
            jump_host: None,
            expect_string: None,
            structured: None,
            read_timeout_secs: 30,
            conn_timeout_secs: 10,
            tags: vec![],
            request_id: "req-1".into(),
            owner: "o".into(),
            webhook_url: None,
            enqueued_at: OffsetDateTime::now_utc(),
            credentials: String::new(),
        }
    }

    #[test]
    fn every_field_of_the_spec_reaches_the_message() {
        let spec = JobSpec {
            context: Context::parse("lab").unwrap(),
            host: Host::parse("r9").unwrap(),
            port: 2222,
            platform: "juniper_junos".into(),
            commands: CommandList::parse(vec!["set system host-name r9".into()]).unwrap(),
            config: ConfigOptions {
                save_config: true,
                commit: true,
                commit_confirmed_minutes: Some(5),
                stop_on_error: false,
            },
            ssh_key: Some("lab-key".into()),
            legacy_ssh: true,
            jump_host: Some(JumpHostSpec {
                host: Host::parse("bastion").unwrap(),
                port: 2200,
                username: "jump".into(),
                ssh_key: None,
            }),
            expect_string: Some("#$".into()),
            structured: Some(Structured { template: Some("Value X (.*)".into()) }),
            read_timeout_secs: 45,
            conn_timeout_secs: 12,
            tags: vec![Tag::parse("site:lab").unwrap()],
            webhook_url: Some("https://hooks.example/x".into()),
        };
        let (job_id, at) = (JobId::new(), OffsetDateTime::now_utc());
        let m = JobMessage::new(job_id, JobKind::Config, spec.clone(), "req-9".into(), "owner-9".into(), at);
        let back = JobSpec {
            context: m.context,
            host: m.host,
            port: m.port,
            platform: m.platform,
            commands: m.commands,
            config: m.config,
            ssh_key: m.ssh_key,
            legacy_ssh: m.legacy_ssh,
            jump_host: m.jump_host,
            expect_string: m.expect_string,
            structured: m.structured,
            read_timeout_secs: m.read_timeout_secs,
            conn_timeout_secs: m.conn_timeout_secs,
            tags: m.tags,
            webhook_url: m.webhook_url,
        };
        assert_eq!(back, spec);
        assert_eq!((m.job_id, m.kind, m.enqueued_at), (job_id, JobKind::Config, at));
        assert_eq!((m.request_id.as_str(), m.owner.as_str(), m.credentials.as_str()), ("req-9", "owner-9", ""));
    }

    #[test]
    fn credentials_are_sealed_in_the_payload() {
        let sealer = Sealer::from_ring(&Sealer::generate_ring()).unwrap();
        let mut msg = sample_message();
        let creds = DeviceCredentials {
            username: "netops".into(),
            password: Secret::new("pw-XYZZY".into()),
            enable: None,
            jump_password: None,
        };
        let kid = msg.seal_credentials(&sealer, &creds);
        let (headers, payload) = msg.encode(&kid);
        assert!(!String::from_utf8_lossy(&payload).contains("pw-XYZZY"));
        let back = JobMessage::decode(&payload).unwrap();
        let opened = back.open_credentials(&sealer, Some(&headers)).unwrap();
        assert_eq!(opened.password.expose(), "pw-XYZZY");
        assert!(matches!(back.open_credentials(&sealer, None), Err(MessageError::MissingHeader(_))));
    }
}
