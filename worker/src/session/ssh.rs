//! The SSH transport: TCP connect, key exchange, authentication, PTY shell.

use std::sync::{Arc, Mutex};

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::DeviceCredentials;
use russh::Preferred;
use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse, Msg};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use tokio::net::TcpStream;

use super::Target;
use super::host_keys::HostKeys;

/// The SSH client side of one session: checks the device's host key against the policy
/// and keeps the reason when it refuses one.
pub struct Client {
    host_keys: Arc<HostKeys>,
    host: String,
    port: u16,
    refused: Arc<Mutex<Option<JobFailure>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, presented: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let verdict = match presented {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.host_keys.verify(&self.host, self.port, key).await,
            PublicKeyOrCertificate::Certificate(_) => {
                Err(JobFailure::new(ErrorCode::HostKeyMismatch, "host certificates are not accepted"))
            }
        };
        match verdict {
            Ok(()) => Ok(true),
            Err(failure) => {
                *self.refused.lock().expect("not poisoned") = Some(failure);
                Ok(false)
            }
        }
    }
}

/// Modern algorithms only, unless the job or platform asks for the legacy profile: then
/// SHA-1 key exchanges, CBC ciphers and SHA-1 MACs are offered after the modern ones (the
/// extension and strict-kex markers stay, so authentication and Terrapin protection work).
fn config(legacy: bool) -> Arc<client::Config> {
    let mut preferred = Preferred::default();
    if legacy {
        let mut kex = preferred.kex.to_vec();
        kex.extend([russh::kex::DH_G14_SHA1, russh::kex::DH_GEX_SHA1, russh::kex::DH_G1_SHA1]);
        let mut cipher = preferred.cipher.to_vec();
        cipher.extend([russh::cipher::AES_128_CBC, russh::cipher::AES_192_CBC, russh::cipher::AES_256_CBC]);
        let mut mac = preferred.mac.to_vec();
        mac.extend([russh::mac::HMAC_SHA1, russh::mac::HMAC_SHA1_ETM]);
        preferred = Preferred { kex: kex.into(), cipher: cipher.into(), mac: mac.into(), ..preferred };
    }
    Arc::new(client::Config { nodelay: true, preferred, ..Default::default() })
}

pub async fn connect(
    target: &Target<'_>,
    credentials: &DeviceCredentials,
) -> Result<(client::Handle<Client>, russh::Channel<Msg>), JobFailure> {
    let timeout = target.conn_timeout;
    let addr = (target.host, target.port);
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => {
            return Err(JobFailure::new(
                ErrorCode::ConnectionTimeout,
                format!("no TCP connection within {} s", timeout.as_secs_f32()),
            ));
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(JobFailure::new(ErrorCode::ConnectionRefused, "the device refused the TCP connection"));
        }
        Ok(Err(e)) => return Err(JobFailure::new(ErrorCode::ConnectionRefused, format!("TCP connection failed: {e}"))),
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);
    let negotiation = |e: String| JobFailure::new(ErrorCode::SshNegotiation, e);
    let refused = Arc::new(Mutex::new(None));
    let client = Client {
        host_keys: target.host_keys.clone(),
        host: target.host.to_owned(),
        port: target.port,
        refused: refused.clone(),
    };
    let mut handle = tokio::time::timeout(timeout, client::connect_stream(config(target.legacy_ssh), stream, client))
        .await
        .map_err(|_| negotiation(format!("SSH handshake did not finish within {} s", timeout.as_secs_f32())))?
        .map_err(|e| match refused.lock().expect("not poisoned").take() {
            Some(failure) => failure,
            None => negotiation(format!("SSH handshake failed: {e}")),
        })?;

    let authenticated = tokio::time::timeout(timeout, authenticate(&mut handle, credentials, target.ssh_key.clone()))
        .await
        .map_err(|_| negotiation(format!("SSH authentication did not finish within {} s", timeout.as_secs_f32())))?
        .map_err(|e| negotiation(format!("SSH authentication failed: {e}")))?;
    if !authenticated {
        return Err(JobFailure::new(ErrorCode::AuthFailure, "the device rejected the username or password"));
    }

    let open = async {
        let channel = handle.channel_open_session().await?;
        channel.request_pty(false, "vt100", 511, 1000, 0, 0, &[]).await?;
        channel.request_shell(true).await?;
        Ok::<_, russh::Error>(channel)
    };
    let channel = tokio::time::timeout(timeout, open)
        .await
        .map_err(|_| negotiation("the device did not open a shell in time".into()))?
        .map_err(|e| negotiation(format!("the device refused a shell: {e}")))?;
    Ok((handle, channel))
}

/// The job's key from the key store first (when it names one), then the password, then
/// keyboard-interactive answering every prompt with the password (what network devices
/// configured for "password" over keyboard-interactive expect).
async fn authenticate(
    handle: &mut client::Handle<Client>,
    credentials: &DeviceCredentials,
    key: Option<Arc<PrivateKey>>,
) -> Result<bool, russh::Error> {
    let user = credentials.username.clone();
    let password = credentials.password.expose().clone();
    if let Some(key) = key {
        let hash = handle.best_supported_rsa_hash().await?.flatten();
        if handle.authenticate_publickey(user.clone(), PrivateKeyWithHashAlg::new(key, hash)).await?.success() {
            return Ok(true);
        }
        if password.is_empty() {
            return Ok(false);
        }
    }
    if let AuthResult::Success = handle.authenticate_password(user.clone(), password.clone()).await? {
        return Ok(true);
    }
    let mut response = handle.authenticate_keyboard_interactive_start(user, None).await?;
    for _ in 0..3 {
        match response {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(false),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers = prompts.iter().map(|_| password.clone()).collect();
                response = handle.authenticate_keyboard_interactive_respond(answers).await?;
            }
        }
    }
    Ok(false)
}
