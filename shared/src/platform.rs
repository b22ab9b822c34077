//! Platform behaviour as data: one definition per network OS.
//!
//! Prompts, paging, privilege escalation, configuration mode, error patterns and how to
//! save or close are described in a TOML file per platform, so supporting a new OS means
//! writing a file, not touching the session code. The built-in definitions live in
//! `shared/platforms/` and are compiled in.

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

const BUILTIN: &[(&str, &str)] = &[("cisco_ios", include_str!("../platforms/cisco_ios.toml"))];

/// A platform definition as written in its file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFile {
    pub name: String,
    pub prompt: String,
    pub user_sigil: String,
    pub privileged_sigil: String,
    #[serde(default)]
    pub on_open: Vec<String>,
    pub enable_command: Option<String>,
    pub password_prompt: String,
    pub pager: Option<String>,
    pub config_enter: Option<String>,
    pub config_exit: Option<String>,
    pub save: Option<String>,
    /// Commit command for platforms with a candidate configuration; `{comment}` is
    /// replaced by a comment naming the job.
    pub commit: Option<String>,
    /// The same with automatic rollback; `{minutes}` and `{comment}` are replaced.
    pub commit_confirmed: Option<String>,
    #[serde(default)]
    pub error_patterns: Vec<String>,
    pub close: Option<String>,
}

/// A platform ready for use: patterns compiled.
#[derive(Debug)]
pub struct Platform {
    pub file: PlatformFile,
    pub prompt: Regex,
    pub password_prompt: Regex,
    pub pager: Option<Regex>,
    pub errors: Vec<Regex>,
}

impl Platform {
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: PlatformFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let compile = |what: &str, p: &str| Regex::new(p).map_err(|e| format!("{}: {what}: {e}", file.name));
        let prompt = compile("prompt", &file.prompt)?;
        for group in ["host", "sigil"] {
            if !prompt.capture_names().flatten().any(|n| n == group) {
                return Err(format!("{}: prompt needs a named group `{group}`", file.name));
            }
        }
        Ok(Self {
            prompt,
            password_prompt: compile("password_prompt", &file.password_prompt)?,
            pager: file.pager.as_deref().map(|p| compile("pager", p)).transpose()?,
            errors: file.error_patterns.iter().map(|p| compile("error_patterns", p)).collect::<Result<_, _>>()?,
            file,
        })
    }

    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// The first line of `output` matching one of the platform's error patterns.
    pub fn error_in(&self, output: &str) -> Option<String> {
        output.lines().find(|line| self.errors.iter().any(|re| re.is_match(line))).map(|line| line.trim().to_owned())
    }
}

/// Every platform this deployment knows, by name.
#[derive(Debug, Clone)]
pub struct Platforms(Arc<BTreeMap<String, Arc<Platform>>>);

impl Platforms {
    /// The definitions compiled into the binaries.
    pub fn builtin() -> Self {
        let map = BUILTIN
            .iter()
            .map(|(name, text)| {
                let p = Platform::parse(text).unwrap_or_else(|e| panic!("built-in platform {name}: {e}"));
                (p.name().to_owned(), Arc::new(p))
            })
            .collect();
        Self(Arc::new(map))
    }

    pub fn get(&self, name: &str) -> Option<Arc<Platform>> {
        self.0.get(name).cloned()
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_match_their_prompts() {
        let platforms = Platforms::builtin();
        let ios = platforms.get("cisco_ios").unwrap();
        for prompt in ["r1>", "r1#", "core-sw1(config)#", "r1(config-if)# "] {
            assert!(ios.prompt.is_match(prompt), "{prompt}");
        }
        assert!(!ios.prompt.is_match("r1# show version\nCisco IOS"));
        assert!(platforms.get("nope").is_none());
    }
}
