//! The certificate served when none is configured: a certificate authority generated at
//! start-up, in memory only, and a server certificate it issued for `localhost`, the
//! loopback addresses and `tls.self_signed_names`.
//!
//! Why an authority rather than one self-signed server certificate: strict path
//! validators (the WebPKI profile of RFC 5280 and the CA/Browser Forum, as pyca
//! `cryptography` implements it for sslyze) require a server certificate to carry an
//! authority key identifier naming its issuer's key, `basicConstraints CA:FALSE`, a key
//! usage and `serverAuth`. A self-signed server certificate whose AKI equals its own SKI
//! passes only where the validator special-cases a trusted leaf that is its own anchor
//! (pyca does; not every validator does). An authority gives every validator the ordinary
//! shape: trust the authority's certificate (the server sends it last in its chain; its
//! fingerprint is logged at start-up) and the server certificate validates like any
//! other. It also lets the server certificate be renewed while the API runs without the
//! clients noticing: the authority, and so what they trust, stays the same for the
//! process's life.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

/// How long the generated authority is valid: longer than any process is expected to run,
/// so its server certificates can be renewed under it. It is never written anywhere.
const AUTHORITY_DAYS: i64 = 5 * 365;
/// Validity starts this long before issuance, for clients whose clock is a little behind.
const BACKDATE: Duration = Duration::hours(1);

/// The generated authority: its certificate and its signing key (memory only).
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pub der: CertificateDer<'static>,
    pub not_after: OffsetDateTime,
}

impl Authority {
    pub fn generate(now: OffsetDateTime) -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("generating the authority's key")?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "naas");
        // Each generation has its own name, so clients never confuse two authorities.
        name.push(DnType::CommonName, format!("naas generated CA {}", uuid::Uuid::new_v4().simple()));
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(AUTHORITY_DAYS);
        let not_after = params.not_after;
        let cert = params.self_signed(&key).context("signing the authority's certificate")?;
        Ok(Self { der: cert.der().clone(), issuer: Issuer::new(params, key), not_after })
    }

    /// A server certificate valid `days` from `now` for `localhost`, the loopback
    /// addresses and `names`, and its key. The chain is the certificate, then the
    /// authority's.
    pub fn issue(
        &self,
        names: &[String],
        days: u32,
        now: OffsetDateTime,
    ) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, OffsetDateTime)> {
        let key = KeyPair::generate().context("generating the server certificate's key")?;
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::OrganizationName, "naas");
        subject.push(DnType::CommonName, "localhost");
        params.distinguished_name = subject;
        params.subject_alt_names = subject_alt_names(names)?;
        // `ExplicitNoCa` writes basicConstraints CA:FALSE and the subject key identifier.
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - BACKDATE;
        params.not_after = (now + Duration::days(i64::from(days))).min(self.not_after);
        let not_after = params.not_after;
        let cert = params.signed_by(&key, &self.issuer).context("issuing the server certificate")?;
        let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| anyhow::anyhow!("server key: {e}"))?;
        Ok((vec![cert.der().clone(), self.der.clone()], key, not_after))
    }
}

/// Whether a generated certificate expiring at `not_after` is to be replaced at `now`.
pub fn due(not_after: OffsetDateTime, now: OffsetDateTime) -> bool {
    not_after - now <= naas_shared::config::TlsSettings::RENEW_BEFORE
}

fn subject_alt_names(extra: &[String]) -> anyhow::Result<Vec<SanType>> {
    let mut sans = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    for name in extra {
        let san = match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(name.as_str().try_into().with_context(|| format!("name {name:?}"))?),
        };
        if !sans.contains(&san) {
            sans.push(san);
        }
    }
    Ok(sans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    use x509_parser::prelude::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn the_server_certificate_has_a_bounded_life_and_the_extensions_validators_want() {
        let authority = Authority::generate(now()).unwrap();
        let names = ["api.naas.test".to_owned(), "192.0.2.7".to_owned(), "localhost".to_owned()];
        let (chain, _, not_after) = authority.issue(&names, 90, now()).unwrap();
        assert_eq!(chain.len(), 2);
        let (_, leaf) = parse_x509_certificate(&chain[0]).unwrap();
        let (_, ca) = parse_x509_certificate(&chain[1]).unwrap();
        let life = leaf.validity().time_to_expiration().unwrap();
        assert!(life <= Duration::days(90) && life > Duration::days(89), "{life}");
        assert_eq!(leaf.validity().not_after.timestamp(), not_after.unix_timestamp());
        assert_eq!(leaf.issuer().to_string(), ca.subject().to_string());

        let key_id = |cert: &X509Certificate<'_>| {
            cert.extensions().iter().find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            })
        };
        let aki = leaf.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref().map(|id| id.0.to_vec()),
            _ => None,
        });
        let (ski, ca_ski) = (key_id(&leaf), key_id(&ca));
        assert!(ski.is_some(), "subject key identifier");
        assert!(aki.is_some() && aki == ca_ski, "the authority key identifier names the issuer's key");
        let usage = leaf.key_usage().unwrap().unwrap().value;
        assert!(usage.digital_signature() && !usage.key_cert_sign());
        assert!(leaf.extended_key_usage().unwrap().unwrap().value.server_auth);
        assert!(!leaf.basic_constraints().unwrap().unwrap().value.ca);
        assert!(ca.basic_constraints().unwrap().unwrap().value.ca);
        let sans: Vec<String> = leaf
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|name| match name {
                GeneralName::DNSName(dns) => dns.to_string(),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => IpAddr::from(<[u8; 4]>::try_from(*bytes).unwrap()).to_string(),
                    _ => IpAddr::from(<[u8; 16]>::try_from(*bytes).unwrap()).to_string(),
                },
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(sans, ["localhost", "127.0.0.1", "::1", "api.naas.test", "192.0.2.7"]);
    }

    #[test]
    fn renewal_is_due_seven_days_before_expiry() {
        let at = now();
        assert!(!due(at + Duration::days(8), at));
        assert!(due(at + Duration::days(7), at));
        assert!(due(at - Duration::days(1), at), "expired");
    }
}
