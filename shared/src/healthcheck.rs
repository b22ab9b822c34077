//! The probes behind `<binary> healthcheck`, the subcommand a container runs to check
//! itself (images carry no shell and no curl). Each probe is a plain function so tests run
//! exactly what the container runs; [`crate::service::healthcheck`] bounds them in time.
//!
//! - The API probes itself: an HTTPS `GET /livez` on its own listen port over loopback.
//! - The worker and the reaper have no listener: they are healthy when they can reach
//!   NATS and Redis with their configured settings (the NATS half lives in each binary's
//!   crate, next to the NATS client; [`redis`] is here).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::config::{RedisSettings, Settings};

/// Connect, read and write timeout of each step of the HTTPS probe.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /livez` over TLS on the API's own port (loopback), expecting 200.
///
/// The probe trusts any certificate: it talks to its own process over loopback, where the
/// certificate is often self-signed or issued for a public name, and what it checks is
/// that the server answers, not who it is. The handshake signature is still verified.
/// With mutual TLS (`tls.client_ca_file`) the server refuses a client without a
/// certificate after the handshake, so there a completed handshake is the answer.
pub async fn api(settings: &Settings) -> anyhow::Result<()> {
    let target = loopback(settings.api.listen)?;
    let mutual_tls = settings.tls.client_ca_file.is_some();
    let get = Get { target, host: "localhost".to_owned(), path: "/livez".to_owned() };
    tokio::task::spawn_blocking(move || get.answers_200(mutual_tls)).await.context("the probe task")?
}

/// `GET` of an `https://` URL on another host, expecting 200 (`<binary> probe`: the
/// chart's test pod asks the API's service for `/readyz`). Any certificate, as [`api`].
pub async fn probe(url: url::Url) -> anyhow::Result<()> {
    let host = url.host_str().context("the URL has no host")?.trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    tokio::task::spawn_blocking(move || {
        use std::net::ToSocketAddrs as _;
        let target = (host.as_str(), port)
            .to_socket_addrs()
            .with_context(|| format!("resolving {host}"))?
            .next()
            .with_context(|| format!("{host} has no address"))?;
        Get { target, host, path }.answers_200(false)
    })
    .await
    .context("the probe task")?
}

/// The address to probe for a listen address: its port on loopback when the API listens
/// on every interface, the address itself otherwise.
fn loopback(listen: SocketAddr) -> anyhow::Result<SocketAddr> {
    if listen.port() == 0 {
        bail!("api.listen has port 0: there is no fixed port to probe");
    }
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(SocketAddr::new(ip, listen.port()))
}

/// One `GET` over TLS: where to connect, the name to send (SNI and `Host`), the path.
struct Get {
    target: SocketAddr,
    host: String,
    path: String,
}

impl Get {
    fn answers_200(self, mutual_tls: bool) -> anyhow::Result<()> {
        let Get { target, host, path } = self;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        let name = ServerName::try_from(host.clone())
            .unwrap_or_else(|_| ServerName::try_from("localhost").expect("a valid DNS name"));
        let mut tls = rustls::ClientConnection::new(Arc::new(config), name)?;
        let mut socket =
            TcpStream::connect_timeout(&target, STEP_TIMEOUT).with_context(|| format!("connecting to {target}"))?;
        socket.set_read_timeout(Some(STEP_TIMEOUT))?;
        socket.set_write_timeout(Some(STEP_TIMEOUT))?;
        while tls.is_handshaking() {
            tls.complete_io(&mut socket).with_context(|| format!("TLS handshake with {target}"))?;
        }
        if mutual_tls {
            return Ok(());
        }
        let mut stream = rustls::Stream::new(&mut tls, &mut socket);
        stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())?;
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
            let n = stream.read(&mut buf).context("reading the response")?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let status_line = String::from_utf8_lossy(&head);
        let status_line = status_line.lines().next().unwrap_or_default();
        match status_line.split_whitespace().nth(1) {
            Some("200") => Ok(()),
            _ => bail!("GET {path} on {target} answered {status_line:?}"),
        }
    }
}

/// Redis answers PING with the configured URL (password, TLS and CA included).
pub async fn redis(settings: &RedisSettings) -> anyhow::Result<()> {
    let mut conn = crate::store::connect(settings).await.context("connecting to Redis")?;
    let _: String = redis::cmd("PING").query_async(&mut conn).await.context("Redis PING")?;
    Ok(())
}

/// Accepts any server certificate; for the loopback self-probe only (see [`api`]).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_targets_loopback_when_listening_everywhere() {
        let at = |s: &str| loopback(s.parse().unwrap()).unwrap().to_string();
        assert_eq!(at("0.0.0.0:8443"), "127.0.0.1:8443");
        assert_eq!(at("[::]:443"), "[::1]:443");
        assert_eq!(at("10.1.2.3:8443"), "10.1.2.3:8443");
        assert!(loopback("127.0.0.1:0".parse().unwrap()).is_err());
    }
}
