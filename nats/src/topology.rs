//! Names: subjects, streams and consumers, all derived from the prefix.

use naas_shared::domain::{Context, JobId};
use naas_shared::job::JobKind;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
