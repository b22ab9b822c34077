//! A real SSH client (russh) for the integration tests.

use std::sync::Arc;
use std::time::Duration;

use naas_sim::{DeviceSpec, Fleet, SimSettings};
use russh::client::{self, Msg};
use russh::keys::PublicKeyOrCertificate;
use russh::{Channel, ChannelMsg};

pub struct AcceptAnyKey;

impl client::Handler for AcceptAnyKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// A fleet of one device on any free loopback port.
pub async fn fleet_of(device: DeviceSpec) -> Fleet {
    naas_sim::build(SimSettings { listen: "127.0.0.1".parse().unwrap(), devices: vec![device] }).await.unwrap()
}

pub async fn connect(addr: std::net::SocketAddr) -> client::Handle<AcceptAnyKey> {
    client::connect(Arc::new(client::Config::default()), addr, AcceptAnyKey).await.unwrap()
}

/// Logs in with a password and opens an interactive shell with a pty.
pub async fn shell(
    addr: std::net::SocketAddr,
    user: &str,
    password: &str,
) -> (client::Handle<AcceptAnyKey>, Channel<Msg>) {
    let mut session = connect(addr).await;
    assert!(session.authenticate_password(user, password).await.unwrap().success());
    let channel = session.channel_open_session().await.unwrap();
    channel.request_pty(true, "vt100", 511, 1000, 0, 0, &[]).await.unwrap();
    channel.request_shell(true).await.unwrap();
    (session, channel)
}

/// Reads until the received text ends with `suffix`.
pub async fn read_until(channel: &mut Channel<Msg>, suffix: &str) -> String {
    let mut text = String::new();
    while !text.ends_with(suffix) {
        match tokio::time::timeout(Duration::from_secs(5), channel.wait()).await {
            Ok(Some(ChannelMsg::Data { data })) => text.push_str(&String::from_utf8_lossy(&data)),
            Ok(Some(_)) => {}
            other => panic!("no {suffix:?} after {text:?}: {other:?}"),
        }
    }
    text
}
