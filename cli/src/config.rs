//! Settings: command-line flags over `NAASCTL_*` environment variables over the selected
//! profile of the configuration file (`~/.config/naas/config.toml`), over defaults.
//!
//! ```toml
//! default_profile = "lab"
//!
//! [profiles.lab]
//! url = "https://naas.lab.example.net:8443"
//! ca_file = "lab-ca.pem"              # relative to this file; or insecure_skip_verify = true
//! username = "netops"
//! password_env = "LAB_DEVICE_PASSWORD" # or password_file = "~/.config/naas/lab.password"
//! # token_env / token_file: an API key instead of Basic; enable_env / enable_file
//! context = "lab"
//! platform = "cisco_ios"
//! nats_url = "nats://nats.lab.example.net:4222"
//! prefix = "naas"
//! ```
//!
//! The file never holds a secret itself, only where to find one: a literal `password`,
//! `token` or `enable` key is refused with a message saying what to use instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use naas_shared::secret::Secret;
use serde::Deserialize;

use crate::args::Global;
use crate::error::CliError;
use crate::{Console, Env};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    url: Option<String>,
    ca_file: Option<PathBuf>,
    insecure_skip_verify: Option<bool>,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    enable_env: Option<String>,
    enable_file: Option<PathBuf>,
    context: Option<String>,
    platform: Option<String>,
    nats_url: Option<String>,
    nats_ca_file: Option<PathBuf>,
    nats_user: Option<String>,
    nats_password_env: Option<String>,
    nats_password_file: Option<PathBuf>,
    prefix: Option<String>,
}

/// How the API's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// The system's roots.
    System,
    /// Only this CA bundle.
    CaFile(PathBuf),
    /// Anything (explicitly asked for; development servers with self-signed certificates).
    Insecure,
}

/// Where a secret comes from; read only when a command needs it.
#[derive(Debug, Clone)]
enum Source {
    None,
    /// `NAASCTL_*` itself.
    Value(Secret<String>),
    /// The environment variable a profile names.
    Env(String),
    File(PathBuf),
}

/// Everything a command may need, resolved from the layers.
#[derive(Debug)]
pub struct Settings {
    pub url: Option<String>,
    pub tls: Tls,
    pub username: Option<String>,
    password: Source,
    token: Source,
    enable: Source,
    pub context: Option<String>,
    pub platform: Option<String>,
    pub nats_url: Option<String>,
    pub nats_ca_file: Option<PathBuf>,
    pub nats_user: Option<String>,
    nats_password: Source,
    pub prefix: Option<String>,
    /// The job history file (`job list`).
    pub history: Option<PathBuf>,
    env: Env,
}

/// How requests to the API authenticate.
pub enum ApiAuth {
    Basic { username: String, password: Secret<String> },
    Bearer(Secret<String>),
}

/// Device credentials for the job body (API-key callers only; Basic callers' Basic
/// credentials are the device login).
pub struct DeviceLogin {
    pub username: String,
    pub password: Option<Secret<String>>,
}

/// What a command needs to authenticate.
pub struct Credentials {
    pub api: ApiAuth,
    pub device: Option<DeviceLogin>,
    pub enable: Option<Secret<String>>,
}

