//! `naasctl`, the command-line client of naas: submit jobs and follow them to their
//! outcome (one device or an inventory fanned out), push configuration, inspect and cancel
//! jobs, tail the NATS event subjects, and administer API keys.
//!
//! Everything lives here rather than in `main.rs` so tests run the real code path in
//! process: [`run`] takes the arguments, the environment ([`Env`]) and the terminal
//! ([`Console`]) as values and returns the exit status, never touching process-global
//! state (no `std::env`, no `std::process::exit`).
//!
//! Secrets (passwords, enable secrets, tokens) never come from command-line arguments,
//! which other users see in `ps`: only from the environment, files named in the
//! configuration, or a prompt that does not echo.

mod api;
pub mod args;
mod commands;
mod config;
mod console;
mod error;
mod events;
mod fanout;
mod follow;
mod history;
mod inventory;
mod output;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

pub use console::{Captured, Console};
pub use error::{CliError, Exit};

/// The environment variables `naasctl` reads, passed in rather than read from the process
/// so tests can give each run its own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment (what `main` uses).
    pub fn from_process() -> Self {
        Self { vars: std::env::vars().collect() }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// A set, non-empty variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// `$HOME`, which the default config and history paths hang off.
    fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }

    /// `$XDG_<kind>_HOME`, else `$HOME/<fallback>`.
    fn xdg(&self, kind: &str, fallback: &str) -> Option<PathBuf> {
        self.get(&format!("XDG_{kind}_HOME")).map(PathBuf::from).or_else(|| self.home().map(|h| h.join(fallback)))
    }
}

/// Parses `args` (the program name first, as `std::env::args_os` gives them), runs the
/// command and returns how the process should exit. Errors are reported on the console's
/// stderr here, once.
pub async fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, env: &Env, console: &Console) -> Exit {
    // rustls needs one process-wide crypto provider; a second call is a harmless no-op.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let exit = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Exit::Ok,
                _ => Exit::Usage,
            };
            let text = e.render().to_string();
            if exit == Exit::Ok {
                console.out(&text)
            } else {
                console.err(&text)
            }
            return exit;
        }
    };
    // Ctrl-C is heard from here on, before any prompt: the prompt's restoring of the
    // terminal needs the signal not to kill the process. Commands that leave work behind
    // (fan-outs, `events`) listen too and say what goes on; `biased` lets them answer first.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let interrupted = async {
        match &mut interrupt {
            Some(interrupt) => interrupt.recv().await,
            None => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        biased;
        outcome = commands::dispatch(cli, env, console) => outcome,
        _ = interrupted => Err(CliError::Interrupted("interrupted".into())),
    };
    match outcome {
        Ok(exit) => exit,
        Err(error) => {
            console.err(&format!("naasctl: {error}\n"));
            error.exit()
        }
    }
}
