//! Idle SSH sessions kept per (device, credentials, platform) for later jobs.
//!
//! A fresh session costs a TCP and SSH handshake, a login, the prompt, enable and the
//! paging-off commands; a pooled one costs one Enter, or nothing for a read-only job when it
//! finished its last job moments ago and has been quiet since. A session goes back to the
//! pool only after a job that ended without any error, and is reused only if Enter brings
//! back its base prompt (same privilege, not in a configuration mode). Idle sessions are closed
//! after `idle` (shorter than typical device exec-timeouts) and the pool holds at most
//! `max` sessions per worker.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use naas_shared::job::DeviceCredentials;
use naas_shared::seal::Sealer;
use naas_shared::secret::Secret;
use tokio::time::Instant;

use super::{DeviceSession, RECENTLY_USED, Target, Vouched};

struct Idle {
    session: DeviceSession,
    since: Instant,
}

pub struct SessionPool {
    idle: Mutex<HashMap<String, Vec<Idle>>>,
    max: usize,
    idle_timeout: Duration,
}

fn exposed(secret: &Option<Secret<String>>) -> &[u8] {
    secret.as_ref().map(|v| v.expose().as_bytes()).unwrap_or_default()
}

impl SessionPool {
    pub fn new(max: usize, idle_timeout: Duration) -> Self {
        Self { idle: Mutex::new(HashMap::new()), max, idle_timeout }
    }

    /// The pool key: where, through which jump host, as whom, how. Credentials (and key
    /// names) enter only as a keyed hash: two jobs share a session only if every one of
    /// them is the same.
    pub fn key(sealer: &Sealer, target: &Target<'_>, credentials: &DeviceCredentials) -> String {
        let key_id = |k: &Option<std::sync::Arc<russh::keys::PrivateKey>>| {
            k.as_ref().map(|k| k.public_key().fingerprint(russh::keys::HashAlg::Sha256).to_string()).unwrap_or_default()
        };
        let jump = target.jump.as_ref().map(|j| format!("{}:{}:{}:{}", j.host, j.port, j.username, key_id(&j.key)));
        let secrets = sealer.keyed_hash(&[
            credentials.username.as_bytes(),
            credentials.password.expose().as_bytes(),
            exposed(&credentials.enable),
            exposed(&credentials.jump_password),
            key_id(&target.ssh_key).as_bytes(),
            jump.unwrap_or_default().as_bytes(),
            &[u8::from(target.legacy_ssh)],
        ]);
        format!("{}|{}|{}|{secrets}", target.host, target.port, target.platform.name())
    }

    /// A pooled session ready for a job, if there is one, and how it was vouched for.
    /// `trust_recent`: a session used moments ago may skip the Enter round trip (see
    /// `DeviceSession::ready_for_reuse`).
    pub async fn checkout(
        &self,
        key: &str,
        ready_timeout: Duration,
        trust_recent: bool,
    ) -> Option<(DeviceSession, Vouched)> {
        loop {
            let candidate = {
                let mut idle = self.idle.lock().expect("not poisoned");
                let sessions = idle.get_mut(key)?;
                let candidate = sessions.pop();
                if sessions.is_empty() {
                    idle.remove(key);
                }
                candidate?
            };
            let mut session = candidate.session;
            let idle = candidate.since.elapsed();
            if idle < self.idle_timeout
                && let Some(vouched) =
                    session.ready_for_reuse(ready_timeout, trust_recent && idle < RECENTLY_USED).await
            {
                return Some((session, vouched));
            }
            session.close().await;
        }
    }

    /// Keeps a session that just finished a job without error.
    pub async fn checkin(&self, key: String, session: DeviceSession) {
        let refused = {
            let mut idle = self.idle.lock().expect("not poisoned");
            let held: usize = idle.values().map(Vec::len).sum();
            if held >= self.max {
                Some(session)
            } else {
                idle.entry(key).or_default().push(Idle { session, since: Instant::now() });
                None
            }
        };
        if let Some(session) = refused {
            session.close().await;
        }
    }

    /// Closes sessions idle for longer than the idle timeout.
    pub async fn sweep(&self) {
        let expired: Vec<DeviceSession> = {
            let mut idle = self.idle.lock().expect("not poisoned");
            let mut expired = Vec::new();
            for sessions in idle.values_mut() {
                let (keep, old): (Vec<Idle>, Vec<Idle>) =
                    sessions.drain(..).partition(|i| i.since.elapsed() < self.idle_timeout);
                *sessions = keep;
                expired.extend(old.into_iter().map(|i| i.session));
            }
            idle.retain(|_, sessions| !sessions.is_empty());
            expired
        };
        for session in expired {
            session.close().await;
        }
    }

    pub async fn close_all(&self) {
        let all: Vec<DeviceSession> = {
            let mut idle = self.idle.lock().expect("not poisoned");
            idle.drain().flat_map(|(_, sessions)| sessions.into_iter().map(|i| i.session)).collect()
        };
        for session in all {
            session.close().await;
        }
    }

    pub fn idle_count(&self) -> usize {
        self.idle.lock().expect("not poisoned").values().map(Vec::len).sum()
    }
}