fn truthy(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

impl Settings {
    pub fn resolve(global: &Global, env: &Env) -> Result<Self, CliError> {
        let (profile, base) = load_profile(global, env)?;
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| expand(p, base.as_deref(), env));
        let secret = |var: &'static str, profile_env: &Option<String>, profile_file: &Option<PathBuf>| {
            if let Some(value) = env.get(var) {
                Source::Value(Secret::new(value.to_owned()))
            } else if let Some(name) = profile_env {
                Source::Env(name.clone())
            } else if let Some(file) = path(profile_file) {
                Source::File(file)
            } else {
                Source::None
            }
        };
        let tls = {
            let layers = [
                (global.ca_file.clone(), global.insecure_skip_verify, "the command line"),
                (
                    env.get("NAASCTL_CA_FILE").map(PathBuf::from),
                    env.get("NAASCTL_INSECURE_SKIP_VERIFY").is_some_and(truthy),
                    "the environment",
                ),
                (path(&profile.ca_file), profile.insecure_skip_verify.unwrap_or(false), "the profile"),
            ];
            let mut tls = Tls::System;
            for (ca, insecure, layer) in layers {
                match (ca, insecure) {
                    (Some(_), true) => {
                        return Err(CliError::usage(format!(
                            "{layer} sets both a CA file and insecure_skip_verify: choose one"
                        )));
                    }
                    (Some(ca), false) => tls = Tls::CaFile(ca),
                    (None, true) => tls = Tls::Insecure,
                    (None, false) => continue,
                }
                break;
            }
            tls
        };
        let url = global.url.clone().or_else(|| env.get("NAASCTL_URL").map(str::to_owned)).or(profile.url.clone());
        let url = match url {
            None => None,
            Some(url) if url.starts_with("https://") => Some(url.trim_end_matches('/').to_owned()),
            Some(url) => {
                return Err(CliError::usage(format!("API URL {url:?}: naas serves HTTPS only (https://HOST:PORT)")));
            }
        };
        let pick = |flag: Option<&String>, var: &str, from_profile: &Option<String>| {
            flag.cloned().or_else(|| env.get(var).map(str::to_owned)).or_else(|| from_profile.clone())
        };
        Ok(Self {
            url,
            tls,
            username: pick(global.username.as_ref(), "NAASCTL_USERNAME", &profile.username),
            password: secret("NAASCTL_PASSWORD", &profile.password_env, &profile.password_file),
            token: secret("NAASCTL_TOKEN", &profile.token_env, &profile.token_file),
            enable: secret("NAASCTL_ENABLE", &profile.enable_env, &profile.enable_file),
            context: pick(None, "NAASCTL_CONTEXT", &profile.context),
            platform: pick(None, "NAASCTL_PLATFORM", &profile.platform),
            nats_url: pick(None, "NAASCTL_NATS_URL", &profile.nats_url),
            nats_ca_file: env.get("NAASCTL_NATS_CA_FILE").map(PathBuf::from).or_else(|| path(&profile.nats_ca_file)),
            nats_user: pick(None, "NAASCTL_NATS_USER", &profile.nats_user),
            nats_password: secret("NAASCTL_NATS_PASSWORD", &profile.nats_password_env, &profile.nats_password_file),
            prefix: pick(None, "NAASCTL_PREFIX", &profile.prefix),
            history: env
                .get("NAASCTL_HISTORY")
                .map(PathBuf::from)
                .or_else(|| env.xdg("STATE", ".local/state").map(|d| d.join("naas/history"))),
            env: env.clone(),
        })
    }

    pub fn require_url(&self) -> Result<&str, CliError> {
        self.url.as_deref().ok_or_else(|| {
            CliError::usage("no API URL: pass --url, set NAASCTL_URL, or put `url` in a profile of the config file")
        })
    }

    fn read(&self, source: &Source, console: &Console) -> Result<Option<Secret<String>>, CliError> {
        match source {
            Source::None => Ok(None),
            Source::Value(value) => Ok(Some(value.clone())),
            Source::Env(name) => match self.env.get(name) {
                Some(value) => Ok(Some(Secret::new(value.to_owned()))),
                None => Err(CliError::usage(format!("the profile reads a secret from ${name}, which is not set"))),
            },
            Source::File(path) => read_secret_file(path, console).map(Some),
        }
    }

    /// The password: from its source, else asked for without echo when someone can answer.
    fn password(&self, user: &str, console: &Console) -> Result<Option<Secret<String>>, CliError> {
        if let Some(password) = self.read(&self.password, console)? {
            return Ok(Some(password));
        }
        match console.prompt(&format!("Password for {user}: ")) {
            None => Ok(None),
            Some(Ok(answer)) if !answer.is_empty() => Ok(Some(Secret::new(answer))),
            Some(Ok(_)) => Err(CliError::usage("no password given")),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                Err(CliError::Interrupted("interrupted: nothing was sent".into()))
            }
            Some(Err(e)) => Err(CliError::usage(format!("reading the password from the terminal: {e}"))),
        }
    }

    /// The credentials of a command. `device` asks for the device login too (job
    /// submissions); `ssh_key` makes its password optional.
    pub fn credentials(&self, console: &Console, device: bool, ssh_key: bool) -> Result<Credentials, CliError> {
        let missing_user =
            || CliError::usage("no username: pass --username, set NAASCTL_USERNAME, or put `username` in the profile");
        let missing_password = || {
            CliError::usage(
                "no password: set NAASCTL_PASSWORD, or password_env/password_file in the profile, or run on a terminal to be asked",
            )
        };
        let enable = if device { self.read(&self.enable, console)? } else { None };
        if let Some(token) = self.read(&self.token, console)? {
            let device = if device {
                let username = self.username.clone().ok_or_else(missing_user)?;
                let password = self.password(&username, console)?;
                if password.is_none() && !ssh_key {
                    return Err(missing_password());
                }
                Some(DeviceLogin { username, password })
            } else {
                None
            };
            return Ok(Credentials { api: ApiAuth::Bearer(token), device, enable });
        }
        let username = self.username.clone().ok_or_else(|| {
            CliError::usage(
                "no credentials: set NAASCTL_TOKEN (an API key) or a username (--username, NAASCTL_USERNAME, profile) and its password",
            )
        })?;
        let password = self.password(&username, console)?.ok_or_else(missing_password)?;
        Ok(Credentials { api: ApiAuth::Basic { username, password }, device: None, enable })
    }

    pub fn nats_password(&self, console: &Console) -> Result<Option<Secret<String>>, CliError> {
        self.read(&self.nats_password, console)
    }
}

