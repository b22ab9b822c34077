//! The API's TLS configuration: TLS 1.3 preferred, 1.2 minimum, AEAD suites with forward
//! secrecy only (rustls offers nothing else), HTTP/2 and HTTP/1.1 via ALPN, optional
//! client certificates (mutual TLS).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use naas_shared::config::TlsSettings;

/// Builds the server configuration from the configured PEM files, or a self-signed
/// certificate for `localhost`/loopback when none is configured.
pub fn server_config(settings: &TlsSettings) -> anyhow::Result<Arc<ServerConfig>> {
    let (certs, key) = match (&settings.cert_file, &settings.key_file) {
        (Some(cert), Some(key)) => load_pem(cert, key)?,
        _ => {
            tracing::warn!("no TLS certificate configured: serving a self-signed one (development only)");
            self_signed()?
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS protocol versions")?;
    let builder = match &settings.client_ca_file {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for ca in CertificateDer::pem_file_iter(path).with_context(|| format!("reading {}", path.display()))? {
                roots.add(ca.with_context(|| format!("parsing {}", path.display()))?).context("client CA")?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .context("client certificate verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config =
        builder.with_single_cert(certs, key).context("TLS certificate and key do not form a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Re-reads the certificate and key whenever their files change (checked every
/// `every`), so a renewed certificate is served to new connections without a restart. A
/// replacement that does not load is logged and the current certificate kept.
pub async fn watch(
    settings: TlsSettings,
    config: axum_server::tls_rustls::RustlsConfig,
    every: std::time::Duration,
    token: tokio_util::sync::CancellationToken,
) {
    let (Some(cert), Some(key)) = (settings.cert_file.clone(), settings.key_file.clone()) else { return };
    let stamp = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut seen = (stamp(&cert), stamp(&key));
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = (stamp(&cert), stamp(&key));
        if now == seen {
            continue;
        }
        seen = now;
        match server_config(&settings) {
            Ok(fresh) => {
                config.reload_from_config(fresh);
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
            }
            Err(error) => tracing::error!(
                error = format!("{error:#}"),
                "TLS certificate changed but does not load; keeping the current one"
            ),
        }
    }
}

fn load_pem(cert: &Path, key: &Path) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing certificate {}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading private key {}", key.display()))?;
    Ok((certs, key))
}

fn self_signed() -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let generated = rcgen::generate_simple_self_signed(names).context("generating a self-signed certificate")?;
    let key = PrivateKeyDer::try_from(generated.signing_key.serialize_der())
        .map_err(|e| anyhow::anyhow!("self-signed key: {e}"))?;
    Ok((vec![generated.cert.der().clone()], key))
}
