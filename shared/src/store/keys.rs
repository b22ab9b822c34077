//! Every Redis key naas uses, spelled once: one function per key family, taking the
//! configured prefix (`naas` by default) and the ids the key names. The API, the worker,
//! the reaper and the tests build keys only through these functions.
//!
//! A Redis Cluster runs a script, a `MULTI` or a pipeline only over keys of one hash slot;
//! the part of a key in `{}` (its hash tag) decides the slot. So keys used together share a
//! tag:
//! - `{<prefix>}`: the job state (record, leases, lease holders, queue deadlines, listing
//!   indexes) and the API keys with their index;
//! - `{<owner>}`: a caller's two rate-limit windows;
//! - `{dev:<host>:<port>}`: everything about one device that a job's admission and
//!   release touch (its session slots, its circuit, its login failure log and lockout), so
//!   one script admits a job and one releases it;
//! - `{user:<user>}`: an API user's login failure log and lockout.
//!
//! Every other key is used alone and spreads over the cluster by its full name.
//!
//! The `*_pattern` functions give the `SCAN`/`KEYS` globs for families that are walked.

use crate::domain::JobId;

/// A job's record: a string `<status>:<attempts>|<sealed record>` (the job record sealed
/// with the key ring and bound to the job id; status and attempts stay readable for the
/// compare-and-set script). TTL: the result TTL. Tag `{<prefix>}`, shared with the indexes
/// a transition updates with it.
pub fn job(prefix: &str, id: JobId) -> String {
    format!("{{{prefix}}}:job:{id}")
}

/// Started jobs: a sorted set, job id scored by lease expiry (Unix ms). No TTL (entries
/// leave with the job). Tag `{<prefix>}`.
pub fn leases(prefix: &str) -> String {
    format!("{{{prefix}}}:leases")
}

/// Who holds each lease: a hash, job id → `<attempt>|<worker>`. No TTL (entries leave with
/// the job). Tag `{<prefix>}`.
pub fn lease_holders(prefix: &str) -> String {
    format!("{{{prefix}}}:lease-holders")
}

/// Queued jobs: a sorted set, job id scored by the time it expires unstarted (Unix ms).
/// No TTL (entries leave when the job starts). Tag `{<prefix>}`.
pub fn queue_deadlines(prefix: &str) -> String {
    format!("{{{prefix}}}:queue-deadlines")
}

/// One caller's jobs, for `GET /v2/jobs`: a sorted set, job id scored by submission time
/// (Unix ms). TTL: the result TTL, trimmed on every submission. Tag `{<prefix>}`.
pub fn jobs_of(prefix: &str, owner: &str) -> String {
    format!("{{{prefix}}}:jobs-of:{owner}")
}

/// Everyone's jobs, for `GET /v2/jobs` by an admin: a sorted set like [`jobs_of`]. TTL:
/// the result TTL, trimmed on every submission. Tag `{<prefix>}`.
pub fn jobs(prefix: &str) -> String {
    format!("{{{prefix}}}:jobs")
}

/// An API key's record: a JSON string (role, contexts, current `jti`; never the token).
/// TTL: the key's expiry. Tag `{<prefix>}`, shared with [`api_keys`] (one transaction
/// writes both).
pub fn api_key(prefix: &str, key_id: &str) -> String {
    format!("{{{prefix}}}:apikey:{key_id}")
}

/// The index of API keys: a set of key ids. No TTL (expired ids are dropped as found).
/// Tag `{<prefix>}`.
pub fn api_keys(prefix: &str) -> String {
    format!("{{{prefix}}}:apikeys")
}

/// A caller's sliding window of submissions: a sorted set, one unique member per accepted
/// request scored by its time (Unix ms). TTL: the window. Tag `{<owner>}`, shared with
/// [`rate_limit_caller_device`] (one script checks both).
pub fn rate_limit_caller(prefix: &str, owner: &str) -> String {
    format!("{prefix}:ratelimit:{{{owner}}}")
}

/// A caller's sliding window of submissions to one device: a sorted set like
/// [`rate_limit_caller`]. TTL: the window. Tag `{<owner>}`.
pub fn rate_limit_caller_device(prefix: &str, owner: &str, host: &str) -> String {
    format!("{prefix}:ratelimit:{{{owner}}}:{host}")
}

