//! What to simulate: the fleet description, from a TOML file or from quick flags.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

/// Default size of `show tech-support`.
pub const DEFAULT_OUTPUT_SIZE: usize = 64 * 1024;

pub const USAGE: &str = "\
usage: naas-sim --config FILE
       naas-sim [--listen IP] --base-port PORT [--count N] --username USER --password PASS
                [--enable-secret SECRET] [--latency-ms MS] [--output-size BYTES] [--prefix NAME]
                [--platform NAME]

Serves simulated network devices over SSH, one listener per device. Platforms: cisco_ios,
cisco_xe, cisco_nxos, cisco_xr, arista_eos, juniper_junos, dell_os10, linux (default
cisco_ios). Quick flags create
devices <prefix>1..<prefix>N (default r1..rN) on consecutive ports from --base-port
(0 = any free port each). The enable secret defaults to the password.

Config file (TOML):
    listen = \"127.0.0.1\"
    [[devices]]
    hostname = \"r1\"
    port = 10022
    username = \"admin\"
    password = \"admin\"
    enable_secret = \"admin\"
    # platform = \"cisco_ios\", latency_ms = 0, output_size = 65536
    # auth_methods = [\"password\", \"keyboard-interactive\"], drop_idle_after_ms = 0";

/// The whole fleet.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// Address every device listens on (loopback by default).
    #[serde(default = "default_listen")]
    pub listen: IpAddr,
    pub devices: Vec<DeviceSpec>,
}

/// One simulated device.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Hostname shown in the prompt, e.g. `r1`; unique within a fleet.
    pub hostname: String,
    /// `cisco_ios` (default), `cisco_xe`, `cisco_nxos`, `cisco_xr`, `arista_eos`,
    /// `juniper_junos`, `dell_os10` or `linux`; anything else makes `build()` fail.
    #[serde(default = "default_platform")]
    pub platform: String,
    /// 0 = any free port.
    #[serde(default)]
    pub port: u16,
    pub username: String,
    pub password: String,
    /// Empty = `enable` succeeds without asking.
    #[serde(default)]
    pub enable_secret: String,
    /// Delay before the first prompt and before each command's response (the echo is
    /// immediate), as on a slow device or link.
    #[serde(default)]
    pub latency_ms: u64,
    /// Bytes of `show tech-support` output (without the trailing prompt).
    #[serde(default = "default_output_size")]
    pub output_size: usize,
    /// SSH authentication methods offered and accepted; devices configured for
    /// keyboard-interactive only refuse a plain password request.
    #[serde(default = "default_auth_methods")]
    pub auth_methods: Vec<AuthMethod>,
    /// A shell session left idle this long (ms) is found dead by its next input, as when a
    /// firewall between client and device dropped the connection's state: the device
    /// closes the session instead of answering. 0 = never.
    #[serde(default)]
    pub drop_idle_after_ms: u64,
}

/// An SSH authentication method a simulated device offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    Password,
    KeyboardInteractive,
}

impl std::fmt::Debug for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSpec")
            .field("hostname", &self.hostname)
            .field("platform", &self.platform)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("enable_secret", &"<redacted>")
            .field("latency_ms", &self.latency_ms)
            .field("output_size", &self.output_size)
            .field("auth_methods", &self.auth_methods)
            .field("drop_idle_after_ms", &self.drop_idle_after_ms)
            .finish()
    }
}

fn default_listen() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

fn default_platform() -> String {
    "cisco_ios".into()
}

fn default_output_size() -> usize {
    DEFAULT_OUTPUT_SIZE
}

fn default_auth_methods() -> Vec<AuthMethod> {
    vec![AuthMethod::Password, AuthMethod::KeyboardInteractive]
}

impl DeviceSpec {
    /// A Cisco IOS device on any free port, no latency, default output size.
    pub fn cisco_ios(hostname: &str, username: &str, password: &str, enable_secret: &str) -> Self {
        Self::new(&default_platform(), hostname, username, password, enable_secret)
    }

    /// A device of any platform on any free port, no latency, default output size.
    pub fn new(platform: &str, hostname: &str, username: &str, password: &str, enable_secret: &str) -> Self {
        Self {
            hostname: hostname.into(),
            platform: platform.into(),
            port: 0,
            username: username.into(),
            password: password.into(),
            enable_secret: enable_secret.into(),
            latency_ms: 0,
            output_size: DEFAULT_OUTPUT_SIZE,
            auth_methods: default_auth_methods(),
            drop_idle_after_ms: 0,
        }
    }
}

