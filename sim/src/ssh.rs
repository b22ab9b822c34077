//! SSH plumbing (russh server): accept loop per listener, authentication, session
//! channels. Each shell gets a CLI task fed through an mpsc channel by `Handler::data`;
//! the task writes through `server::Handle::data`, which waits for SSH flow control.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::{Algorithm, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, Response, Session};
use russh::{Channel, ChannelId, Pty, SshId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{self, methods};
use crate::cli::{Chunk, Cli};
use crate::device::Device;
use crate::settings::AuthMethod;

/// One ed25519 host key per fleet.
pub(crate) fn host_key() -> anyhow::Result<PrivateKey> {
    Ok(PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)?)
}

/// Password and/or keyboard-interactive auth as the device allows; `id` is the platform's
/// SSH identification.
pub(crate) fn server_config(key: &PrivateKey, id: &'static str, allowed: &[AuthMethod]) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(Cow::Borrowed(id)),
        methods: methods(allowed),
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key.clone()],
        inactivity_timeout: Some(Duration::from_secs(1800)),
        nodelay: true,
        ..Default::default()
    }
}

/// Accepts connections for one device until cancelled.
pub(crate) async fn serve(
    listener: TcpListener,
    device: Arc<Device>,
    config: Arc<russh::server::Config>,
    token: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            () = token.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let handler = SshSession {
                    device: device.clone(),
                    peer,
                    inputs: HashMap::new(),
                    token: token.clone(),
                    tracker: tracker.clone(),
                };
                tracker.spawn(connection(stream, handler, config.clone(), token.clone()));
            }
            Err(error) => {
                tracing::warn!(device = %device.spec.hostname, %error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    handler: SshSession,
    config: Arc<russh::server::Config>,
    token: CancellationToken,
) {
    let (device, peer) = (handler.device.spec.hostname.clone(), handler.peer);
    let session = tokio::select! {
        () = token.cancelled() => return,
        session = russh::server::run_stream(config, stream, handler) => session,
    };
    let session = match session {
        Ok(session) => session,
        Err(error) => {
            tracing::debug!(%device, %peer, %error, "SSH handshake failed");
            return;
        }
    };
    let handle = session.handle();
    tokio::select! {
        result = session => match result {
            Ok(()) => tracing::debug!(%device, %peer, "SSH connection closed"),
            Err(error) => tracing::debug!(%device, %peer, %error, "SSH connection ended with an error"),
        },
        () = token.cancelled() => {
            let _ = handle.disconnect(russh::Disconnect::ByApplication, "simulator stopping".into(), String::new()).await;
        }
    }
}

struct SshSession {
    device: Arc<Device>,
    peer: SocketAddr,
    inputs: HashMap<ChannelId, mpsc::UnboundedSender<Vec<u8>>>,
    token: CancellationToken,
    tracker: TaskTracker,
}

impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(auth::verdict(&self.device, self.peer, AuthMethod::Password, user, password.as_bytes()))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        Ok(auth::keyboard_interactive(&self.device, self.peer, user, response))
    }

    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        self.device.log.session_opened(&self.device.spec.hostname);
        tracing::info!(device = %self.device.spec.hostname, peer = %self.peer, "login");
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Input arrives through `data` below; the channel object itself is not read.
        drop(channel);
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _: &str,
        _: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let (tx, rx) = mpsc::unbounded_channel();
        self.inputs.insert(channel, tx);
        let cli = Cli::new(self.device.clone());
        let timing = ShellTiming {
            latency: Duration::from_millis(self.device.spec.latency_ms),
            drop_idle_after: Duration::from_millis(self.device.spec.drop_idle_after_ms),
        };
        self.tracker.spawn(run_shell(session.handle(), channel, cli, rx, timing, self.token.clone()));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let (handle, device) = (session.handle(), self.device.clone());
        let command = String::from_utf8_lossy(data).into_owned();
        let latency = Duration::from_millis(device.spec.latency_ms);
        self.tracker.spawn(async move {
            let output = Cli::run_once(device, &command);
            tokio::time::sleep(latency).await;
            let _ = handle.data(channel, output).await;
            let _ = handle.exit_status_request(channel, 0).await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
        });
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], _session: &mut Session) -> Result<(), Self::Error> {
        if let Some(input) = self.inputs.get(&channel) {
            let _ = input.send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.inputs.remove(&channel);
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.inputs.remove(&channel);
        Ok(())
    }
}

/// How a shell session's device behaves in time.
struct ShellTiming {
    /// Before the first prompt and each response.
    latency: Duration,
    /// Idle time after which the next input finds the session dead; zero = never.
    drop_idle_after: Duration,
}

/// The CLI task of one shell channel: input bytes in, echo at once, the first prompt and
/// every response after the device's latency, until the client goes away or the CLI
/// closes the session (or input arrives after the session was idle too long).
async fn run_shell(
    handle: Handle,
    channel: ChannelId,
    mut cli: Cli,
    mut input: mpsc::UnboundedReceiver<Vec<u8>>,
    timing: ShellTiming,
    token: CancellationToken,
) {
    let ShellTiming { latency, drop_idle_after } = timing;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if handle.data(channel, cli.start()).await.is_err() {
        return;
    }
    let mut idle_since = std::time::Instant::now();
    loop {
        let bytes = tokio::select! {
            () = token.cancelled() => return,
            bytes = input.recv() => match bytes {
                Some(bytes) => bytes,
                None => return,
            },
        };
        if !drop_idle_after.is_zero() && idle_since.elapsed() >= drop_idle_after {
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
            return;
        }
        for chunk in cli.feed(&bytes) {
            let data = match chunk {
                Chunk::Echo(data) => data,
                Chunk::Reply(data) => {
                    if !latency.is_zero() {
                        tokio::time::sleep(latency).await;
                    }
                    data
                }
                Chunk::Close => {
                    let _ = handle.eof(channel).await;
                    let _ = handle.close(channel).await;
                    return;
                }
            };
            if !data.is_empty() && handle.data(channel, data).await.is_err() {
                return;
            }
        }
        idle_since = std::time::Instant::now();
    }
}