/// Every rate-limit window of this prefix (a glob).
pub fn rate_limits_pattern(prefix: &str) -> String {
    format!("{prefix}:ratelimit:*")
}

/// An API user's recent authentication failures: a sorted set, one member per failure
/// scored by its time (Unix ms). TTL: the failure window. Tag `{user:<user>}`, shared with
/// [`user_lockout`] (one script writes both).
pub fn user_login_failures(prefix: &str, user: &str) -> String {
    format!("{prefix}:failures:{{user:{user}}}")
}

/// An API user's active lockout: a string holding the failure count that set it. TTL: the
/// lock time. Tag `{user:<user>}`.
pub fn user_lockout(prefix: &str, user: &str) -> String {
    format!("{prefix}:lockout:{{user:{user}}}")
}

/// The hash tag of everything about one device.
fn device_tag(host: &str, port: u16) -> String {
    format!("{{dev:{host}:{port}}}")
}

/// The logins a device refused recently: a sorted set like [`user_login_failures`]. TTL: the
/// failure window. Tag `{dev:<host>:<port>}`.
pub fn device_login_failures(prefix: &str, host: &str, port: u16) -> String {
    format!("{prefix}:failures:{}", device_tag(host, port))
}

/// A device's active lockout (too many refused logins): a string like [`user_lockout`].
/// TTL: the lock time. Tag `{dev:<host>:<port>}`.
pub fn device_lockout(prefix: &str, host: &str, port: u16) -> String {
    format!("{prefix}:lockout:{}", device_tag(host, port))
}

/// The job an `X-Idempotency-Key` names: a string holding the job id; `hash` is the keyed
/// hash of the caller and their key. TTL: 24 h. No tag.
pub fn idempotency(prefix: &str, hash: &str) -> String {
    format!("{prefix}:idempotency:{hash}")
}

/// The first host key a device presented (`tofu` policy): a string holding its SHA-256
/// fingerprint. No TTL. No tag.
pub fn host_key(prefix: &str, host: &str, port: u16) -> String {
    format!("{prefix}:hostkey:{host}:{port}")
}

/// Every remembered host key of this prefix (a glob).
pub fn host_keys_pattern(prefix: &str) -> String {
    format!("{prefix}:hostkey:*")
}

/// The sessions running on a device: a sorted set of holders (`s:<job_id>` shared,
/// `x:<job_id>` exclusive) scored by lease expiry (Unix ms, Redis's clock). TTL: the lease
/// + 60 s. Tag `{dev:<host>:<port>}`.
pub fn device_slots(prefix: &str, host: &str, port: u16) -> String {
    format!("{prefix}:device:{}:slots", device_tag(host, port))
}

/// Every device's slot set of this prefix (a glob), for the reaper's pruning.
pub fn device_slots_pattern(prefix: &str) -> String {
    format!("{prefix}:device:*:slots")
}

/// A device's circuit breaker: a hash with `state` (closed, open, half-open), `failures`
/// and `until` (Unix ms). TTL: the cool-down + 1 day. Tag `{dev:<host>:<port>}`.
pub fn circuit(prefix: &str, host: &str, port: u16) -> String {
    format!("{prefix}:circuit:{}", device_tag(host, port))
}

/// Every circuit of this prefix (a glob), for the reaper's gauges.
pub fn circuits_pattern(prefix: &str) -> String {
    format!("{prefix}:circuit:*")
}

/// The reaper's leader lease: a string holding the id of the reaper that sweeps this
/// interval. TTL: 3 sweep intervals. No tag.
pub fn reaper_leader(prefix: &str) -> String {
    format!("{prefix}:reaper:leader")
}

/// Every untagged key of this prefix (a glob).
pub fn untagged_pattern(prefix: &str) -> String {
    format!("{prefix}:*")
}

/// Every key under the `{<prefix>}` tag (a glob).
pub fn tagged_pattern(prefix: &str) -> String {
    format!("{{{prefix}}}:*")
}

/// Every job record of this prefix (a glob).
pub fn jobs_pattern(prefix: &str) -> String {
    format!("{{{prefix}}}:job:*")
}

