//! `naas-worker`: the composition root (see `naas_shared::service::main`).

// The system allocator on purpose: mimalloc raised the worker's peak RSS with 1,000 open
// sessions by a quarter for no throughput gain at 20 ms device latency (docs/performance.md).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    naas_shared::service::main("naas-worker", naas_worker::build).await
}
