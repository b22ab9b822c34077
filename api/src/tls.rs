//! The API's TLS configuration: TLS 1.3 preferred, 1.2 minimum, AEAD suites with forward
//! secrecy only (rustls offers nothing else), HTTP/2 and HTTP/1.1 via ALPN, optional
//! client certificates (mutual TLS).
//!
//! The certificate is the configured PEM files, re-read when they change, or else a
//! generated one ([`generated`]) renewed 7 days before it expires; either way the API logs
//! its fingerprint and expiry and exports the expiry as `naas_tls_certificate_expiry_seconds`.

mod generated;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use aws_lc_rs::digest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use time::OffsetDateTime;

use naas_shared::config::TlsSettings;
use naas_shared::metrics::Metrics;

pub const EXPIRY_METRIC: &str = "naas_tls_certificate_expiry_seconds";

type Chain = Vec<CertificateDer<'static>>;

/// The API's certificate: the configured files, or the generated authority and the
/// certificate it issued; and the server configuration serving it.
pub struct Certificates {
    settings: TlsSettings,
    authority: Option<generated::Authority>,
    config: Arc<ServerConfig>,
    fingerprint: String,
    not_after: OffsetDateTime,
}

impl Certificates {
    /// The configured certificate, or a generated one when none is configured.
    pub fn load(settings: &TlsSettings, now: OffsetDateTime) -> anyhow::Result<Self> {
        let authority = match (&settings.cert_file, &settings.key_file) {
            (Some(_), Some(_)) => None,
            _ => {
                tracing::warn!("no TLS certificate configured: serving a generated one (development only)");
                Some(generated::Authority::generate(now)?)
            }
        };
        let (chain, key, not_after) = obtain(settings, authority.as_ref(), now)?;
        let fingerprint = fingerprint(&chain[0]);
        let config = Arc::new(server_config(settings, chain, key)?);
        let certificates = Self { settings: settings.clone(), authority, config, fingerprint, not_after };
        certificates.log("TLS certificate loaded");
        Ok(certificates)
    }

    pub fn config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }

    /// SHA-256 of the served certificate, `AB:CD:…` as `openssl x509 -fingerprint` shows it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Whether the certificate is the generated one.
    pub fn generated(&self) -> bool {
        self.authority.is_some()
    }

    /// Sets `naas_tls_certificate_expiry_seconds` (Unix time of the expiry).
    pub fn record(&self, metrics: &Metrics) {
        let source = if self.generated() { "generated" } else { "configured" };
        metrics.set(EXPIRY_METRIC, &[("source", source)], self.not_after.unix_timestamp() as f64);
    }

    /// Renews the generated certificate when it is due at `now` (under the same
    /// authority, so clients trusting it notice nothing). Returns whether it did.
    pub fn renew_if_due(&mut self, now: OffsetDateTime) -> anyhow::Result<bool> {
        if self.authority.is_none() || !generated::due(self.not_after, now) {
            return Ok(false);
        }
        self.reload(now)?;
        Ok(true)
    }

    /// Serves the certificate again: a fresh one from the authority, or the files as they
    /// are now.
    fn reload(&mut self, now: OffsetDateTime) -> anyhow::Result<()> {
        let (chain, key, not_after) = obtain(&self.settings, self.authority.as_ref(), now)?;
        let fingerprint = fingerprint(&chain[0]);
        self.config = Arc::new(server_config(&self.settings, chain, key)?);
        (self.fingerprint, self.not_after) = (fingerprint, not_after);
        Ok(())
    }

    fn log(&self, message: &str) {
        let not_after = self.not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        match &self.authority {
            Some(authority) => tracing::info!(
                source = "generated",
                fingerprint_sha256 = %self.fingerprint,
                not_after = %not_after,
                ca_fingerprint_sha256 = %fingerprint(&authority.der),
                "{message}"
            ),
            None => {
                tracing::info!(source = "configured", fingerprint_sha256 = %self.fingerprint, not_after = %not_after, "{message}")
            }
        }
    }
}

