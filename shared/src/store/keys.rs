//! Every Redis key naas uses, spelled once: one function per key family, taking the
//! configured prefix (`naas` by default) and the ids the key names. The API, the worker,
//! the reaper and the tests build keys only through these functions.
//!
//! A Redis Cluster runs a script, a `MULTI` or a pipeline only over keys of one hash slot;
//! the part of a key in `{}` (its hash tag) decides the slot. So keys used together share a
//! tag:
//! - `{<bucket tag>}`: one of the [`Bucket::COUNT`] job buckets. A job's record and its
//!   bucket's indexes (leases, lease holders, queue deadlines, listing indexes) share it,
//!   so one script moves a record and its index entries together; the job state as a whole
//!   spreads over the buckets, and the buckets over the cluster. The prefix stays outside
//!   the tag (`<prefix>:{<bucket tag>}:…`), so the buckets land on the same slots
//!   whatever the prefix;
//! - `{<prefix>}`: the API keys with their index;
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

/// One of the fixed buckets the job state is spread over: a job's bucket comes from its id
/// (no index is needed to find a record), and each bucket has its own hash tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bucket(u8);

/// The hash tag of each bucket. Bucket `b`'s tag hashes (CRC16 mod 16384, the cluster's
/// key slot) to the middle slot of the `b`-th of 16 equal slot ranges, so the buckets are
/// as evenly spread as they can be over primaries holding equal contiguous slot ranges
/// (the usual split): with three, 5, 6 and 5 buckets. Changing a tag moves stored jobs out
/// of reach.
const BUCKET_TAGS: [&str; Bucket::COUNT] = [
    "j00gg8", "j01li2", "j02yr4", "j03kw6", "j04crj", "j05h8h", "j06dln", "j07obd", "j08hyr", "j09cwx", "j10jg8",
    "j11ai2", "j12tc6", "j13ff4", "j14nrj", "j15e8h",
];

impl Bucket {
    /// How many buckets there are.
    pub const COUNT: usize = 16;

    /// The bucket of job `id`: the low four bits of its last byte, which is random.
    pub fn of(id: JobId) -> Self {
        Self(id.as_bytes()[15] & 0x0f)
    }

    /// Every bucket, in order.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..Self::COUNT as u8).map(Self)
    }

    /// The bucket's number, `0..COUNT`.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The bucket's hash tag, without the braces.
    pub fn tag(self) -> &'static str {
        BUCKET_TAGS[self.index()]
    }
}

/// A job's record: a string `<status>:<attempts>|<sealed record>` (the job record sealed
/// with the key ring and bound to the job id; status and attempts stay readable for the
/// compare-and-set script). TTL: the result TTL. Tag: its bucket's, shared with the
/// indexes a transition updates with it.
pub fn job(prefix: &str, id: JobId) -> String {
    format!("{prefix}:{{{}}}:job:{id}", Bucket::of(id).tag())
}

/// A bucket's started jobs: a sorted set, job id scored by lease expiry (Unix ms). No TTL
/// (entries leave with the job). Tag: the bucket's.
pub fn leases(prefix: &str, bucket: Bucket) -> String {
    format!("{prefix}:{{{}}}:leases", bucket.tag())
}

/// Who holds each lease of a bucket: a hash, job id → `<attempt>|<worker>`. No TTL
/// (entries leave with the job). Tag: the bucket's.
pub fn lease_holders(prefix: &str, bucket: Bucket) -> String {
    format!("{prefix}:{{{}}}:lease-holders", bucket.tag())
}

/// A bucket's queued jobs: a sorted set, job id scored by the time it expires unstarted
/// (Unix ms). No TTL (entries leave when the job starts). Tag: the bucket's.
pub fn queue_deadlines(prefix: &str, bucket: Bucket) -> String {
    format!("{prefix}:{{{}}}:queue-deadlines", bucket.tag())
}

/// One caller's jobs of a bucket, for `GET /v2/jobs` (which merges the buckets): a sorted
/// set, job id scored by submission time (Unix ms). TTL: the result TTL, trimmed on every
/// submission. Tag: the bucket's.
pub fn jobs_of(prefix: &str, bucket: Bucket, owner: &str) -> String {
    format!("{prefix}:{{{}}}:jobs-of:{owner}", bucket.tag())
}

