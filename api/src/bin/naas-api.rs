//! `naas-api`: the composition root (see `naas_shared::service::main`).

/// mimalloc instead of glibc malloc: far less time in allocation under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    naas_shared::service::main("naas-api", naas_api::build).await
}