/// A certificate chain, its key and its expiry: issued by `authority`, or read from the
/// configured files.
fn obtain(
    settings: &TlsSettings,
    authority: Option<&generated::Authority>,
    now: OffsetDateTime,
) -> anyhow::Result<(Chain, PrivateKeyDer<'static>, OffsetDateTime)> {
    if let Some(authority) = authority {
        return authority.issue(&settings.self_signed_names, settings.self_signed_days, now);
    }
    let (Some(cert), Some(key)) = (&settings.cert_file, &settings.key_file) else {
        anyhow::bail!("tls: set both cert_file and key_file, or neither");
    };
    let (chain, key) = load_pem(cert, key)?;
    let not_after = expiry(&chain[0]).with_context(|| format!("reading the expiry of {}", cert.display()))?;
    Ok((chain, key, not_after))
}

fn server_config(settings: &TlsSettings, chain: Chain, key: PrivateKeyDer<'static>) -> anyhow::Result<ServerConfig> {
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
        builder.with_single_cert(chain, key).context("TLS certificate and key do not form a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves renewals to new connections without a restart: the configured files are read
/// again whenever they change (checked every `every`; a replacement that does not load is
/// logged and the current certificate kept), a generated certificate is renewed when due.
pub async fn watch(
    mut certificates: Certificates,
    config: axum_server::tls_rustls::RustlsConfig,
    metrics: Arc<Metrics>,
    every: std::time::Duration,
    token: tokio_util::sync::CancellationToken,
) {
    let stamp = |path: &Option<std::path::PathBuf>| {
        path.as_deref().and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    };
    let files = (certificates.settings.cert_file.clone(), certificates.settings.key_file.clone());
    let mut seen = (stamp(&files.0), stamp(&files.1));
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tick.tick() => {}
        }
        let changed = if certificates.generated() {
            certificates.renew_if_due(naas_shared::now())
        } else {
            let now = (stamp(&files.0), stamp(&files.1));
            if now == seen {
                continue;
            }
            seen = now;
            certificates.reload(naas_shared::now()).map(|()| true)
        };
        match changed {
            Ok(false) => {}
            Ok(true) => {
                config.reload_from_config(certificates.config());
                certificates.record(&metrics);
                certificates.log("TLS certificate reloaded");
            }
            Err(error) => tracing::error!(
                error = format!("{error:#}"),
                "TLS certificate changed but does not load; keeping the current one"
            ),
        }
    }
}

fn load_pem(cert: &Path, key: &Path) -> anyhow::Result<(Chain, PrivateKeyDer<'static>)> {
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

fn fingerprint(der: &CertificateDer<'_>) -> String {
    let hash = digest::digest(&digest::SHA256, der.as_ref());
    hash.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn expiry(der: &CertificateDer<'_>) -> anyhow::Result<OffsetDateTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).context("not an X.509 certificate")?;
    Ok(OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_is_renewed_by_the_reload_path_when_due() {
        let settings = naas_shared::config::Settings::defaults().tls;
        let start = naas_shared::now();
        let mut certificates = Certificates::load(&settings, start).unwrap();
        assert!(certificates.generated());
        let first = certificates.fingerprint().to_owned();
        assert_eq!(first.len(), 32 * 3 - 1);
        assert!(!certificates.renew_if_due(start + time::Duration::days(82)).unwrap());
        assert_eq!(certificates.fingerprint(), first);
        let later = start + time::Duration::days(84);
        assert!(certificates.renew_if_due(later).unwrap(), "due within 7 days of its expiry");
        assert_ne!(certificates.fingerprint(), first);
        let life = certificates.not_after() - later;
        assert!(life > time::Duration::days(89), "a fresh 90 days: {life}");
    }

    #[test]
    fn the_expiry_metric_is_set_for_configured_certificates_too() {
        let dir = std::env::temp_dir().join(format!("naas-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["api.naas.test".to_owned()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2031, 5, 17);
        std::fs::write(dir.join("tls.crt"), params.self_signed(&key).unwrap().pem()).unwrap();
        std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
        let mut settings = naas_shared::config::Settings::defaults().tls;
        (settings.cert_file, settings.key_file) = (Some(dir.join("tls.crt")), Some(dir.join("tls.key")));
        let certificates = Certificates::load(&settings, naas_shared::now()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!certificates.generated());
        let metrics = Metrics::new(&[crate::metrics::CATALOGUE]);
        certificates.record(&metrics);
        let expected = rcgen::date_time_ymd(2031, 5, 17).unix_timestamp();
        assert!(
            metrics.render().contains(&format!("{EXPIRY_METRIC}{{source=\"configured\"}} {expected}")),
            "{}",
            metrics.render()
        );
    }
}
