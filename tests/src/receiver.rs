//! A webhook receiver for tests: HTTPS on a free loopback port with a self-signed
//! certificate (for `127.0.0.1` and `localhost`), recording every request and answering 503
//! to the first `failures` of them, 200 after.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One request the receiver got.
#[derive(Debug)]
pub struct Received {
    pub at: Instant,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

pub struct Receiver {
    pub port: u16,
    /// PEM file of the receiver's certificate, to trust it (`webhooks.ca_file`).
    pub ca_file: PathBuf,
    pub requests: mpsc::UnboundedReceiver<Received>,
}

#[derive(Clone)]
struct Recording {
    sink: mpsc::UnboundedSender<Received>,
    seen: Arc<AtomicUsize>,
    failures: usize,
}

async fn record(State(recording): State<Recording>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = recording.seen.fetch_add(1, Ordering::SeqCst);
    let _ = recording.sink.send(Received { at: Instant::now(), uri, headers, body });
    if n < recording.failures { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
}

impl Receiver {
    pub async fn start(failures: usize, token: CancellationToken) -> Self {
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let cert = certified.cert.pem();
        let dir = std::env::temp_dir().join(format!("naas-receiver-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = dir.join("receiver.pem");
        std::fs::write(&ca_file, &cert).unwrap();
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
            cert.into_bytes(),
            certified.signing_key.serialize_pem().into_bytes(),
        )
        .await
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sink, requests) = mpsc::unbounded_channel();
        let recording = Recording { sink, seen: Arc::new(AtomicUsize::new(0)), failures };
        let app = Router::new().fallback(post(record)).with_state(recording);
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            token.cancelled().await;
            stopper.shutdown();
        });
        let server = axum_server::tls_rustls::from_tcp_rustls(listener, tls).unwrap().handle(handle);
        tokio::spawn(server.serve(app.into_make_service()));
        Self { port, ca_file, requests }
    }
}
