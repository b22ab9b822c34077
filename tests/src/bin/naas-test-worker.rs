//! A worker process for fault tests (killed with SIGKILL mid-job): the production
//! composition root, built as a binary of the test package so tests can find it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    naas_shared::service::main("naas-worker", naas_worker::build).await
}
