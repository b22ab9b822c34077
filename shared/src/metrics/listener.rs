//! The plain-HTTP `/metrics` listener of the processes without an HTTP API (worker,
//! reaper). Plain HTTP on its own port, as the contract allows for metrics; it serves
//! nothing else.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use super::{CONTENT_TYPE, Metrics};

/// Brings scrape-time gauges (queue backlog, pool sizes) up to date before each scrape.
pub type Refresh = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Binds the listener (in `build`, so a taken port fails the start; port 0 allowed).
pub fn bind(addr: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("binding the metrics listener {addr}"))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[derive(Clone)]
struct Scrape {
    metrics: Arc<Metrics>,
    refresh: Refresh,
}

async fn scrape(State(scrape): State<Scrape>) -> impl IntoResponse {
    (scrape.refresh)().await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], scrape.metrics.render())
}

/// Serves `GET /metrics` until `token` fires.
pub async fn serve(listener: std::net::TcpListener, metrics: Arc<Metrics>, refresh: Refresh, token: CancellationToken) {
    let app = Router::new().route("/metrics", get(scrape)).with_state(Scrape { metrics, refresh });
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => return tracing::error!(%error, "the metrics listener cannot run"),
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(addr, "metrics listening (HTTP)");
    let served = axum::serve(listener, app).with_graceful_shutdown(async move { token.cancelled().await }).await;
    if let Err(error) = served {
        tracing::error!(%error, "the metrics listener stopped");
    }
}