/// Reads a secret file (first line, trimmed), warning when others may read it.
fn read_secret_file(path: &Path, console: &Console) -> Result<Secret<String>, CliError> {
    use std::os::unix::fs::PermissionsExt;
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("reading secret file {}: {e}", path.display())))?;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        console.err(&format!("naasctl: warning: {} is readable by other users (chmod 600 it)\n", path.display()));
    }
    let secret = text.lines().next().unwrap_or("").trim().to_owned();
    if secret.is_empty() {
        return Err(CliError::usage(format!("secret file {} is empty", path.display())));
    }
    Ok(Secret::new(secret))
}

/// `~/x` from `$HOME`; a relative path from the config file's directory.
fn expand(path: &Path, base: Option<&Path>, env: &Env) -> PathBuf {
    if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), env.home()) {
        return home.join(rest);
    }
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_owned(),
    }
}

/// The selected profile and the directory of the file it came from.
fn load_profile(global: &Global, env: &Env) -> Result<(Profile, Option<PathBuf>), CliError> {
    let named_file = global.config.clone().or_else(|| env.get("NAASCTL_CONFIG").map(PathBuf::from));
    let file = named_file.clone().or_else(|| env.xdg("CONFIG", ".config").map(|d| d.join("naas/config.toml")));
    let named_profile = global.profile.clone().or_else(|| env.get("NAASCTL_PROFILE").map(str::to_owned));
    let Some(file) = file else {
        return match named_profile {
            Some(name) => {
                Err(CliError::usage(format!("profile {name:?}: no config file (set NAASCTL_CONFIG or HOME)")))
            }
            None => Ok((Profile::default(), None)),
        };
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named_file.is_none() && named_profile.is_none() => {
            return Ok((Profile::default(), None));
        }
        Err(e) => return Err(CliError::usage(format!("reading config file {}: {e}", file.display()))),
    };
    let config = parse(&text).map_err(|e| CliError::usage(format!("config file {}: {e}", file.display())))?;
    let base = file.parent().map(Path::to_owned);
    let chosen = named_profile.or(config.default_profile.clone());
    match chosen {
        Some(name) => match config.profiles.get(&name) {
            Some(profile) => Ok((profile.clone(), base)),
            None => {
                let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
                Err(CliError::usage(format!(
                    "no profile {name:?} in {} (profiles: {})",
                    file.display(),
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                )))
            }
        },
        None => Ok((config.profiles.get("default").cloned().unwrap_or_default(), base)),
    }
}

