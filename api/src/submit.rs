//! Validation of a job submission body. Every field is checked and every problem named at
//! once, so a caller fixes their request in one round trip.

use naas_nats::{JobSpec, Structured};
use naas_shared::config::{JobSettings, WebhookSettings};
use naas_shared::domain::{CommandList, Context, Host, Tag};
use naas_shared::job::{ConfigOptions, DeviceCredentials, JobKind, JumpHostSpec};
use naas_shared::platform::{AUTODETECT, Platforms};
use naas_shared::secret::Secret;
use serde_json::{Map, Value};

use crate::error::FieldError;

/// A submission that passed validation: the job as it will travel (its webhook URL
/// checked against `webhooks` policy) and the secrets that travel sealed beside it.
#[derive(Debug)]
pub struct Submission {
    pub job: JobSpec,
    pub enable: Option<Secret<String>>,
    pub jump_password: Option<Secret<String>>,
    /// Device credentials from the body (API key callers).
    pub login: Option<DeviceCredentials>,
}

/// Longest TextFSM template a caller may send, bytes.
pub const MAX_TEMPLATE_BYTES: usize = 65536;

/// A send-command-structured body: a send-command body plus, optionally, the caller's own
/// TextFSM template (`textfsm_template`, as NAAS names it, or `template`), which must
/// compile. Every problem is named at once, as for [`parse`].
pub fn parse_structured(
    body: &Value,
    platforms: &Platforms,
    limits: &JobSettings,
    webhooks: &WebhookSettings,
    credentials_in_body: bool,
) -> Result<Submission, Vec<FieldError>> {
    let (parsed, mut errors) = match parse(body, JobKind::Command, platforms, limits, webhooks, credentials_in_body) {
        Ok(submission) => (Some(submission), Vec::new()),
        Err(errors) => (None, errors),
    };
    let object = body.as_object();
    let field = |name: &str| object.and_then(|o| o.get(name)).filter(|v| !v.is_null());
    if field("ttp_template").is_some() {
        errors.push(FieldError::new("ttp_template", "TTP templates are not supported; send a TextFSM template"));
    }
    let template = match (field("textfsm_template"), field("template")) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new("template", "give the template once: textfsm_template or template"));
            None
        }
        (Some(value), None) => check_template("textfsm_template", value, &mut errors),
        (None, Some(value)) => check_template("template", value, &mut errors),
        (None, None) => None,
    };
    if parsed.as_ref().is_some_and(|s| s.job.platform == AUTODETECT) {
        errors.push(FieldError::new("platform", "templates are chosen by platform: autodetect is not accepted here"));
    }
    match parsed {
        Some(mut submission) if errors.is_empty() => {
            submission.job.structured = Some(Structured { template });
            Ok(submission)
        }
        _ => Err(errors),
    }
}

