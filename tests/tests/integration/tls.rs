//! The API's TLS: old protocol versions and weak suites are refused (checked with the
//! OpenSSL client, which still offers them), TLS 1.3 is preferred, and every response
//! carries the security headers.

use std::process::{Command, Stdio};

use naas_tests::{Stack, StackOptions};

/// Whether `openssl s_client` with `args` completes a handshake with the API.
fn handshake(addr: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new("openssl")
        .args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed (Debian's openssl package)");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let established = text.contains("Cipher is ") && !text.contains("Cipher is (NONE)");
    (established, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_modern_tls_is_accepted() {
    let stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    let addr = stack.api_url.trim_start_matches("https://").to_owned();
    let check = move |args: &'static [&'static str]| {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || handshake(&addr, args))
    };
    let (ok, text) = check(&[]).await.unwrap();
    assert!(ok && text.contains("TLSv1.3"), "TLS 1.3 preferred:\n{text}");
    let (ok, text) = check(&["-tls1_2"]).await.unwrap();
    assert!(ok && text.contains("ECDHE"), "TLS 1.2 with forward secrecy:\n{text}");
    // SECLEVEL=0 lets the client offer what OpenSSL itself would refuse, so any refusal
    // below is the server's.
    let refusals: [&'static [&'static str]; 4] = [
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        &["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"],
        &["-tls1_2", "-cipher", "AES256-GCM-SHA384"],
    ];
    for refused in refusals {
        let (ok, text) = check(refused).await.unwrap();
        assert!(!ok, "{refused:?} must be refused:\n{text}");
    }

    let response = stack.http.get(stack.url("/livez")).send().await.unwrap();
    assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

fn write_certificate(dir: &std::path::Path, name: &str) -> String {
    let generated = rcgen::generate_simple_self_signed(vec![name.to_owned(), "localhost".to_owned()]).unwrap();
    let pem = generated.cert.pem();
    // Written aside and renamed into place, as certificate managers do.
    std::fs::write(dir.join("tls.crt.new"), &pem).unwrap();
    std::fs::write(dir.join("tls.key.new"), generated.signing_key.serialize_pem()).unwrap();
    std::fs::rename(dir.join("tls.key.new"), dir.join("tls.key")).unwrap();
    std::fs::rename(dir.join("tls.crt.new"), dir.join("tls.crt")).unwrap();
    pem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replaced_certificate_is_served_without_a_restart() {
    let dir = naas_tests::servers::TempDir::new("tls");
    let first = write_certificate(dir.path(), "first.naas.test");
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.tls.cert_file = Some(dir.path().join("tls.crt"));
    stack.settings.tls.key_file = Some(dir.path().join("tls.key"));
    let addr = stack.add_api().await.trim_start_matches("https://").to_owned();
    let served = |addr: String| tokio::task::spawn_blocking(move || handshake(&addr, &["-showcerts"]).1);
    assert!(served(addr.clone()).await.unwrap().contains(first.trim()), "the configured certificate is served");

    let second = write_certificate(dir.path(), "second.naas.test");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if served(addr.clone()).await.unwrap().contains(second.trim()) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new certificate was never served");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Slow-loris: a client that never finishes its request headers is cut off.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let stack = Stack::start(StackOptions {
        workers: 0,
        settings: |s| s.api.header_read_timeout_secs = 1,
        ..Default::default()
    })
    .await;
    let addr = stack.api_url.trim_start_matches("https://").to_owned();
    let closed_after = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut client = Command::new("openssl")
            .args(["s_client", "-quiet", "-alpn", "http/1.1", "-connect", &addr])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = client.stdin.take().unwrap();
        stdin.write_all(b"GET /livez HTTP/1.1\r\nHost: localhost\r\n").unwrap();
        stdin.flush().unwrap();
        let started = std::time::Instant::now();
        let deadline = started + std::time::Duration::from_secs(8);
        let exited = loop {
            if client.try_wait().unwrap().is_some() {
                break Some(started.elapsed());
            }
            if std::time::Instant::now() > deadline {
                let _ = client.kill();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        drop(stdin);
        let _ = client.wait();
        exited
    })
    .await
    .unwrap();
    let after = closed_after.expect("the server closed the connection within 8 s");
    assert!(after < std::time::Duration::from_secs(4), "closed after {after:?} for a 1 s header timeout");
}

/// With a client CA configured, only clients presenting a certificate it signed connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mutual_tls_requires_a_client_certificate_from_the_configured_ca() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = naas_tests::servers::TempDir::new("mtls");
    let issue_ca = || {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), Issuer::new(params, key))
    };
    let (ca_pem, ca) = issue_ca();
    let (_, rogue_ca) = issue_ca();
    std::fs::write(dir.path().join("clients-ca.crt"), ca_pem).unwrap();
    for (name, issuer) in [("client", &ca), ("rogue", &rogue_ca)] {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![format!("{name}.naas.test")]).unwrap().signed_by(&key, issuer).unwrap();
        std::fs::write(dir.path().join(format!("{name}.crt")), cert.pem()).unwrap();
        std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.tls.client_ca_file = Some(dir.path().join("clients-ca.crt"));
    let addr = stack.add_api().await.trim_start_matches("https://").to_owned();
    let attempt = |who: Option<&'static str>| {
        let (addr, dir) = (addr.clone(), dir.path().to_path_buf());
        tokio::task::spawn_blocking(move || {
            // A request must go through: the handshake alone can look fine under TLS 1.3.
            let mut command = Command::new("curl");
            command.args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", &format!("https://{addr}/livez")]);
            if let Some(who) = who {
                command
                    .arg("--cert")
                    .arg(dir.join(format!("{who}.crt")))
                    .arg("--key")
                    .arg(dir.join(format!("{who}.key")));
            }
            String::from_utf8(command.output().unwrap().stdout).unwrap()
        })
    };
    assert_eq!(attempt(Some("client")).await.unwrap(), "200");
    assert_ne!(attempt(None).await.unwrap(), "200", "no client certificate");
    assert_ne!(attempt(Some("rogue")).await.unwrap(), "200", "a certificate from another CA");
}

/// Connections beyond the bound are closed at once; a freed slot is usable again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_beyond_the_limit_are_refused() {
    let stack =
        Stack::start(StackOptions { workers: 0, settings: |s| s.api.max_connections = 2, ..Default::default() }).await;
    let fresh = || reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    // Two clients whose kept-alive connections the server has answered on (so it counts
    // them), then a third.
    let (idle_a, idle_b) = (fresh(), fresh());
    for client in [&idle_a, &idle_b] {
        assert_eq!(client.get(stack.url("/livez")).send().await.unwrap().status(), 200);
    }
    let over = fresh().get(stack.url("/livez")).send().await;
    assert!(over.is_err(), "a third connection is refused: {over:?}");
    drop(idle_a);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Ok(response) = fresh().get(stack.url("/livez")).send().await {
            assert_eq!(response.status(), 200);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the freed slot was never reusable");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(idle_b);
}
