//! Request bodies over `api.max_body_bytes`, as HTTP/1.1 clients really send them: the
//! caller reads a 413, whichever way its client writes. A body that does not arrive within
//! `api.body_read_timeout_secs` gets a 408 and the connection closes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use naas_tests::servers::TempDir;
use naas_tests::{Stack, StackOptions};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

/// An HTTP/1.1 connection over TLS that writes and reads strictly in turn.
struct Http1(rustls::StreamOwned<rustls::ClientConnection, TcpStream>);

impl Http1 {
    fn connect(addr: &str, ca_pem: &str) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Self(rustls::StreamOwned::new(tls, tcp))
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes)?;
        self.0.flush()
    }

    /// The first byte of an answer, if one arrives within `wait`.
    fn answer_started(&mut self, wait: Duration) -> Option<u8> {
        self.0.sock.set_read_timeout(Some(wait)).unwrap();
        let mut byte = [0u8; 1];
        let read = self.0.read(&mut byte);
        self.0.sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        match read {
            Ok(1) => Some(byte[0]),
            Ok(_) => panic!("the connection closed without an answer"),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => None,
            Err(e) => panic!("reading the answer: {e}"),
        }
    }

    /// Whether the server closed the connection (end of stream, or a reset).
    fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.0.read(&mut byte), Ok(0) | Err(_))
    }

    /// One response: status, header block (lower-cased) and body (by Content-Length).
    fn response(&mut self) -> std::io::Result<(u16, String, String)> {
        self.response_from(Vec::new())
    }

    /// One response whose first bytes were already read.
    fn response_from(&mut self, mut head: Vec<u8>) -> std::io::Result<(u16, String, String)> {
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            self.0.read_exact(&mut byte)?;
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
        let status = head[9..12].parse().unwrap();
        let length =
            head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
        let mut body = vec![0; length];
        self.0.read_exact(&mut body)?;
        Ok((status, head, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// An API (no workers) serving a certificate issued for `localhost`, with `tune` applied
/// to its settings: the stack and the folder that hold it, its address and the
/// certificate's PEM for the client to trust.
async fn api_with_certificate(
    name: &str,
    tune: impl FnOnce(&mut naas_shared::config::Settings),
) -> (Stack, TempDir, String, String) {
    let dir = TempDir::new(name);
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("tls.crt"), generated.cert.pem()).unwrap();
    std::fs::write(dir.path().join("tls.key"), generated.signing_key.serialize_pem()).unwrap();
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.tls.cert_file = Some(dir.path().join("tls.crt"));
    stack.settings.tls.key_file = Some(dir.path().join("tls.key"));
    tune(&mut stack.settings);
    let addr = stack.add_api().await.trim_start_matches("https://").to_owned();
    (stack, dir, addr, generated.cert.pem())
}

/// A client that sends its whole body before it reads (Python's http.client, and so most
/// scripts) gets the 413 for a body over the limit, on a connection that stays usable; a
/// client that asks `Expect: 100-continue` gets the 413 instead of the go-ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_the_limit_gets_a_413_the_client_can_read() {
    let (_stack, _dir, addr, ca) = api_with_certificate("bodies", |_| {}).await;
    tokio::task::spawn_blocking(move || {
        use base64::Engine as _;
        let login = base64::engine::general_purpose::STANDARD.encode("netops:s3cret-pw");
        let head = |extra: &str, length: usize| {
            format!(
                "POST /v2/send-command HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {login}\r\n\
                 Content-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
            )
        };
        // 8 MiB: eight times the limit, and more than the socket buffers take.
        let body = format!(r#"{{"host": "r1", "commands": ["{}"]}}"#, "x".repeat(8 << 20));

        let mut whole = Http1::connect(&addr, &ca);
        whole.send(head("", body.len()).as_bytes()).unwrap();
        whole.send(body.as_bytes()).expect("the server takes the whole body");
        let (status, head_read, answer) = whole.response().expect("the answer arrives");
        assert_eq!(status, 413, "{head_read}{answer}");
        assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["code"], "PAYLOAD_TOO_LARGE");
        assert!(!head_read.contains("connection: close"), "{head_read}");
        whole.send(b"GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        assert_eq!(whole.response().unwrap().0, 200, "the connection is still usable");

        let mut asking = Http1::connect(&addr, &ca);
        asking.send(head("Expect: 100-continue\r\n", body.len()).as_bytes()).unwrap();
        let (status, head_read, _) = asking.response().unwrap();
        assert_eq!(status, 413, "answered before the body is sent: {head_read}");
        assert!(head_read.contains("connection: close"), "{head_read}");
    })
    .await
    .unwrap();
}

/// A body within the size limit, trickled a byte at a time so the connection is never idle
/// for long, is cut off at `api.body_read_timeout_secs` with a 408, and the connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_that_trickles_in_gets_a_408_at_the_deadline() {
    let (_stack, _dir, addr, ca) =
        api_with_certificate("bodies-slow", |settings| settings.api.body_read_timeout_secs = 1).await;
    tokio::task::spawn_blocking(move || {
        use base64::Engine as _;
        let login = base64::engine::general_purpose::STANDARD.encode("netops:s3cret-pw");
        // 200 bytes at one per 100 ms: 20 s to arrive in full, far below the size limit.
        let body = format!(r#"{{"host": "r1", "commands": ["{}"]}}"#, "x".repeat(170));
        let mut slow = Http1::connect(&addr, &ca);
        slow.send(
            format!(
                "POST /v2/send-command HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {login}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let mut sent = 0;
        let first = loop {
            assert!(sent < body.len(), "the whole body was sent without an answer");
            slow.send(&body.as_bytes()[sent..=sent]).expect("the server still reads the body");
            sent += 1;
            if let Some(byte) = slow.answer_started(Duration::from_millis(100)) {
                break byte;
            }
        };
        let waited = started.elapsed();
        let (status, head, answer) = slow.response_from(vec![first]).expect("the answer arrives whole");
        assert_eq!(status, 408, "{head}{answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!((answer["status"].as_u64(), answer["code"].as_str()), (Some(408), Some("REQUEST_TIMEOUT")));
        assert!(head.contains("connection: close"), "{head}");
        assert!(slow.closed(), "the server closes the connection after the 408");
        assert!(
            waited >= Duration::from_millis(900) && sent < body.len(),
            "cut off at the deadline: {waited:?}, {sent} bytes"
        );
    })
    .await
    .unwrap();
}
