//! `naas-api`: the composition root (see `naas_shared::service::main`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    naas_shared::service::main("naas-api", naas_api::build).await
}
