//! The API's TLS as an operator's security team would scan it: sslyze (pinned from PyPI by
//! scripts/bootstrap.sh) against a running API, checked against Mozilla's "intermediate"
//! profile (its CLI prints the verdict and exits non-zero on any finding), plus what the
//! profile allows but this API does not: protocol versions below TLS 1.2, suites without
//! AEAD, RSA key exchange. Once with a certificate from a CA (and with client
//! certificates required), once with the generated fallback certificate.

use std::path::{Path, PathBuf};
use std::process::Command;

use naas_tests::servers::TempDir;
use naas_tests::{Stack, StackOptions};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

fn sslyze_bin() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tool = root.join(".tools/venv/bin/sslyze");
    assert!(tool.exists(), "sslyze is missing from the project venv: run `make tools` (scripts/bootstrap.sh)");
    tool
}

/// One sslyze run: whether it exited 0, its console output, its JSON result for the one
/// server scanned.
struct Scan {
    passed: bool,
    console: String,
    result: Value,
}

impl Scan {
    /// The compliance verdict as the console prints it (the lines after the title).
    fn verdict(&self) -> String {
        let lines =
            self.console.lines().skip_while(|l| !l.eq_ignore_ascii_case(" compliance against tls configuration"));
        lines
            .filter(|l| l.to_ascii_lowercase().contains("compliant") || l.trim_start().starts_with("* "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn scan_result(&self, command: &str) -> &Value {
        let attempt = &self.result["scan_result"][command];
        assert_eq!(attempt["status"], "COMPLETED", "{command}: {attempt}\n{}", self.console);
        &attempt["result"]
    }

    fn accepted_suites(&self, command: &str) -> Vec<String> {
        let result = self.scan_result(command);
        let suites = result["accepted_cipher_suites"].as_array().unwrap();
        suites.iter().map(|s| s["cipher_suite"]["name"].as_str().unwrap().to_owned()).collect()
    }

    /// TLS 1.2 and 1.3 only, every suite AEAD, every TLS 1.2 suite an ECDHE key exchange.
    fn assert_modern_only(&self) {
        for old in ["ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites", "tls_1_1_cipher_suites"]
        {
            let result = self.scan_result(old);
            assert_eq!(result["is_tls_version_supported"], false, "{old}: {:?}", self.accepted_suites(old));
        }
        let tls13 = self.accepted_suites("tls_1_3_cipher_suites");
        let tls12 = self.accepted_suites("tls_1_2_cipher_suites");
        assert!(!tls13.is_empty() && !tls12.is_empty(), "TLS 1.3 and 1.2 negotiate: {tls13:?} {tls12:?}");
        for suite in tls13.iter().chain(&tls12) {
            assert!(suite.contains("_GCM_") || suite.contains("CHACHA20_POLY1305"), "not AEAD: {suite}");
        }
        for suite in &tls12 {
            assert!(suite.starts_with("TLS_ECDHE_"), "not an ECDHE key exchange (RSA or DH): {suite}");
        }
    }

    /// The certificate chain the server sent, PEM, leaf first.
    fn chain(&self) -> Vec<String> {
        let deployment = &self.scan_result("certificate_info")["certificate_deployments"][0];
        let chain = deployment["received_certificate_chain"].as_array().unwrap();
        chain.iter().map(|c| c["as_pem"].as_str().unwrap().to_owned()).collect()
    }
}

/// Runs sslyze against `addr` with `args` (blocking: call from `spawn_blocking`).
fn sslyze(addr: &str, args: &[String]) -> Scan {
    let json = std::env::temp_dir().join(format!("naas-sslyze-{}.json", uuid::Uuid::new_v4().simple()));
    let output = Command::new(sslyze_bin())
        .args(args)
        .arg("--sni=localhost")
        .arg(format!("--json_out={}", json.display()))
        .arg(addr)
        .output()
        .expect("sslyze runs");
    let console = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let document: Value = serde_json::from_slice(&std::fs::read(&json).unwrap_or_default())
        .unwrap_or_else(|e| panic!("sslyze wrote no JSON ({e}):\n{console}"));
    let _ = std::fs::remove_file(&json);
    let result = document["server_scan_results"][0].clone();
    assert_eq!(result["connectivity_status"], "COMPLETED", "sslyze could not connect:\n{console}");
    Scan { passed: output.status.success(), console, result }
}

async fn scan(addr: &str, args: Vec<String>) -> Scan {
    let addr = addr.trim_start_matches("https://").to_owned();
    tokio::task::spawn_blocking(move || sslyze(&addr, &args)).await.unwrap()
}

fn mozilla_intermediate(ca_file: &Path) -> Vec<String> {
    vec!["--mozilla_config=intermediate".into(), format!("--certinfo_ca_file={}", ca_file.display())]
}

/// A test CA, and in `dir`: `ca.crt`, a server certificate it issued for localhost
/// (`tls.crt`, `tls.key`) and a client certificate (`client.crt`, `client.key`).
fn issue_certificates(dir: &Path) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    std::fs::write(dir.join("ca.crt"), ca.self_signed(&ca_key).unwrap().pem()).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let now = OffsetDateTime::now_utc();
    for (name, usage, sans) in [
        ("tls", ExtendedKeyUsagePurpose::ServerAuth, vec!["localhost".to_owned(), "127.0.0.1".to_owned()]),
        ("client", ExtendedKeyUsagePurpose::ClientAuth, vec!["client.naas.test".to_owned()]),
    ] {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(sans).unwrap();
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        (params.not_before, params.not_after) = (now - Duration::hours(1), now + Duration::days(90));
        std::fs::write(dir.join(format!("{name}.crt")), params.signed_by(&key, &issuer).unwrap().pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_a_ca_passes_mozilla_intermediate_and_mutual_tls_negotiates() {
    let dir = TempDir::new("sslyze");
    issue_certificates(dir.path());
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.tls.cert_file = Some(dir.path().join("tls.crt"));
    stack.settings.tls.key_file = Some(dir.path().join("tls.key"));
    let api = stack.add_api().await;

    let scanned = scan(&api, mozilla_intermediate(&dir.path().join("ca.crt"))).await;
    println!("sslyze, certificate from a CA:\n{}", scanned.verdict());
    assert!(scanned.passed && scanned.verdict().contains("OK - Compliant."), "{}", scanned.console);
    scanned.assert_modern_only();

    // Client certificates required: the scanner presenting one still negotiates TLS 1.3
    // and 1.2 with the same suites.
    stack.settings.tls.client_ca_file = Some(dir.path().join("ca.crt"));
    let mtls = stack.add_api().await;
    let client = |file: &str| dir.path().join(file).display().to_string();
    let versions = ["--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3", "--sslv2", "--sslv3"].map(String::from);
    let mut args = vec![format!("--cert={}", client("client.crt")), format!("--key={}", client("client.key"))];
    args.extend(versions);
    let scanned = scan(&mtls, args).await;
    // Presenting the certificate, the scanner negotiated every suite above; without one it
    // sees that the server requires it.
    let anonymous = scan(&mtls, vec!["--tlsv1_3".into()]).await;
    let requirement = &anonymous.result["connectivity_result"]["client_auth_requirement"];
    println!("sslyze, mutual TLS without a client certificate: client_auth_requirement {requirement}");
    assert_eq!(requirement, "REQUIRED", "{}", anonymous.console);
    scanned.assert_modern_only();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_certificate_passes_mozilla_intermediate_when_its_authority_is_trusted() {
    let stack = Stack::start(StackOptions {
        workers: 0,
        settings: |s| s.tls.self_signed_names = vec!["api.naas.test".into(), "192.0.2.7".into()],
        ..Default::default()
    })
    .await;
    let dir = TempDir::new("sslyze-generated");
    let chain = scan(&stack.api_url, vec!["--certinfo".into()]).await.chain();
    assert_eq!(chain.len(), 2, "the certificate, then its authority's");
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, chain.last().unwrap()).unwrap();

    let scanned = scan(&stack.api_url, mozilla_intermediate(&ca_file)).await;
    println!("sslyze, generated certificate:\n{}", scanned.verdict());
    assert!(scanned.passed && scanned.verdict().contains("OK - Compliant."), "{}", scanned.console);
    scanned.assert_modern_only();

    let deployment = &scanned.scan_result("certificate_info")["certificate_deployments"][0];
    let trusted = deployment["path_validation_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["trust_store"]["path"].as_str().is_some_and(|p| p == ca_file.display().to_string()));
    assert_eq!(trusted.map(|r| &r["was_validation_successful"]), Some(&Value::Bool(true)), "{deployment}");
    let leaf = &deployment["received_certificate_chain"][0];
    let date = |field: &str| {
        OffsetDateTime::parse(leaf[field].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
    };
    let life = date("not_valid_after") - date("not_valid_before");
    assert!(life <= Duration::days(91), "90 days (and an hour of clock skew): {life}");
    let sans = &leaf["subject_alternative_name"];
    assert_eq!(sans["dns_names"], serde_json::json!(["localhost", "api.naas.test"]), "{sans}");
    assert_eq!(sans["ip_addresses"], serde_json::json!(["127.0.0.1", "::1", "192.0.2.7"]), "{sans}");
    assert_extensions(leaf["as_pem"].as_str().unwrap(), chain.last().unwrap());
}

/// The extensions strict validators want, read from what the scanner received.
fn assert_extensions(leaf_pem: &str, ca_pem: &str) {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use x509_parser::extensions::ParsedExtension;
    let (leaf_der, ca_der) = (
        CertificateDer::from_pem_slice(leaf_pem.as_bytes()).unwrap(),
        CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap(),
    );
    let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
    let key_id = |cert: &x509_parser::certificate::X509Certificate<'_>| {
        cert.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
    };
    let authority_key_id = leaf.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref().map(|id| id.0.to_vec()),
        _ => None,
    });
    assert!(key_id(&leaf).is_some(), "subject key identifier");
    assert!(authority_key_id.is_some() && authority_key_id == key_id(&ca), "authority key identifier = the CA's key");
    let usage = leaf.key_usage().unwrap().expect("key usage").value;
    assert!(usage.digital_signature() && !usage.key_cert_sign(), "{usage:?}");
    assert!(leaf.extended_key_usage().unwrap().expect("extended key usage").value.server_auth);
    assert!(!leaf.basic_constraints().unwrap().expect("basic constraints").value.ca);
}
