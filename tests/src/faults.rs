//! Misbehaving peers on loopback, for provoking each failure code.

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

/// A loopback port whose accept queue is full: a new connection's SYN is dropped, so
/// connecting hangs until the caller's timeout, as with a filtered host.
pub struct Blackhole {
    pub port: u16,
    _listener: tokio::net::TcpListener,
    _filler: TcpStream,
}

impl Blackhole {
    pub async fn new() -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        // The one connection the queue holds; it is never accepted.
        let filler = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        Self { port, _listener: listener, _filler: filler }
    }
}

/// A TCP server that answers every connection with something that is not SSH.
pub async fn not_ssh(token: CancellationToken) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = token.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            if let Ok((mut stream, _)) = accepted {
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await;
                let _ = stream.shutdown().await;
            }
        }
    });
    port
}
