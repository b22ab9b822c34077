//! Domain values that parse on construction, so an invalid one cannot travel.

use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a value was refused; the message names what is wrong, never echoes secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(message: impl Into<String>) -> Invalid {
    Invalid(message.into())
}

/// A job's identity: a random UUID, also the JetStream `Nats-Msg-Id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(Uuid);

impl JobId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Uuid::try_parse(text).map(Self).map_err(|_| invalid("job id must be a UUID"))
    }

    /// The id's 16 bytes, big-endian as written (the last ones are random in every id
    /// naas makes).
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

/// A device address: an IPv4/IPv6 literal or an RFC 1123 host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Host(String);

impl Host {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return Ok(Self(ip.to_string()));
        }
        if text.is_empty() || text.len() > 253 {
            return Err(invalid("host must be an IP address or a host name of 1-253 characters"));
        }
        let labels_ok = text.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        // A name made only of digits and dots is a malformed IPv4 address, not a name.
        let all_numeric = text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if !labels_ok || all_numeric {
            return Err(invalid("host must be an IPv4/IPv6 address or an RFC 1123 host name"));
        }
        Ok(Self(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Host {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Host> for String {
    fn from(value: Host) -> Self {
        value.0
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_-]{1,64}$").unwrap());
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_\-:]{1,64}$").unwrap());

/// A job context: selects the queue (`<prefix>.jobs.<context>.<kind>`), so it must be one
/// NATS subject token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Context(String);

impl Context {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if TOKEN.is_match(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid("context must be 1-64 characters of letters, digits, '_' or '-'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Context {
    fn default() -> Self {
        Self("default".into())
    }
}

impl TryFrom<String> for Context {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Context> for String {
    fn from(value: Context) -> Self {
        value.0
    }
}

/// A `key:value` tag on a job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub const MAX_PER_JOB: usize = 10;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if TAG.is_match(text) && text.contains(':') && !text.starts_with(':') {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid("a tag is 'key:value', 1-64 characters of letters, digits, '_', '-' or ':'"))
        }
    }
}

impl TryFrom<String> for Tag {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Tag> for String {
    fn from(value: Tag) -> Self {
        value.0
    }
}

/// The commands of a send-command job: at least one, none blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct CommandList(Vec<String>);

impl CommandList {
    pub const MAX: usize = 1000;
    pub const MAX_LEN: usize = 4096;

    pub fn parse(commands: Vec<String>) -> Result<Self, Invalid> {
        if commands.is_empty() {
            return Err(invalid("must hold at least one command"));
        }
        if commands.len() > Self::MAX {
            return Err(invalid(format!("at most {} commands per job", Self::MAX)));
        }
        for (i, c) in commands.iter().enumerate() {
            if c.trim().is_empty() {
                return Err(invalid(format!("command {i} is blank")));
            }
            if c.len() > Self::MAX_LEN || c.contains(['\n', '\r']) || c.chars().any(|ch| ch.is_control() && ch != '\t')
            {
                return Err(invalid(format!(
                    "command {i} must be one line of at most {} characters without control characters",
                    Self::MAX_LEN
                )));
            }
        }
        Ok(Self(commands))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<String>> for CommandList {
    type Error = Invalid;
    fn try_from(value: Vec<String>) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<CommandList> for Vec<String> {
    fn from(value: CommandList) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in ["10.0.0.1", "::1", "[2001:db8::1]", "core-sw1.example.net", "R1"] {
            assert!(Host::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-bad.example", "a..b", "300.1.1.1", "1.2.3", "has space", "x_y.example", "a/b"] {
            assert!(Host::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Host::parse("[::1]").unwrap().as_str(), "::1");
    }

    #[test]
    fn commands() {
        assert!(CommandList::parse(vec![]).is_err());
        assert!(CommandList::parse(vec!["  ".into()]).is_err());
        assert!(CommandList::parse(vec!["show ver\nreload".into()]).is_err());
        assert_eq!(CommandList::parse(vec!["show version".into()]).unwrap().len(), 1);
    }

    #[test]
    fn contexts_and_tags() {
        assert!(Context::parse("default").is_ok());
        assert!(Context::parse("a.b").is_err());
        assert!(Context::parse("*").is_err());
        assert!(Tag::parse("site:lon1").is_ok());
        assert!(Tag::parse("nocolon").is_err());
        assert!(Tag::parse("bad tag:x").is_err());
    }

    #[test]
    fn job_ids_round_trip() {
        let id = JobId::new();
        assert_eq!(JobId::parse(&id.to_string()).unwrap(), id);
        assert!(JobId::parse("nope").is_err());
    }
}
