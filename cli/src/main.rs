//! `naasctl`: the composition root. Everything else is in the library (`naas_cli::run`),
//! which tests call in process.

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("naasctl: starting the runtime: {e}");
            return std::process::ExitCode::from(naas_cli::Exit::Usage.code());
        }
    };
    let env = naas_cli::Env::from_process();
    let console = naas_cli::Console::standard();
    runtime.block_on(naas_cli::run(std::env::args_os(), &env, &console)).into()
}
