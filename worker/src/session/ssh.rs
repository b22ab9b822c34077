//! The SSH transport: TCP connect, key exchange, authentication, PTY shell.

use std::sync::{Arc, Mutex};

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::DeviceCredentials;
use russh::Preferred;
use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse, Msg};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
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

/// A login: who, with what, to which address. Used for the device and for a jump host.
pub struct Login<'a> {
    pub host: &'a str,
    pub port: u16,
    pub username: &'a str,
    pub password: &'a str,
    pub key: Option<Arc<PrivateKey>>,
    /// How the failure reads to the caller: "the device" or "the jump host".
    pub what: &'static str,
}

/// The byte stream an SSH session runs over: TCP, or a channel through a jump host.
trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// An authenticated SSH connection, and the jump host connection it runs through (kept
/// open for as long as the session lives).
pub struct Connection {
    pub handle: client::Handle<Client>,
    pub jump: Option<client::Handle<Client>>,
}

pub async fn connect(target: &Target<'_>, credentials: &DeviceCredentials) -> Result<Connection, JobFailure> {
    let device = Login {
        host: target.host,
        port: target.port,
        username: &credentials.username,
        password: credentials.password.expose(),
        key: target.ssh_key.clone(),
        what: "the device",
    };
    let Some(jump) = &target.jump else {
        let stream = tcp(target.host, target.port, target.conn_timeout, "the device").await?;
        let handle = login(target, &device, Box::new(stream)).await?;
        return Ok(Connection { handle, jump: None });
    };
    let jump_password = credentials.jump_password.as_ref().map(|p| p.expose().as_str()).unwrap_or("");
    let bastion = Login {
        host: &jump.host,
        port: jump.port,
        username: &jump.username,
        password: jump_password,
        key: jump.key.clone(),
        what: "the jump host",
    };
    let stream = tcp(&jump.host, jump.port, target.conn_timeout, "the jump host").await?;
    let through = login(target, &bastion, Box::new(stream)).await?;
    let tunnel = tokio::time::timeout(
        target.conn_timeout,
        through.channel_open_direct_tcpip(target.host, u32::from(target.port), "127.0.0.1", 0),
    )
    .await
    .map_err(|_| JobFailure::new(ErrorCode::ConnectionTimeout, "the jump host did not reach the device in time"))?
    .map_err(|e| {
        JobFailure::new(ErrorCode::ConnectionRefused, format!("the jump host could not reach the device: {e}"))
    })?;
    let handle = login(target, &device, Box::new(tunnel.into_stream())).await?;
    Ok(Connection { handle, jump: Some(through) })
}

async fn tcp(host: &str, port: u16, timeout: Duration, what: &str) -> Result<TcpStream, JobFailure> {
    let connecting = tokio::time::timeout(timeout, TcpStream::connect((host, port)));
    let stream = match crate::phases::timed("tcp_connect", connecting).await {
        Err(_) => {
            let message = format!("no TCP connection to {what} within {} s", timeout.as_secs_f32());
            return Err(JobFailure::new(ErrorCode::ConnectionTimeout, message));
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(JobFailure::new(ErrorCode::ConnectionRefused, format!("{what} refused the TCP connection")));
        }
        Ok(Err(e)) => {
            return Err(JobFailure::new(ErrorCode::ConnectionRefused, format!("TCP connection to {what} failed: {e}")));
        }
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// SSH handshake (host key checked against the policy) and authentication.
async fn login(
    target: &Target<'_>,
    login: &Login<'_>,
    stream: Box<dyn Transport>,
) -> Result<client::Handle<Client>, JobFailure> {
    let timeout = target.conn_timeout;
    let negotiation = |e: String| JobFailure::new(ErrorCode::SshNegotiation, e);
    let refused = Arc::new(Mutex::new(None));
    let client = Client {
        host_keys: target.host_keys.clone(),
        host: login.host.to_owned(),
        port: login.port,
        refused: refused.clone(),
    };
    let what = login.what;
    let handshake = tokio::time::timeout(timeout, client::connect_stream(config(target.legacy_ssh), stream, client));
    let mut handle = crate::phases::timed("handshake", handshake)
        .await
        .map_err(|_| {
            negotiation(format!("SSH handshake with {what} did not finish within {} s", timeout.as_secs_f32()))
        })?
        .map_err(|e| match refused.lock().expect("not poisoned").take() {
            Some(failure) => failure,
            None => negotiation(format!("SSH handshake with {what} failed: {e}")),
        })?;
    let authenticated = crate::phases::timed("auth", tokio::time::timeout(timeout, authenticate(&mut handle, login)))
        .await
        .map_err(|_| {
            negotiation(format!("SSH authentication with {what} did not finish within {} s", timeout.as_secs_f32()))
        })?
        .map_err(|e| negotiation(format!("SSH authentication with {what} failed: {e}")))?;
    if !authenticated {
        return Err(JobFailure::new(ErrorCode::AuthFailure, format!("{what} rejected the credentials")));
    }
    Ok(handle)
}

/// Opens the interactive PTY shell network CLIs expect.
pub async fn shell(handle: &client::Handle<Client>, timeout: Duration) -> Result<russh::Channel<Msg>, JobFailure> {
    let negotiation = |e: String| JobFailure::new(ErrorCode::SshNegotiation, e);
    let open = async {
        let channel = handle.channel_open_session().await?;
        channel.request_pty(false, "vt100", 511, 1000, 0, 0, &[]).await?;
        channel.request_shell(true).await?;
        Ok::<_, russh::Error>(channel)
    };
    tokio::time::timeout(timeout, open)
        .await
        .map_err(|_| negotiation("the device did not open a shell in time".into()))?
        .map_err(|e| negotiation(format!("the device refused a shell: {e}")))
}

/// The job's key from the key store first (when it names one), then the password, then
/// keyboard-interactive answering every prompt with the password (what network devices
/// configured for "password" over keyboard-interactive expect).
async fn authenticate(handle: &mut client::Handle<Client>, login: &Login<'_>) -> Result<bool, russh::Error> {
    let user = login.username.to_owned();
    let password = login.password.to_owned();
    if let Some(key) = login.key.clone() {
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
