//! Every Lua script naas runs on Redis, one `.lua` file each in `scripts/` (the file's
//! header says what it takes and returns), each [`Script`] built once per process. The
//! keys they touch come from [`crate::keys`]; a script's keys must share a hash tag.

use std::sync::LazyLock;

use redis::Script;

/// The one way a job's status moves (compare-and-set on the record, with its lease and
/// queue-deadline entries). Used by [`crate::store::JobStore`].
pub static JOB_TRANSITION: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[0].1));
/// Extends a lease its holder still holds.
pub static LEASE_RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[1].1));
/// Records an authentication failure and sets the lock at the threshold.
pub static LOCKOUT_FAIL: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[2].1));
/// Checks a caller's two sliding windows and records the request if both have room.
pub static RATE_LIMIT_CHECK: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[3].1));
/// Admits a job to a device (its lockout, its circuit, a shared or exclusive slot), or
/// renews the slot it holds.
pub static DEVICE_ADMIT: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[4].1));
/// Releases a job's slot on a device and records how the job fared (circuit, logins).
pub static DEVICE_RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[5].1));
/// Drops the holders of a device's slot set whose lease expired.
pub static DEVICE_SLOTS_PRUNE: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[6].1));
/// Takes or renews the reaper's leader lease.
pub static REAPER_LEAD: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[7].1));
/// Finds a job bucket's expired leases (with their holders) and overdue queued jobs.
pub static JOBS_EXPIRED: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCES[8].1));

/// Every script's file name and source, in the order of the statics above.
pub const SOURCES: [(&str, &str); 9] = [
    ("job_transition.lua", include_str!("scripts/job_transition.lua")),
    ("lease_renew.lua", include_str!("scripts/lease_renew.lua")),
    ("lockout_fail.lua", include_str!("scripts/lockout_fail.lua")),
    ("rate_limit_check.lua", include_str!("scripts/rate_limit_check.lua")),
    ("device_admit.lua", include_str!("scripts/device_admit.lua")),
    ("device_release.lua", include_str!("scripts/device_release.lua")),
    ("device_slots_prune.lua", include_str!("scripts/device_slots_prune.lua")),
    ("reaper_lead.lua", include_str!("scripts/reaper_lead.lua")),
    ("jobs_expired.lua", include_str!("scripts/jobs_expired.lua")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_file_has_code() {
        for (name, source) in SOURCES {
            let code: Vec<&str> =
                source.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--")).collect();
            assert!(!code.is_empty(), "{name} has no code");
            assert!(source.contains("KEYS"), "{name} names the keys it touches");
        }
        let mut names: Vec<&str> = SOURCES.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SOURCES.len(), "one entry per file");
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/scripts")).unwrap().count();
        assert_eq!(files, SOURCES.len(), "every file in scripts/ is loaded");
    }

    #[test]
    fn every_static_is_built_from_its_file() {
        let statics = [
            &JOB_TRANSITION,
            &LEASE_RENEW,
            &LOCKOUT_FAIL,
            &RATE_LIMIT_CHECK,
            &DEVICE_ADMIT,
            &DEVICE_RELEASE,
            &DEVICE_SLOTS_PRUNE,
            &REAPER_LEAD,
            &JOBS_EXPIRED,
        ];
        for (script, (name, source)) in statics.into_iter().zip(SOURCES) {
            assert_eq!(script.get_hash(), Script::new(source).get_hash(), "{name}");
        }
    }
}
