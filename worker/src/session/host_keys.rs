//! Host key policy: how a worker decides that the device it reached is the device it meant.
//!
//! - `accept-any`: every key (development only; production refuses it).
//! - `tofu`: the first key seen for `host:port` is remembered in Redis, shared by the whole
//!   fleet; a different key later is `HOST_KEY_MISMATCH`.
//! - `strict`: the key must be in an OpenSSH `known_hosts` file; unknown or different keys
//!   are `HOST_KEY_MISMATCH`.

use std::path::PathBuf;

use naas_shared::config::{HostKeyPolicy, Settings};
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::store::{DeviceStore, RedisConn};
use russh::keys::{HashAlg, PublicKey};

pub enum HostKeys {
    AcceptAny,
    Tofu { devices: DeviceStore },
    Strict { known_hosts: PathBuf },
}

impl HostKeys {
    pub fn from_settings(settings: &Settings, redis: RedisConn) -> Self {
        match settings.worker.host_key_policy {
            HostKeyPolicy::AcceptAny => Self::AcceptAny,
            HostKeyPolicy::Tofu => Self::Tofu { devices: DeviceStore::new(redis, &settings.prefix) },
            HostKeyPolicy::Strict => Self::Strict { known_hosts: PathBuf::from(&settings.worker.known_hosts_file) },
        }
    }

    /// Accepts the key, or says why not.
    pub async fn verify(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), JobFailure> {
        let presented = key.fingerprint(HashAlg::Sha256).to_string();
        match self {
            Self::AcceptAny => Ok(()),
            Self::Tofu { devices } => {
                let known = devices
                    .remember_host_key(host, port, &presented)
                    .await
                    .map_err(|e| JobFailure::new(ErrorCode::Internal, format!("host key store unavailable: {e}")))?;
                match known {
                    Some(known) if known != presented => Err(mismatch(&known, &presented)),
                    _ => Ok(()),
                }
            }
            Self::Strict { known_hosts } => match russh::keys::check_known_hosts_path(host, port, key, known_hosts) {
                Ok(true) => Ok(()),
                Ok(false) => Err(JobFailure::new(
                    ErrorCode::HostKeyMismatch,
                    format!("the device's host key ({presented}) is not in the known hosts file"),
                )),
                Err(russh::keys::Error::KeyChanged { .. }) => {
                    Err(mismatch("the key in the known hosts file", &presented))
                }
                Err(e) => Err(JobFailure::new(ErrorCode::Internal, format!("known hosts file unreadable: {e}"))),
            },
        }
    }
}

fn mismatch(expected: &str, presented: &str) -> JobFailure {
    JobFailure::new(
        ErrorCode::HostKeyMismatch,
        format!("the device presented host key {presented}, expected {expected}: refusing to log in"),
    )
}
