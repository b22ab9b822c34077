//! The SSH transport: TCP connect, key exchange, authentication, PTY shell.

use std::sync::Arc;

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::DeviceCredentials;
use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse, Msg};
use russh::keys::PublicKeyOrCertificate;
use tokio::net::TcpStream;

use super::Target;

/// Host key policy `accept-any` (development): every key is accepted.
pub struct Client;

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

fn config() -> Arc<client::Config> {
    Arc::new(client::Config { nodelay: true, ..Default::default() })
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
    let mut handle = tokio::time::timeout(timeout, client::connect_stream(config(), stream, Client))
        .await
        .map_err(|_| negotiation(format!("SSH handshake did not finish within {} s", timeout.as_secs_f32())))?
        .map_err(|e| negotiation(format!("SSH handshake failed: {e}")))?;

    let authenticated = tokio::time::timeout(timeout, authenticate(&mut handle, credentials))
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

/// Password first, then keyboard-interactive answering every prompt with the password
/// (what network devices configured for "password" over keyboard-interactive expect).
async fn authenticate(
    handle: &mut client::Handle<Client>,
    credentials: &DeviceCredentials,
) -> Result<bool, russh::Error> {
    let user = credentials.username.clone();
    let password = credentials.password.expose().clone();
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
