//! Validation of a job submission body. Every field is checked and every problem named at
//! once, so a caller fixes their request in one round trip.

use naas_shared::config::JobSettings;
use naas_shared::domain::{CommandList, Context, Host, Tag};
use naas_shared::platform::Platforms;
use naas_shared::secret::Secret;
use serde_json::{Map, Value};

use crate::error::FieldError;

/// A submission that passed validation.
#[derive(Debug)]
pub struct Submission {
    pub host: Host,
    pub port: u16,
    pub platform: String,
    pub commands: CommandList,
    pub enable: Option<Secret<String>>,
    pub read_timeout_secs: u64,
    pub conn_timeout_secs: u64,
    pub context: Context,
    pub tags: Vec<Tag>,
}

/// Fields of the contract this server does not act on yet; sending them is an error rather
/// than a silent no-op.
const NOT_YET_SUPPORTED: &[&str] = &["expect_string", "save_config", "commit", "webhook_url"];

struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn present(&self, name: &str) -> Option<&'a Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn string(&mut self, name: &str) -> Option<&'a str> {
        match self.present(name)? {
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.fail(name, "must be a string");
                None
            }
        }
    }

    fn integer(&mut self, name: &str, min: u64, max: u64) -> Option<u64> {
        let value = self.present(name)?;
        match value.as_u64().filter(|n| (min..=max).contains(n)) {
            Some(n) => Some(n),
            None => {
                self.fail(name, format!("must be an integer from {min} to {max}"));
                None
            }
        }
    }

    fn string_list(&mut self, name: &str) -> Option<Vec<String>> {
        let value = self.present(name)?;
        let list = value
            .as_array()
            .and_then(|items| items.iter().map(|i| i.as_str().map(str::to_owned)).collect::<Option<Vec<String>>>());
        if list.is_none() {
            self.fail(name, "must be a list of strings");
        }
        list
    }
}

/// Checks a send-command body.
pub fn send_command(body: &Value, platforms: &Platforms, limits: &JobSettings) -> Result<Submission, Vec<FieldError>> {
    let Some(object) = body.as_object() else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    let mut f = Fields { body: object, errors: Vec::new() };

    let host = match f.string("host") {
        Some(text) => Host::parse(text).map_err(|e| f.fail("host", e.0)).ok(),
        None => {
            if !f.errors.iter().any(|e| e.field == "host") {
                f.fail("host", "is required");
            }
            None
        }
    };
    let port = f.integer("port", 1, 65535).unwrap_or(22) as u16;
    let platform = f.string("platform").unwrap_or("cisco_ios").to_owned();
    if platforms.get(&platform).is_none() {
        let known = platforms.names().join(", ");
        f.fail("platform", format!("unknown platform {platform:?}; supported: {known}"));
    }
    let commands = match f.present("commands") {
        None => {
            f.fail("commands", "is required: a non-empty list of commands");
            None
        }
        Some(_) => f
            .string_list("commands")
            .and_then(|list| CommandList::parse(list).map_err(|e| f.fail("commands", e.0)).ok()),
    };
    let enable = f.string("enable").map(|s| Secret::new(s.to_owned()));
    let read_timeout_secs =
        f.integer("read_timeout", 1, limits.max_read_timeout_secs).unwrap_or(limits.default_read_timeout_secs);
    let conn_timeout_secs =
        f.integer("conn_timeout", 1, limits.max_conn_timeout_secs).unwrap_or(limits.default_conn_timeout_secs);
    let context = match f.string("context") {
        Some(text) => Context::parse(text).map_err(|e| f.fail("context", e.0)).ok(),
        None => Some(Context::default()),
    };
    let tags = match f.string_list("tags") {
        Some(list) if list.len() > Tag::MAX_PER_JOB => {
            f.fail("tags", format!("at most {} tags", Tag::MAX_PER_JOB));
            None
        }
        Some(list) => {
            list.iter().map(|t| Tag::parse(t)).collect::<Result<Vec<_>, _>>().map_err(|e| f.fail("tags", e.0)).ok()
        }
        None => Some(Vec::new()),
    };
    for name in ["username", "password"] {
        if f.present(name).is_some() {
            f.fail(name, "device credentials come in the Authorization header with HTTP Basic");
        }
    }
    for name in NOT_YET_SUPPORTED {
        if f.present(name).is_some() {
            f.fail(name, "is not supported by this server yet");
        }
    }

    match (host, commands, context, tags) {
        (Some(host), Some(commands), Some(context), Some(tags)) if f.errors.is_empty() => Ok(Submission {
            host,
            port,
            platform,
            commands,
            enable,
            read_timeout_secs,
            conn_timeout_secs,
            context,
            tags,
        }),
        _ => Err(f.errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use naas_shared::config::Settings;
    use serde_json::json;

    fn check(body: Value) -> Result<Submission, Vec<FieldError>> {
        send_command(&body, &Platforms::builtin(), &Settings::defaults().jobs)
    }

    fn fields(body: Value) -> Vec<String> {
        check(body).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn minimal_body_gets_defaults() {
        let s = check(json!({"host": "10.0.0.1", "commands": ["show version"]})).unwrap();
        assert_eq!((s.port, s.platform.as_str(), s.read_timeout_secs, s.conn_timeout_secs), (22, "cisco_ios", 30, 10));
        assert_eq!(s.context.as_str(), "default");
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(fields(json!({})), ["host", "commands"]);
        assert_eq!(
            fields(
                json!({"host": 5, "port": 70000, "platform": "vax_vms", "commands": [], "read_timeout": "x", "tags": ["nocolon"]})
            ),
            ["host", "port", "platform", "commands", "read_timeout", "tags"]
        );
        assert_eq!(fields(json!({"host": "bad host", "commands": ["show x", " "]})), ["host", "commands"]);
        assert_eq!(fields(json!({"host": "r1", "commands": "show version"})), ["commands"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["a"], "context": "a.b"})), ["context"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["a"], "password": "x"})), ["password"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["a"], "webhook_url": "https://x"})), ["webhook_url"]);
        assert_eq!(fields(json!([1, 2])), ["body"]);
    }

    #[test]
    fn unknown_platform_lists_the_supported_ones() {
        let errors = check(json!({"host": "r1", "commands": ["a"], "platform": "nope"})).unwrap_err();
        assert!(errors[0].message.contains("cisco_ios"), "{errors:?}");
    }
}
