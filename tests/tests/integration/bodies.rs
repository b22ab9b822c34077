//! Request bodies over `api.max_body_bytes`, as HTTP/1.1 clients really send them: the
//! caller reads a 413, whichever way its client writes.

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

    /// One response: status, header block (lower-cased) and body (by Content-Length).
    fn response(&mut self) -> std::io::Result<(u16, String, String)> {
        let mut head = Vec::new();
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

/// A client that sends its whole body before it reads (Python's http.client, and so most
/// scripts) gets the 413 for a body over the limit, on a connection that stays usable; a
/// client that asks `Expect: 100-continue` gets the 413 instead of the go-ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_the_limit_gets_a_413_the_client_can_read() {
    let dir = TempDir::new("bodies");
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("tls.crt"), generated.cert.pem()).unwrap();
    std::fs::write(dir.path().join("tls.key"), generated.signing_key.serialize_pem()).unwrap();
    let mut stack = Stack::start(StackOptions { workers: 0, ..Default::default() }).await;
    stack.settings.tls.cert_file = Some(dir.path().join("tls.crt"));
    stack.settings.tls.key_file = Some(dir.path().join("tls.key"));
    let addr = stack.add_api().await.trim_start_matches("https://").to_owned();
    let ca = generated.cert.pem();
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
