//! Names: subjects, streams and consumers, all derived from the prefix.

use naas_shared::domain::{Context, Host, JobId};
use naas_shared::job::{JobKind, JobStatus};

/// Every NATS name of one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    prefix: String,
}

impl Topology {
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn stream(&self, what: &str) -> String {
        format!("{}_{what}", self.prefix.to_ascii_uppercase().replace('-', "_"))
    }

    /// Work-queue stream holding queued jobs: `NAAS_JOBS` for prefix `naas`.
    pub fn jobs_stream(&self) -> String {
        self.stream("JOBS")
    }

    /// Stream keeping every terminal job document for the result TTL: `NAAS_RESULTS`.
    pub fn results_stream(&self) -> String {
        self.stream("RESULTS")
    }

    /// Stream keeping job lifecycle events for `events.retention_secs`: `NAAS_EVENTS`.
    pub fn events_stream(&self) -> String {
        self.stream("EVENTS")
    }

    /// The durable consumer on the events stream from which workers deliver webhooks.
    pub fn webhooks_consumer(&self) -> String {
        "webhooks".to_owned()
    }

    /// The durable pull consumer all workers share.
    pub fn workers_consumer(&self) -> String {
        "workers".to_owned()
    }

    /// The server's advisory when a job message used its last delivery.
    pub fn max_deliveries_advisory(&self) -> String {
        format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.{}", self.jobs_stream(), self.workers_consumer())
    }

    /// `<prefix>.jobs.<context>.<kind>`
    pub fn job_subject(&self, context: &Context, kind: JobKind) -> String {
        format!("{}.jobs.{}.{}", self.prefix, context.as_str(), kind.as_str())
    }

    pub fn jobs_wildcard(&self) -> String {
        format!("{}.jobs.>", self.prefix)
    }

    /// `<prefix>.results.<context>.<job_id>`
    pub fn result_subject(&self, context: &Context, job_id: JobId) -> String {
        format!("{}.results.{}.{job_id}", self.prefix, context.as_str())
    }

    pub fn results_wildcard(&self) -> String {
        format!("{}.results.>", self.prefix)
    }

    /// `<prefix>.events.<context>.<host>.<job_id>.<status>`: one job's change of status.
    /// The host is one token (see [`host_token`]), so `events.*.*.<job_id>.*` follows one
    /// job, `events.<context>.>` a context, `events.*.<host>.>` a device.
    pub fn event_subject(&self, context: &Context, host: &Host, job_id: JobId, status: JobStatus) -> String {
        format!("{}.events.{}.{}.{job_id}.{}", self.prefix, context.as_str(), host_token(host), status.as_str())
    }

    /// Every event of one job.
    pub fn job_events(&self, context: &Context, host: &Host, job_id: JobId) -> String {
        format!("{}.events.{}.{}.{job_id}.*", self.prefix, context.as_str(), host_token(host))
    }

    /// The terminal events (`finished`, `failed`, `canceled`) of every job.
    pub fn terminal_events(&self) -> Vec<String> {
        [JobStatus::Finished, JobStatus::Failed, JobStatus::Canceled]
            .iter()
            .map(|status| format!("{}.events.*.*.*.{}", self.prefix, status.as_str()))
            .collect()
    }

    pub fn events_wildcard(&self) -> String {
        format!("{}.events.>", self.prefix)
    }

    /// The events of every job in `context` and/or on `host` (either may be any).
    pub fn events_filter(&self, context: Option<&Context>, host: Option<&Host>) -> String {
        match (context, host) {
            (None, None) => self.events_wildcard(),
            _ => format!(
                "{}.events.{}.{}.>",
                self.prefix,
                context.map_or("*", Context::as_str),
                host.map_or_else(|| "*".to_owned(), host_token)
            ),
        }
    }

    /// The results of every job in `context` (or in every context).
    pub fn results_filter(&self, context: Option<&Context>) -> String {
        match context {
            None => self.results_wildcard(),
            Some(context) => format!("{}.results.{}.*", self.prefix, context.as_str()),
        }
    }

    /// `<prefix>.cancel.<job_id>`: a running job's cancellation, for the worker running it.
    pub fn cancel_subject(&self, job_id: JobId) -> String {
        format!("{}.cancel.{job_id}", self.prefix)
    }

    pub fn cancel_wildcard(&self) -> String {
        format!("{}.cancel.*", self.prefix)
    }

    /// `<prefix>.audit.<event_type>`, e.g. `naas.audit.job.orphaned`.
    pub fn audit_subject(&self, event_type: &str) -> String {
        format!("{}.audit.{event_type}", self.prefix)
    }
}

/// A device's host as one subject token: dots (names, IPv4) become `_`, which no host name
/// or address contains, so the mapping reverses (`_` → `.`); IPv6 colons stay as they are.
/// `10.0.0.1` → `10_0_0_1`, `core-sw1.example.net` → `core-sw1_example_net`, `2001:db8::1`
/// unchanged.
pub fn host_token(host: &Host) -> String {
    host.as_str().trim_end_matches('.').replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_narrow_by_context_and_host() {
        let t = Topology::new("naas");
        let (ctx, host) = (Context::parse("lab").unwrap(), Host::parse("10.0.0.1").unwrap());
        assert_eq!(t.events_filter(None, None), "naas.events.>");
        assert_eq!(t.events_filter(Some(&ctx), None), "naas.events.lab.*.>");
        assert_eq!(t.events_filter(None, Some(&host)), "naas.events.*.10_0_0_1.>");
        assert_eq!(t.results_filter(None), "naas.results.>");
        assert_eq!(t.results_filter(Some(&ctx)), "naas.results.lab.*");
        let id = JobId::new();
        let subject = t.event_subject(&ctx, &host, id, JobStatus::Finished);
        assert!(subject.starts_with("naas.events.lab.10_0_0_1."), "{subject}");
    }

    #[test]
    fn names_follow_the_contract() {
        let t = Topology::new("naas");
        let ctx = Context::default();
        assert_eq!(t.jobs_stream(), "NAAS_JOBS");
        assert_eq!(t.results_stream(), "NAAS_RESULTS");
        assert_eq!(t.job_subject(&ctx, JobKind::Command), "naas.jobs.default.command");
        assert_eq!(t.job_subject(&ctx, JobKind::Config), "naas.jobs.default.config");
        let id = JobId::new();
        assert_eq!(t.result_subject(&ctx, id), format!("naas.results.default.{id}"));
        assert_eq!(t.audit_subject("job.orphaned"), "naas.audit.job.orphaned");
        assert_eq!(Topology::new("t-9a").jobs_stream(), "T_9A_JOBS");
        assert_eq!(t.events_stream(), "NAAS_EVENTS");
        let host = Host::parse("core-sw1.example.net").unwrap();
        assert_eq!(
            t.event_subject(&ctx, &host, id, JobStatus::Started),
            format!("naas.events.default.core-sw1_example_net.{id}.started")
        );
        assert_eq!(t.job_events(&ctx, &host, id), format!("naas.events.default.core-sw1_example_net.{id}.*"));
    }

    #[test]
    fn host_tokens_are_single_tokens_and_reversible() {
        for (host, token) in [("10.0.0.1", "10_0_0_1"), ("R1.Lab.", "r1_lab"), ("2001:db8::1", "2001:db8::1")] {
            let host = Host::parse(host).unwrap();
            let encoded = host_token(&host);
            assert_eq!(encoded, token);
            assert!(!encoded.contains(['.', '*', '>', ' ']), "{encoded}");
            assert_eq!(encoded.replace('_', "."), host.as_str().trim_end_matches('.'));
        }
    }
}
