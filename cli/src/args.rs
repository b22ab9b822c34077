//! The command line. There is deliberately no flag for a password, an enable secret or a
//! token: see "Credentials" in the help below.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Credentials (never on the command line, where `ps` shows them):
  NAASCTL_TOKEN                 API key (Bearer); device logins then go in the job body
  NAASCTL_USERNAME              device login (or the Basic user, e.g. `admin` for keys)
  NAASCTL_PASSWORD              its password; else password_env/password_file in the
                                profile; else a prompt without echo when on a terminal
  NAASCTL_ENABLE                enable secret (optional)
Other settings: NAASCTL_URL, NAASCTL_CA_FILE, NAASCTL_INSECURE_SKIP_VERIFY=1,
  NAASCTL_CONTEXT, NAASCTL_PLATFORM, NAASCTL_NATS_URL, NAASCTL_PREFIX,
  NAASCTL_PROFILE, NAASCTL_CONFIG (default ~/.config/naas/config.toml).

Exit status:
  0    success: every job finished
  1    at least one job failed or was canceled
  2    usage, configuration, inventory or credential error (nothing was sent)
  3    the API or NATS could not be reached, or the API refused a request
  130  interrupted (Ctrl-C): queued jobs go on; the jobs left running are listed";

#[derive(Debug, Parser)]
#[command(name = "naasctl", version, about = "Command-line client of naas (network automation as a service)")]
#[command(after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Profile of the configuration file (default: NAASCTL_PROFILE, the file's `default_profile`, else `default`)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Configuration file (default: NAASCTL_CONFIG, else ~/.config/naas/config.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// API base URL, e.g. https://naas.example.net:8443
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// PEM file of the CA that signed the API's certificate
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Accept any API certificate (self-signed development servers only)
    #[arg(long, global = true)]
    pub insecure_skip_verify: bool,
    /// Device login (or Basic user); not a secret, so a flag is allowed
    #[arg(long, short = 'u', global = true, value_name = "NAME")]
    pub username: Option<String>,
    /// Output format (default: text for one job, table for many)
    #[arg(long, short = 'o', global = true, value_enum)]
    pub output: Option<Output>,
    /// No progress on stderr
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Command output as the device printed it
    Text,
    /// One row per device or key
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run show commands on a device, or on every device of an inventory group
    #[command(override_usage = "naasctl run [OPTIONS] HOST COMMAND...\n       \
                                naasctl run [OPTIONS] --inventory FILE [--group NAME] COMMAND...")]
    Run(RunArgs),
    /// Push configuration lines from a file
    #[command(override_usage = "naasctl config [OPTIONS] HOST -f FILE\n       \
                                naasctl config [OPTIONS] --inventory FILE [--group NAME] -f FILE")]
    Config(ConfigArgs),
    /// Look at, follow or cancel jobs
    #[command(subcommand)]
    Job(JobCommand),
    /// Tail the job lifecycle and result subjects on NATS
    Events(EventsArgs),
    /// Administer API keys (admin)
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub targets: Targets,
    #[command(flatten)]
    pub job: JobOptions,
    /// HOST, then the commands (with --inventory: only the commands)
    #[arg(value_name = "HOST|COMMAND", required = true, num_args = 1..)]
    pub words: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub targets: Targets,
    #[command(flatten)]
    pub job: JobOptions,
    /// The device (omit with --inventory)
    #[arg(value_name = "HOST")]
    pub host: Option<String>,
    /// File of configuration lines, one per line (`-`: stdin); blank lines are skipped
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: PathBuf,
    /// Save the configuration after a clean push (`save_config`)
    #[arg(long)]
    pub save: bool,
    /// Commit the candidate (platforms with a candidate configuration: Junos, IOS XR)
    #[arg(long)]
    pub commit: bool,
}

/// Where a job goes: one host on the command line, or an inventory.
#[derive(Debug, Args)]
pub struct Targets {
    /// YAML inventory: `groups: {NAME: [{host, port?, platform?, name?, context?}, …]}` or a plain list
    #[arg(long, short = 'i', value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Inventory group(s) to use (repeatable; default: every device)
    #[arg(long, short = 'g', value_name = "NAME", requires = "inventory")]
    pub group: Vec<String>,
    /// Devices worked on at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct JobOptions {
    /// SSH port (default 22; an inventory entry's own port wins)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Platform, e.g. cisco_ios, juniper_junos (for devices that don't name one)
    #[arg(long, value_name = "NAME")]
    pub platform: Option<String>,
    /// Context the job runs in (default: profile's, else `default`)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Tag `key:value` (repeatable)
    #[arg(long = "tag", value_name = "K:V")]
    pub tags: Vec<String>,
    /// Seconds to wait for each command's output
    #[arg(long, value_name = "SECS")]
    pub read_timeout: Option<u64>,
    /// Seconds to wait for the SSH connection
    #[arg(long, value_name = "SECS")]
    pub conn_timeout: Option<u64>,
    /// Log in with this key from the server's key store (by name) instead of a password
    #[arg(long, value_name = "NAME")]
    pub ssh_key: Option<String>,
    /// Submit and print the job id(s) without waiting for the outcome
    #[arg(long)]
    pub detach: bool,
    /// Follow jobs by polling GET /v2/jobs/{id} instead of the event stream
    #[arg(long)]
    pub poll: bool,
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Show a job's document
    Get { job_id: String },
    /// Jobs submitted from this machine (newest first) with their current status
    List {
        /// How many
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only the local history; don't ask the API for each job's status
        #[arg(long)]
        local: bool,
    },
    /// Cancel a queued or running job
    Cancel { job_id: String },
    /// Follow a job until it ends, then show its outcome
    Watch {
        job_id: String,
        /// Poll instead of following the event stream
        #[arg(long)]
        poll: bool,
    },
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this context
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Only this device
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Which subjects
    #[arg(long, value_enum, default_value_t = EventKinds::All)]
    pub only: EventKinds,
    /// NATS server URL(s), comma-separated (default: NAASCTL_NATS_URL, profile, nats://127.0.0.1:4222)
    #[arg(long, value_name = "URL")]
    pub nats_url: Option<String>,
    /// Deployment prefix of every subject (default: NAASCTL_PREFIX, profile, `naas`)
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Stop after this many messages
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventKinds {
    /// Lifecycle events and results
    All,
    /// `<prefix>.events.…`: every change of a job's status
    Lifecycle,
    /// `<prefix>.results.…`: terminal job documents
    Results,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key; its token is shown once
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// Context the key may use (repeatable; default: all)
        #[arg(long = "context", value_name = "NAME")]
        contexts: Vec<String>,
        /// Lifetime in seconds (default: the server's, 30 days)
        #[arg(long, value_name = "SECS")]
        ttl: Option<u64>,
        /// A name to recognise the key by
        #[arg(long)]
        name: String,
    },
    /// List API keys (never their tokens)
    List,
    /// Revoke an API key
    Revoke { key_id: String },
    /// Issue a new token for a key and revoke the old one
    Rotate { key_id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_flag_takes_a_secret() {
        for secret in ["--password", "--token", "--enable", "--secret"] {
            let parsed = Cli::try_parse_from(["naasctl", "run", secret, "x", "r1", "show version"]);
            assert!(parsed.is_err(), "{secret} must not exist");
        }
    }
}