/// Whether `key` matches `pattern`, one of the globs above (`*` is the only wildcard they
/// use; every other character stands for itself).
pub fn matches(pattern: &str, key: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = key.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key map as it is on the wire; changing a line here changes stored state.
    #[test]
    fn keys_are_spelled_as_stored() {
        let id = JobId::parse("0190b1c2-3d4e-7f60-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(job("naas", id), "{naas}:job:0190b1c2-3d4e-7f60-8a9b-0c1d2e3f4a5b");
        assert_eq!(leases("naas"), "{naas}:leases");
        assert_eq!(lease_holders("naas"), "{naas}:lease-holders");
        assert_eq!(queue_deadlines("naas"), "{naas}:queue-deadlines");
        assert_eq!(jobs_of("naas", "netops"), "{naas}:jobs-of:netops");
        assert_eq!(jobs("naas"), "{naas}:jobs");
        assert_eq!(api_key("naas", "k1"), "{naas}:apikey:k1");
        assert_eq!(api_keys("naas"), "{naas}:apikeys");
        assert_eq!(rate_limit_caller("naas", "netops"), "naas:ratelimit:{netops}");
        assert_eq!(rate_limit_caller_device("naas", "netops", "r1"), "naas:ratelimit:{netops}:r1");
        assert_eq!(user_login_failures("naas", "basic:admin"), "naas:failures:{user:basic:admin}");
        assert_eq!(user_lockout("naas", "basic:admin"), "naas:lockout:{user:basic:admin}");
        assert_eq!(device_login_failures("naas", "10.0.0.1", 22), "naas:failures:{dev:10.0.0.1:22}");
        assert_eq!(device_lockout("naas", "10.0.0.1", 22), "naas:lockout:{dev:10.0.0.1:22}");
        assert_eq!(idempotency("naas", "abc"), "naas:idempotency:abc");
        assert_eq!(host_key("naas", "10.0.0.1", 22), "naas:hostkey:10.0.0.1:22");
        assert_eq!(device_slots("naas", "10.0.0.1", 22), "naas:device:{dev:10.0.0.1:22}:slots");
        assert_eq!(circuit("naas", "10.0.0.1", 22), "naas:circuit:{dev:10.0.0.1:22}");
        assert_eq!(reaper_leader("naas"), "naas:reaper:leader");
    }

    #[test]
    fn patterns_match_their_family_only() {
        let id = JobId::parse("0190b1c2-3d4e-7f60-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(circuits_pattern("naas"), "naas:circuit:*");
        assert_eq!(device_slots_pattern("naas"), "naas:device:*:slots");
        assert_eq!(host_keys_pattern("naas"), "naas:hostkey:*");
        assert_eq!(rate_limits_pattern("naas"), "naas:ratelimit:*");
        assert_eq!(untagged_pattern("naas"), "naas:*");
        assert_eq!(tagged_pattern("naas"), "{naas}:*");
        assert_eq!(jobs_pattern("naas"), "{naas}:job:*");
        assert!(matches(&circuits_pattern("naas"), &circuit("naas", "r1", 22)));
        assert!(!matches(&circuits_pattern("naas"), &host_key("naas", "r1", 22)));
        assert!(matches(&device_slots_pattern("naas"), &device_slots("naas", "r1", 22)));
        assert!(!matches(&device_slots_pattern("naas"), "naas:device:{dev:r1:22}:slotsx"));
        assert!(!matches(&circuits_pattern("naas"), &device_lockout("naas", "r1", 22)));
        assert!(!matches(&device_slots_pattern("naas"), &device_login_failures("naas", "r1", 22)));
        assert!(matches(&host_keys_pattern("naas"), &host_key("naas", "r1", 22)));
        assert!(matches(&rate_limits_pattern("naas"), &rate_limit_caller_device("naas", "o", "r1")));
        assert!(matches(&jobs_pattern("naas"), &job("naas", id)));
        assert!(!matches(&jobs_pattern("naas"), &jobs("naas")));
        assert!(matches(&tagged_pattern("naas"), &jobs("naas")));
        assert!(!matches(&untagged_pattern("naas"), &jobs("naas")));
        assert!(matches("naas", "naas") && !matches("naas", "naasx"));
    }
}