/// Everyone's jobs of a bucket, for `GET /v2/jobs` by an admin: a sorted set like
/// [`jobs_of`]. TTL: the result TTL, trimmed on every submission. Tag: the bucket's.
pub fn jobs(prefix: &str, bucket: Bucket) -> String {
    format!("{prefix}:{{{}}}:jobs", bucket.tag())
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

/// Every key of this prefix outside the `{<prefix>}` tag: the job buckets' and every
/// untagged key (a glob).
pub fn untagged_pattern(prefix: &str) -> String {
    format!("{prefix}:*")
}

/// Every key under the `{<prefix>}` tag: the API keys (a glob). Every other key of the
/// prefix, the job buckets included, starts `<prefix>:` ([`untagged_pattern`]).
pub fn tagged_pattern(prefix: &str) -> String {
    format!("{{{prefix}}}:*")
}

/// Every key of this prefix's job buckets (a glob).
pub fn job_state_pattern(prefix: &str) -> String {
    format!("{prefix}:{{j*}}:*")
}

/// Every job record of this prefix, in every bucket (a glob).
pub fn jobs_pattern(prefix: &str) -> String {
    format!("{prefix}:{{j*}}:job:*")
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
        // The last byte 0x5b: bucket 11.
        let id = JobId::parse("0190b1c2-3d4e-7f60-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(job("naas", id), "naas:{j11ai2}:job:0190b1c2-3d4e-7f60-8a9b-0c1d2e3f4a5b");
        let b3 = Bucket::all().nth(3).unwrap();
        assert_eq!(leases("naas", b3), "naas:{j03kw6}:leases");
        assert_eq!(lease_holders("naas", b3), "naas:{j03kw6}:lease-holders");
        assert_eq!(queue_deadlines("naas", b3), "naas:{j03kw6}:queue-deadlines");
        assert_eq!(jobs_of("naas", b3, "netops"), "naas:{j03kw6}:jobs-of:netops");
        assert_eq!(jobs("naas", b3), "naas:{j03kw6}:jobs");
        let tags: Vec<&str> = Bucket::all().map(Bucket::tag).collect();
        assert_eq!(
            tags,
            [
                "j00gg8", "j01li2", "j02yr4", "j03kw6", "j04crj", "j05h8h", "j06dln", "j07obd", "j08hyr", "j09cwx",
                "j10jg8", "j11ai2", "j12tc6", "j13ff4", "j14nrj", "j15e8h"
            ]
        );
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
        assert_eq!(job_state_pattern("naas"), "naas:{j*}:*");
        assert_eq!(jobs_pattern("naas"), "naas:{j*}:job:*");
        assert!(matches(&circuits_pattern("naas"), &circuit("naas", "r1", 22)));
        assert!(!matches(&circuits_pattern("naas"), &host_key("naas", "r1", 22)));
        assert!(matches(&device_slots_pattern("naas"), &device_slots("naas", "r1", 22)));
        assert!(!matches(&device_slots_pattern("naas"), "naas:device:{dev:r1:22}:slotsx"));
        assert!(!matches(&circuits_pattern("naas"), &device_lockout("naas", "r1", 22)));
        assert!(!matches(&device_slots_pattern("naas"), &device_login_failures("naas", "r1", 22)));
        assert!(matches(&host_keys_pattern("naas"), &host_key("naas", "r1", 22)));
        assert!(matches(&rate_limits_pattern("naas"), &rate_limit_caller_device("naas", "o", "r1")));
        let bucket = Bucket::of(id);
        assert!(matches(&jobs_pattern("naas"), &job("naas", id)));
        assert!(!matches(&jobs_pattern("naas"), &jobs("naas", bucket)));
        assert!(!matches(&jobs_pattern("naas"), &jobs_of("naas", bucket, "o")));
        assert!(!matches(&jobs_pattern("naasx"), &job("naas", id)));
        for key in [job("naas", id), leases("naas", bucket), jobs_of("naas", bucket, "o"), jobs("naas", bucket)] {
            assert!(matches(&job_state_pattern("naas"), &key), "{key}");
            assert!(matches(&untagged_pattern("naas"), &key), "{key}");
            assert!(!matches(&tagged_pattern("naas"), &key), "{key}");
        }
        assert!(matches(&tagged_pattern("naas"), &api_keys("naas")));
        assert!(!matches(&untagged_pattern("naas"), &api_key("naas", "k1")));
        assert!(!matches(&job_state_pattern("naas"), &rate_limit_caller("naas", "o")));
        assert!(matches("naas", "naas") && !matches("naas", "naasx"));
    }

    /// CRC16/XMODEM of the hash tag, mod 16384: the cluster's key slot, computed here
    /// independently of the redis crate.
    fn slot(key: &str) -> u16 {
        let tag = key.split_once('{').and_then(|(_, rest)| rest.split_once('}')).map_or(key, |(tag, _)| tag);
        let mut crc: u16 = 0;
        for byte in tag.bytes() {
            crc ^= u16::from(byte) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            }
        }
        crc % 16384
    }

    #[test]
    fn each_bucket_sits_mid_range_of_its_sixteenth_of_the_slots_whatever_the_prefix() {
        assert_eq!(slot("123456789"), 0x31c3, "the CRC16 check value (below 16384)");
        for bucket in Bucket::all() {
            let middle = bucket.index() as u16 * 1024 + 512;
            for prefix in ["naas", "t0123456789ab", "other"] {
                for key in [leases(prefix, bucket), jobs(prefix, bucket), jobs_of(prefix, bucket, "{x}")] {
                    assert_eq!(slot(&key), middle, "{key}");
                    let routed = redis::cluster_routing::Slot::for_key(&key);
                    assert_eq!(Some(routed), redis::cluster_routing::Slot::new(middle), "{key}");
                }
            }
        }
        // With three primaries splitting the slots evenly: 5, 6 and 5 buckets.
        let per_primary = [0..5461, 5461..10923, 10923..16384]
            .map(|range| Bucket::all().filter(|b| range.contains(&slot(Bucket::tag(*b)))).count());
        assert_eq!(per_primary, [5, 6, 5]);
    }

    #[test]
    fn a_jobs_bucket_is_stable_shares_its_records_slot_and_all_buckets_are_used() {
        let id = JobId::parse("0190b1c2-3d4e-7f60-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(Bucket::of(id).index(), 11);
        assert_eq!(Bucket::of(JobId::parse(&id.to_string()).unwrap()), Bucket::of(id));
        let mut counts = [0usize; Bucket::COUNT];
        for _ in 0..16_000 {
            let id = JobId::new();
            let bucket = Bucket::of(id);
            assert_eq!(Bucket::of(id), bucket, "stable");
            assert_eq!(slot(&job("naas", id)), slot(&leases("naas", bucket)), "record and indexes share a slot");
            counts[bucket.index()] += 1;
        }
        // 1,000 expected each; a bucket below 800 or above 1,200 is ~6.7 sigma off.
        assert!(counts.iter().all(|n| (800..=1200).contains(n)), "{counts:?}");
    }
}