fn parse(text: &str) -> Result<FileConfig, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_owned())?;
    if let Some(toml::Value::Table(profiles)) = table.get("profiles") {
        for (name, profile) in profiles {
            for key in ["password", "token", "enable", "nats_password"] {
                if profile.get(key).is_some() {
                    return Err(format!(
                        "profile {name:?}: secrets are not kept in the config file; \
                         name where to find it instead: {key}_env = \"VARIABLE\" or {key}_file = \"PATH\""
                    ));
                }
            }
        }
    }
    toml::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> Global {
        let mut argv = vec!["naasctl"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["job", "get", "x"]);
        crate::args::Cli::try_parse_from(argv).unwrap().global
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("naasctl-config-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const FILE: &str = r#"
default_profile = "lab"
[profiles.lab]
url = "https://lab.example.net:8443/"
ca_file = "lab-ca.pem"
username = "netops"
password_env = "LAB_PW"
context = "lab"
[profiles.prod]
url = "https://prod.example.net:8443"
insecure_skip_verify = true
token_file = "~/prod.token"
"#;

    #[test]
    fn flags_win_over_the_environment_over_the_profile() {
        let dir = temp_dir();
        std::fs::write(dir.join("config.toml"), FILE).unwrap();
        let config = dir.join("config.toml").display().to_string();
        let env = Env::from_pairs([("NAASCTL_CONFIG", config.as_str()), ("HOME", "/home/x"), ("LAB_PW", "pw")]);
        let settings = Settings::resolve(&global(&[]), &env).unwrap();
        assert_eq!(settings.url.as_deref(), Some("https://lab.example.net:8443"));
        assert_eq!(settings.tls, Tls::CaFile(dir.join("lab-ca.pem")));
        assert_eq!(settings.context.as_deref(), Some("lab"));
        let (console, _) = Console::captured();
        let credentials = settings.credentials(&console, true, false).unwrap();
        match credentials.api {
            ApiAuth::Basic { username, password } => {
                assert_eq!((username.as_str(), password.expose().as_str()), ("netops", "pw"))
            }
            ApiAuth::Bearer(_) => panic!("no token configured"),
        }

        let env = Env::from_pairs([
            ("NAASCTL_CONFIG", config.as_str()),
            ("NAASCTL_URL", "https://env.example.net"),
            ("NAASCTL_USERNAME", "other"),
            ("NAASCTL_INSECURE_SKIP_VERIFY", "1"),
            ("HOME", "/home/x"),
        ]);
        let settings = Settings::resolve(&global(&["--username", "flag-user"]), &env).unwrap();
        assert_eq!(settings.url.as_deref(), Some("https://env.example.net"));
        assert_eq!(settings.username.as_deref(), Some("flag-user"));
        assert_eq!(settings.tls, Tls::Insecure, "the environment's choice wins over the profile's CA");
        let settings =
            Settings::resolve(&global(&["--url", "https://flag.example.net", "--profile", "prod"]), &env).unwrap();
        assert_eq!(settings.url.as_deref(), Some("https://flag.example.net"));
        assert!(
            matches!(settings.token, Source::File(ref p) if p == Path::new("/home/x/prod.token")),
            "{:?}",
            settings.token
        );
    }

    #[test]
    fn secrets_in_the_file_unknown_profiles_and_plain_http_are_refused() {
        let dir = temp_dir();
        let path = dir.join("config.toml");
        std::fs::write(&path, "[profiles.default]\nurl = \"https://x\"\npassword = \"hunter2\"\n").unwrap();
        let env = Env::from_pairs([("NAASCTL_CONFIG", path.display().to_string())]);
        let error = Settings::resolve(&global(&[]), &env).unwrap_err().to_string();
        assert!(error.contains("password_env") && !error.contains("hunter2"), "{error}");

        std::fs::write(&path, FILE).unwrap();
        let error = Settings::resolve(&global(&["--profile", "staging"]), &env).unwrap_err().to_string();
        assert!(error.contains("\"staging\"") && error.contains("lab, prod"), "{error}");
        let error = Settings::resolve(&global(&["--url", "http://x"]), &env).unwrap_err().to_string();
        assert!(error.contains("HTTPS only"), "{error}");
        let error = Settings::resolve(&global(&["--ca-file", "a.pem", "--insecure-skip-verify"]), &env).unwrap_err();
        assert!(error.to_string().contains("choose one"), "{error}");
    }

    #[test]
    fn a_missing_default_file_is_fine_but_a_named_one_is_not() {
        let dir = temp_dir();
        let env = Env::from_pairs([("HOME", dir.display().to_string())]);
        let settings = Settings::resolve(&global(&[]), &env).unwrap();
        assert_eq!(settings.url, None);
        assert_eq!(settings.history, Some(dir.join(".local/state/naas/history")));
        let env = Env::from_pairs([("NAASCTL_CONFIG", dir.join("absent.toml").display().to_string())]);
        assert!(Settings::resolve(&global(&[]), &env).is_err());
    }

    #[test]
    fn tokens_need_a_device_login_only_to_submit() {
        let dir = temp_dir();
        std::fs::write(dir.join("token"), "tok-1\n").unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, "[profiles.default]\ntoken_file = \"token\"\n").unwrap();
        let env = Env::from_pairs([("NAASCTL_CONFIG", path.display().to_string())]);
        let settings = Settings::resolve(&global(&[]), &env).unwrap();
        let (console, captured) = Console::captured();
        let credentials = settings.credentials(&console, false, false).unwrap();
        assert!(matches!(credentials.api, ApiAuth::Bearer(ref t) if t.expose() == "tok-1"));
        assert!(captured.stderr().contains("readable by other users") || is_private(&dir.join("token")));
        let error = settings.credentials(&console, true, false).err().unwrap().to_string();
        assert!(error.contains("no username"), "{error}");
        let settings = Settings::resolve(&global(&["-u", "netops"]), &env).unwrap();
        assert!(settings.credentials(&console, true, false).is_err(), "no password, nobody to ask");
        let with_key = settings.credentials(&console, true, true).unwrap();
        assert!(with_key.device.is_some_and(|d| d.password.is_none()));
        let asked = console.with_prompt(|q| {
            assert_eq!(q, "Password for netops: ");
            Ok("typed".into())
        });
        let device = settings.credentials(&asked, true, false).unwrap().device.unwrap();
        assert_eq!(device.password.unwrap().expose(), "typed");
    }

    fn is_private(path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o077 == 0
    }
}