/// A caller's TextFSM template: text of at most [`MAX_TEMPLATE_BYTES`] that compiles.
fn check_template(name: &str, value: &Value, errors: &mut Vec<FieldError>) -> Option<String> {
    let Some(text) = value.as_str() else {
        errors.push(FieldError::new(name, "must be a string: the text of a TextFSM template"));
        return None;
    };
    if text.len() > MAX_TEMPLATE_BYTES {
        errors.push(FieldError::new(name, format!("at most {MAX_TEMPLATE_BYTES} bytes")));
        return None;
    }
    match naas_textfsm::Template::parse(text) {
        Ok(_) => Some(text.to_owned()),
        Err(error) => {
            errors.push(FieldError::new(name, format!("not a valid TextFSM template: {error}")));
            None
        }
    }
}

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

    /// A string typed at the device (login, password, enable secret): one line without
    /// control characters, see [`device_line_ok`].
    fn device_string(&mut self, name: &str) -> Option<&'a str> {
        let text = self.string(name)?;
        if !device_line_ok(text) {
            self.fail(name, DEVICE_LINE);
            return None;
        }
        Some(text)
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

    /// A number of seconds, whole or not (netmiko takes floats, NAAS callers send `3.0`):
    /// above 0, fractions rounded up, at most `max` once rounded.
    fn seconds(&mut self, name: &str, max: u64) -> Option<u64> {
        let value = self.present(name)?;
        match value.as_f64().filter(|s| s.is_finite() && *s > 0.0).map(f64::ceil).filter(|s| *s <= max as f64) {
            Some(seconds) => Some(seconds as u64),
            None => {
                self.fail(name, format!("must be a number of seconds above 0 and at most {max}"));
                None
            }
        }
    }

    /// A required list of one-line strings. With `text_allowed`, one string holding
    /// several lines is accepted too (blank lines dropped), as netmiko accepts it.
    fn lines(&mut self, name: &str, what: &str, text_allowed: bool) -> Option<CommandList> {
        let list = match self.present(name) {
            None => {
                self.fail(name, format!("is required: {what}"));
                return None;
            }
            Some(Value::String(text)) if text_allowed => {
                text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
            }
            Some(_) => self.string_list(name)?,
        };
        CommandList::parse(list).map_err(|e| self.fail(name, e.0)).ok()
    }

    fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.present(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(name, "must be true or false");
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

/// `{"host", "port"?, "username", "password"?, "ssh_key"?}`; an error names the member
/// (`jump_host.password`) when one is at fault.
fn jump_host(value: &Value) -> Result<(Option<JumpHostSpec>, Option<Secret<String>>), FieldError> {
    let whole = |message: &str| FieldError::new("jump_host", message);
    let object =
        value.as_object().ok_or_else(|| whole("must be an object: {host, port, username, password or ssh_key}"))?;
    let text = |name: &str| object.get(name).and_then(Value::as_str);
    let host = Host::parse(text("host").ok_or_else(|| whole("needs \"host\""))?).map_err(|e| whole(&e.0))?;
    let port = match object.get("port") {
        None => 22,
        Some(p) => {
            p.as_u64().filter(|p| (1..=65535).contains(p)).ok_or_else(|| whole("\"port\" must be 1-65535"))? as u16
        }
    };
    let username = text("username").filter(|u| !u.is_empty()).ok_or_else(|| whole("needs \"username\""))?.to_owned();
    let ssh_key = text("ssh_key").map(str::to_owned);
    if ssh_key.as_deref().is_some_and(|k| !key_name_ok(k)) {
        return Err(whole("\"ssh_key\" names a key in the key store"));
    }
    let password = text("password").filter(|p| !p.is_empty()).map(|p| Secret::new(p.to_owned()));
    if password.is_none() && ssh_key.is_none() {
        return Err(whole("needs \"password\" or \"ssh_key\""));
    }
    for (name, value) in
        [("username", Some(username.as_str())), ("password", password.as_ref().map(|p| p.expose().as_str()))]
    {
        if value.is_some_and(|v| !device_line_ok(v)) {
            return Err(FieldError::new(format!("jump_host.{name}"), DEVICE_LINE));
        }
    }
    Ok((Some(JumpHostSpec { host, port, username, ssh_key }), password))
}

/// The HTTP Basic login of a job submission is the device login: the same rule as for the
/// body's `username` and `password`, and the same field names.
pub fn basic_login_problems(login: &DeviceCredentials) -> Vec<FieldError> {
    [("username", login.username.as_str()), ("password", login.password.expose().as_str())]
        .into_iter()
        .filter(|(_, value)| !device_line_ok(value))
        .map(|(name, _)| FieldError::new(name, format!("(HTTP Basic) {DEVICE_LINE}")))
        .collect()
}

/// Why a device-bound value was refused. It never echoes the value: most are secrets.
pub const DEVICE_LINE: &str = "must be one line without control characters (the device would read the rest as input)";

/// Whether a value typed at a device (a login, a password, an enable secret) is one line
/// without control characters. A newline in an `enable` secret would end the secret early
/// and the device would run what follows as a command; an escape or a NUL can drive the
/// terminal. Unicode line and paragraph separators count as line breaks.
pub fn device_line_ok(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

/// A key store name: a plain file name, never a path.
fn key_name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Checks a submission body. With `credentials_in_body` (API key callers) the device
/// `username`/`password` are required in the body; with Basic auth they are refused there.
pub fn parse(
    body: &Value,
    kind: JobKind,
    platforms: &Platforms,
    limits: &JobSettings,
    webhooks: &WebhookSettings,
    credentials_in_body: bool,
) -> Result<Submission, Vec<FieldError>> {
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
    if platform == AUTODETECT {
        // A configuration written for one OS, pushed to a guessed one, is not a risk worth
        // taking: configuration jobs name their platform.
        if kind == JobKind::Config {
            f.fail("platform", "autodetect applies to send-command only; name the device's platform");
        }
    } else if platforms.get(&platform).is_none() {
        let known = platforms.names().join(", ");
        f.fail("platform", format!("unknown platform {platform:?}; supported: {known}, {AUTODETECT} (send-command)"));
    }
    let commands = match kind {
        JobKind::Command => f.lines("commands", "a non-empty list of commands", false),
        JobKind::Config => f.lines("config", "a non-empty list of configuration lines", true),
    };
    let mut config = ConfigOptions::default();
    match kind {
        JobKind::Config => {
            config.save_config = f.boolean("save_config").unwrap_or(false);
            config.commit = f.boolean("commit").unwrap_or(false);
            config.stop_on_error = f.boolean("stop_on_error").unwrap_or(true);
            config.commit_confirmed_minutes = f.integer("commit_confirmed", 1, 60).map(|m| m as u32);
            if config.commit_confirmed_minutes.is_some() && !config.commit {
                f.fail("commit_confirmed", "needs \"commit\": true");
            }
            let supports = |what: Option<&String>| what.is_some();
            if let Some(p) = platforms.get(&platform) {
                if config.commit && !supports(p.file.commit.as_ref()) {
                    f.fail("commit", format!("platform {platform} has no commit; use save_config"));
                }
                if config.save_config && !supports(p.file.save.as_ref()) {
                    f.fail("save_config", format!("platform {platform} has no save command"));
                }
            }
        }
        JobKind::Command => {
            for name in ["save_config", "commit", "commit_confirmed", "stop_on_error"] {
                if f.present(name).is_some() {
                    f.fail(name, "applies to send-config only");
                }
            }
        }
    }
    let enable = f.device_string("enable").map(|s| Secret::new(s.to_owned()));
    let ssh_key = f.string("ssh_key").map(str::to_owned);
    let legacy_ssh = f.boolean("legacy_ssh").unwrap_or(false);
    let expect_string = f.string("expect_string").map(str::to_owned);
    if let Some(pattern) = &expect_string {
        if kind == JobKind::Config {
            f.fail("expect_string", "applies to send-command only");
        } else if pattern.is_empty() || pattern.len() > 512 || regex::Regex::new(pattern).is_err() {
            f.fail("expect_string", "must be a regular expression of 1-512 characters");
        }
    }
    let (jump_host, jump_password) = match f.present("jump_host") {
        None => (None, None),
        Some(value) => match jump_host(value) {
            Ok(parsed) => parsed,
            Err(error) => {
                f.errors.push(error);
                (None, None)
            }
        },
    };
    if ssh_key.as_deref().is_some_and(|name| !key_name_ok(name)) {
        f.fail("ssh_key", "names a key in the key store: 1-64 letters, digits, '.', '_' or '-'");
    }
    let read_timeout_secs =
        f.seconds("read_timeout", limits.max_read_timeout_secs).unwrap_or(limits.default_read_timeout_secs);
    let conn_timeout_secs =
        f.seconds("conn_timeout", limits.max_conn_timeout_secs).unwrap_or(limits.default_conn_timeout_secs);
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
    let login = if credentials_in_body {
        let username = f.device_string("username").filter(|u| !u.is_empty()).map(str::to_owned);
        let password = f.device_string("password").map(|p| Secret::new(p.to_owned()));
        if username.is_none() && !f.errors.iter().any(|e| e.field == "username") {
            f.fail("username", "is required: the device login (API key callers send device credentials in the body)");
        }
        username.map(|username| DeviceCredentials {
            username,
            password: password.unwrap_or_default(),
            enable: None,
            jump_password: None,
        })
    } else {
        for name in ["username", "password"] {
            if f.present(name).is_some() {
                f.fail(name, "with HTTP Basic, the device credentials are the Basic credentials");
            }
        }
        None
    };
    let webhook_url = f.string("webhook_url").and_then(|text| match naas_shared::webhook::check_url(text, webhooks) {
        Ok(url) => Some(url.to_string()),
        Err(message) => {
            f.fail("webhook_url", message);
            None
        }
    });

    match (host, commands, context, tags) {
        (Some(host), Some(commands), Some(context), Some(tags)) if f.errors.is_empty() => Ok(Submission {
            job: JobSpec {
                context,
                host,
                port,
                platform,
                commands,
                config,
                ssh_key,
                legacy_ssh,
                jump_host,
                expect_string,
                structured: None,
                read_timeout_secs,
                conn_timeout_secs,
                tags,
                webhook_url,
            },
            enable,
            jump_password,
            login,
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
        parse(
            &body,
            JobKind::Command,
            &Platforms::builtin(),
            &Settings::defaults().jobs,
            &Settings::defaults().webhooks,
            false,
        )
    }

    fn fields(body: Value) -> Vec<String> {
        check(body).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn minimal_body_gets_defaults() {
        let s = check(json!({"host": "10.0.0.1", "commands": ["show version"]})).unwrap();
        assert_eq!(
            (s.job.port, s.job.platform.as_str(), s.job.read_timeout_secs, s.job.conn_timeout_secs),
            (22, "cisco_ios", 30, 10)
        );
        assert_eq!(s.job.context.as_str(), "default");
    }

    #[test]
    fn timeouts_take_any_number_of_seconds_and_round_fractions_up() {
        let timeouts = |read: Value, conn: Value| {
            check(json!({"host": "r1", "commands": ["a"], "read_timeout": read, "conn_timeout": conn}))
                .map(|s| (s.job.read_timeout_secs, s.job.conn_timeout_secs))
                .map_err(|errors| errors.into_iter().map(|e| e.field).collect::<Vec<_>>())
        };
        assert_eq!(timeouts(json!(30.0), json!(3.0)), Ok((30, 3)));
        assert_eq!(timeouts(json!(2.5), json!(0.1)), Ok((3, 1)));
        assert_eq!(timeouts(json!(7), json!(10)), Ok((7, 10)));
        let limits = Settings::defaults().jobs;
        let max = limits.max_read_timeout_secs as f64;
        assert_eq!(timeouts(json!(max), json!(1)), Ok((limits.max_read_timeout_secs, 1)));
        assert_eq!(
            timeouts(json!(max + 0.5), json!(0)),
            Err(vec!["read_timeout".to_owned(), "conn_timeout".to_owned()])
        );
        assert_eq!(timeouts(json!(-1.5), json!("3")), Err(vec!["read_timeout".to_owned(), "conn_timeout".to_owned()]));
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
        assert_eq!(fields(json!({"host": "r1", "commands": ["a"], "save_config": true})), ["save_config"]);
        assert_eq!(fields(json!([1, 2])), ["body"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["a"], "ssh_key": "../etc/shadow"})), ["ssh_key"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["a"], "jump_host": {"host": "b1"}})), ["jump_host"]);
        assert_eq!(
            fields(json!({"host": "r1", "commands": ["a"], "jump_host": {"host": "b1", "username": "u"}})),
            ["jump_host"]
        );
        assert!(
            check(
                json!({"host": "r1", "commands": ["a"], "jump_host": {"host": "b1", "username": "u", "password": "p"}})
            )
            .is_ok()
        );
    }

    #[test]
    fn config_bodies() {
        let (limits, webhooks) = (Settings::defaults().jobs, Settings::defaults().webhooks);
        let check = |body: Value| parse(&body, JobKind::Config, &Platforms::builtin(), &limits, &webhooks, false);
        let s =
            check(json!({"host": "r1", "config": "interface Lo1\n description x\n\n", "save_config": true})).unwrap();
        assert_eq!(s.job.commands.as_slice(), ["interface Lo1", " description x"]);
        assert!(s.job.config.save_config && s.job.config.stop_on_error);
        let errors: Vec<String> = check(json!({"host": "r1", "config": [], "commit": true}))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(errors, ["config", "commit"]);
        assert!(check(json!({"host": "r1", "config": ["x"], "commit_confirmed": 5})).is_err());
    }

    #[test]
    fn structured_bodies_check_the_template() {
        let (limits, webhooks) = (Settings::defaults().jobs, Settings::defaults().webhooks);
        let check = |body: Value| parse_structured(&body, &Platforms::builtin(), &limits, &webhooks, false);
        let plain = check(json!({"host": "r1", "commands": ["show version"]})).unwrap();
        assert_eq!(plain.job.structured, Some(Structured { template: None }));
        let template = "Value V (\\S+)\n\nStart\n  ^Version ${V}\n";
        let own = check(json!({"host": "r1", "commands": ["show version"], "textfsm_template": template})).unwrap();
        assert_eq!(own.job.structured.unwrap().template.as_deref(), Some(template));
        assert!(check(json!({"host": "r1", "commands": ["x"], "template": template})).is_ok());
        let fields = |body: Value| check(body).unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(json!({"host": "r1", "commands": ["x"], "template": "Value V (x)\nStart\n"})), ["template"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["x"], "textfsm_template": 5})), ["textfsm_template"]);
        assert_eq!(fields(json!({"host": "r1", "commands": [], "template": "nope"})), ["commands", "template"]);
        assert_eq!(fields(json!({"host": "r1", "commands": ["x"], "ttp_template": "x"})), ["ttp_template"]);
        let errors = check(json!({"host": "r1", "commands": ["x"], "template": "Value V (x\n\nStart\n"})).unwrap_err();
        assert!(errors[0].message.contains("line 1"), "{errors:?}");
    }

    #[test]
    fn device_bound_values_are_one_line_without_control_characters() {
        let (limits, webhooks) = (Settings::defaults().jobs, Settings::defaults().webhooks);
        let in_body = |body: Value| parse(&body, JobKind::Command, &Platforms::builtin(), &limits, &webhooks, true);
        let named = |body: Value| in_body(body).unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        let base = || json!({"host": "r1", "commands": ["show version"], "username": "u", "password": "p"});
        for hostile in ["s3cret\nreload", "a\rb", "nul\0", "esc\u{1b}[2J", "tab\t", "del\u{7f}", "ls\u{2028}x"] {
            for field in ["enable", "username", "password"] {
                let mut body = base();
                body[field] = hostile.into();
                assert_eq!(named(body), [field], "{field} = {hostile:?}");
            }
            for member in ["username", "password"] {
                let mut body = base();
                body["jump_host"] = json!({"host": "b1", "username": "j", "password": "jp"});
                body["jump_host"][member] = hostile.into();
                let errors = in_body(body).unwrap_err();
                assert_eq!(errors[0].field, format!("jump_host.{member}"), "{member} = {hostile:?}");
                assert!(!errors[0].message.contains(hostile), "the value is never echoed");
            }
        }
        let fine =
            json!({"host": "r1", "commands": ["x"], "username": "ünï cödé", "password": "p@ss w0rd!", "enable": "é"});
        assert!(in_body(fine).is_ok());
        let login = |username: &str, password: &str| DeviceCredentials {
            username: username.into(),
            password: Secret::new(password.into()),
            enable: None,
            jump_password: None,
        };
        assert!(basic_login_problems(&login("netops", "pw")).is_empty());
        let fields: Vec<String> =
            basic_login_problems(&login("net\nops", "p\rw")).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["username", "password"]);
    }

    #[test]
    fn unknown_platform_lists_the_supported_ones() {
        let errors = check(json!({"host": "r1", "commands": ["a"], "platform": "nope"})).unwrap_err();
        assert!(errors[0].message.contains("cisco_ios") && errors[0].message.contains("autodetect"), "{errors:?}");
    }

    #[test]
    fn autodetect_is_for_send_command_only() {
        let (limits, webhooks) = (Settings::defaults().jobs, Settings::defaults().webhooks);
        let platforms = Platforms::builtin();
        let command = json!({"host": "r1", "commands": ["show clock"], "platform": "autodetect"});
        assert_eq!(check(command.clone()).unwrap().job.platform, "autodetect");
        let config = json!({"host": "r1", "config": ["hostname r2"], "platform": "autodetect"});
        let errors = parse(&config, JobKind::Config, &platforms, &limits, &webhooks, false).unwrap_err();
        assert_eq!(errors[0].field, "platform", "{errors:?}");
        let errors = parse_structured(&command, &platforms, &limits, &webhooks, false).unwrap_err();
        assert_eq!(errors[0].field, "platform", "{errors:?}");
    }
}