impl SimSettings {
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Parses the command line (without the program name). `Ok(None)` means help was asked for.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> anyhow::Result<Option<Self>> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                return Ok(None);
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = || match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().with_context(|| format!("{name} needs a value")),
            };
            match name.as_str() {
                "--config" => flags.config = Some(value()?),
                "--listen" => flags.listen = Some(value()?.parse().context("--listen: not an IP address")?),
                "--base-port" => flags.base_port = Some(value()?.parse().context("--base-port: not a port")?),
                "--count" => flags.count = value()?.parse().context("--count: not a number")?,
                "--username" => flags.username = Some(value()?),
                "--password" => flags.password = Some(value()?),
                "--enable-secret" => flags.enable_secret = Some(value()?),
                "--latency-ms" => flags.latency_ms = value()?.parse().context("--latency-ms: not a number")?,
                "--output-size" => flags.output_size = value()?.parse().context("--output-size: not a number")?,
                "--prefix" => flags.prefix = value()?,
                "--platform" => flags.platform = value()?,
                other => bail!("unknown argument {other:?}"),
            }
        }
        flags.into_settings().map(Some)
    }
}

struct Flags {
    config: Option<String>,
    listen: Option<IpAddr>,
    base_port: Option<u16>,
    count: u16,
    username: Option<String>,
    password: Option<String>,
    enable_secret: Option<String>,
    latency_ms: u64,
    output_size: usize,
    prefix: String,
    platform: String,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            config: None,
            listen: None,
            base_port: None,
            count: 1,
            username: None,
            password: None,
            enable_secret: None,
            latency_ms: 0,
            output_size: DEFAULT_OUTPUT_SIZE,
            prefix: "r".into(),
            platform: default_platform(),
        }
    }
}

impl Flags {
    fn into_settings(self) -> anyhow::Result<SimSettings> {
        if let Some(path) = &self.config {
            let mut settings = SimSettings::from_file(Path::new(path))?;
            if let Some(listen) = self.listen {
                settings.listen = listen;
            }
            return Ok(settings);
        }
        let base_port = self.base_port.context("--base-port (or --config) is required")?;
        let username = self.username.context("--username is required")?;
        let password = self.password.context("--password is required")?;
        let enable_secret = self.enable_secret.unwrap_or_else(|| password.clone());
        if self.count == 0 {
            bail!("--count must be at least 1");
        }
        let mut devices = Vec::new();
        for n in 0..self.count {
            let port = if base_port == 0 {
                0
            } else {
                base_port.checked_add(n).context("ports run past 65535; lower --base-port or --count")?
            };
            let name = format!("{}{}", self.prefix, n + 1);
            let mut device = DeviceSpec::new(&self.platform, &name, &username, &password, &enable_secret);
            device.port = port;
            device.latency_ms = self.latency_ms;
            device.output_size = self.output_size;
            devices.push(device);
        }
        Ok(SimSettings { listen: self.listen.unwrap_or_else(default_listen), devices })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn quick_flags_make_consecutive_devices() {
        let s = SimSettings::from_args(args("--base-port 10022 --count 3 --username a --password b --latency-ms=5"))
            .unwrap()
            .unwrap();
        assert_eq!(s.listen, default_listen());
        let names: Vec<_> = s.devices.iter().map(|d| (d.hostname.as_str(), d.port)).collect();
        assert_eq!(names, [("r1", 10022), ("r2", 10023), ("r3", 10024)]);
        assert_eq!(s.devices[0].enable_secret, "b");
        assert_eq!(s.devices[2].latency_ms, 5);
        assert_eq!(s.devices[2].platform, "cisco_ios");
        let s = SimSettings::from_args(args("--base-port 0 --username a --password b --platform juniper_junos"));
        assert_eq!(s.unwrap().unwrap().devices[0].platform, "juniper_junos");
    }

    #[test]
    fn bad_flags_are_errors_and_help_is_none() {
        assert!(SimSettings::from_args(args("--count 2")).is_err());
        assert!(SimSettings::from_args(args("--bogus 1")).is_err());
        assert!(SimSettings::from_args(args("--help")).unwrap().is_none());
    }

    #[test]
    fn toml_fills_defaults_and_debug_hides_secrets() {
        let s = SimSettings::from_toml(
            "[[devices]]\nhostname = \"r1\"\nusername = \"u\"\npassword = \"hunter2\"\nenable_secret = \"en\"\n",
        )
        .unwrap();
        let d = &s.devices[0];
        assert_eq!((d.platform.as_str(), d.port, d.output_size), ("cisco_ios", 0, DEFAULT_OUTPUT_SIZE));
        assert_eq!(d.auth_methods, default_auth_methods());
        assert!(!format!("{s:?}").contains("hunter2"));
        let s = SimSettings::from_toml(
            "[[devices]]\nhostname = \"r1\"\nusername = \"u\"\npassword = \"p\"\n\
             auth_methods = [\"keyboard-interactive\"]\n",
        )
        .unwrap();
        assert_eq!(s.devices[0].auth_methods, [AuthMethod::KeyboardInteractive]);
    }
}
