//! Platform behaviour as data: one definition per network OS.
//!
//! Prompts, paging, privilege escalation, configuration mode, error patterns and how to
//! save or close are described in a TOML file per platform, so supporting a new OS means
//! writing a file, not touching the session code. The built-in definitions live in
//! `shared/platforms/` and are compiled in.
//!
//! A definition may also say how to recognise its OS (`detect_command`, `detect_patterns`,
//! `detect_exclude`), which is what `platform: "autodetect"` relies on: the worker sends
//! each distinct detect command once and takes the first definition, in name order, whose
//! patterns match the output (see [`Platforms::detect_groups`] and [`Platform::identifies`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

const BUILTIN: &[(&str, &str)] = &[
    ("arista_eos", include_str!("../platforms/arista_eos.toml")),
    ("cisco_ios", include_str!("../platforms/cisco_ios.toml")),
    ("cisco_nxos", include_str!("../platforms/cisco_nxos.toml")),
    ("cisco_xe", include_str!("../platforms/cisco_xe.toml")),
    ("cisco_xr", include_str!("../platforms/cisco_xr.toml")),
    ("dell_os10", include_str!("../platforms/dell_os10.toml")),
    ("juniper_junos", include_str!("../platforms/juniper_junos.toml")),
    ("linux", include_str!("../platforms/linux.toml")),
];

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
    /// Discards the uncommitted candidate and leaves configuration mode, in order (Junos
    /// `rollback 0` then `exit configuration-mode`, IOS-XR `abort`). Sent instead of
    /// `config_exit` after a rejected line or commit, and when the job does not commit,
    /// so nothing is left staged for the next session to commit by accident.
    #[serde(default)]
    pub config_abort: Vec<String>,
    /// A line the device prints just above its prompt, which belongs to the prompt rather
    /// than to the output (Junos `[edit interfaces]`).
    pub prompt_context: Option<String>,
    pub save: Option<String>,
    /// Commit command for platforms with a candidate configuration; `{comment}` is
    /// replaced by a comment naming the job.
    pub commit: Option<String>,
    /// The same with automatic rollback; `{minutes}` and `{comment}` are replaced.
    pub commit_confirmed: Option<String>,
    #[serde(default)]
    pub error_patterns: Vec<String>,
    /// Offer legacy SSH algorithms to every device of this platform.
    #[serde(default)]
    pub legacy_ssh: bool,
    pub close: Option<String>,
    /// Sent to a device of unknown platform to identify it (`show version`, `uname -a`).
    pub detect_command: Option<String>,
    /// Regexes over `detect_command`'s output; any one matching identifies the platform.
    #[serde(default)]
    pub detect_patterns: Vec<String>,
    /// Regexes that rule the platform out even when a detect pattern matches (IOS-XE also
    /// prints the `Cisco IOS Software,` line of classic IOS).
    #[serde(default)]
    pub detect_exclude: Vec<String>,
    /// Regexes finding secrets in the device's output (hashed or clear passwords, SNMP
    /// communities, TACACS+/RADIUS keys, pre-shared keys), each with a named group
    /// `secret`: the text that group matches is what [`Platform::redact`] replaces.
    #[serde(default)]
    pub secret_patterns: Vec<String>,
}

/// What a secret in redacted output is replaced with.
pub const REDACTED: &str = "<redacted>";

/// The `platform` value that asks the worker to identify the device's platform.
pub const AUTODETECT: &str = "autodetect";

/// A platform ready for use: patterns compiled.
#[derive(Debug)]
pub struct Platform {
    pub file: PlatformFile,
    pub prompt: Regex,
    pub password_prompt: Regex,
    pub pager: Option<Regex>,
    pub prompt_context: Option<Regex>,
    pub errors: Vec<Regex>,
    pub detect_patterns: Vec<Regex>,
    pub detect_exclude: Vec<Regex>,
    pub secrets: Vec<Regex>,
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
        if file.name == AUTODETECT {
            return Err(format!("{AUTODETECT}: the name is reserved for platform detection"));
        }
        if file.detect_command.is_some() == file.detect_patterns.is_empty() {
            return Err(format!("{}: detect_command and detect_patterns go together", file.name));
        }
        let compile_all =
            |what: &str, ps: &[String]| ps.iter().map(|p| compile(what, p)).collect::<Result<Vec<_>, _>>();
        let secrets = compile_all("secret_patterns", &file.secret_patterns)?;
        if let Some(unnamed) = secrets.iter().find(|re| !re.capture_names().flatten().any(|n| n == "secret")) {
            return Err(format!("{}: secret_patterns: {unnamed} needs a named group `secret`", file.name));
        }
        Ok(Self {
            prompt,
            secrets,
            detect_patterns: compile_all("detect_patterns", &file.detect_patterns)?,
            detect_exclude: compile_all("detect_exclude", &file.detect_exclude)?,
            password_prompt: compile("password_prompt", &file.password_prompt)?,
            pager: file.pager.as_deref().map(|p| compile("pager", p)).transpose()?,
            prompt_context: file.prompt_context.as_deref().map(|p| compile("prompt_context", p)).transpose()?,
            errors: file.error_patterns.iter().map(|p| compile("error_patterns", p)).collect::<Result<_, _>>()?,
            file,
        })
    }

    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// Whether configuration changes are staged in a candidate until a commit.
    pub fn has_candidate(&self) -> bool {
        self.file.commit.is_some()
    }

    /// A command's output without the prompt's context line (and the blank lines around
    /// it) at its end.
    pub fn strip_prompt_context(&self, output: &str) -> String {
        let Some(context) = &self.prompt_context else { return output.to_owned() };
        let mut lines: Vec<&str> = output.lines().collect();
        let blank = |lines: &[&str]| lines.last().is_some_and(|l| l.trim().is_empty());
        while blank(&lines) {
            lines.pop();
        }
        if lines.last().is_some_and(|l| context.is_match(l.trim())) {
            lines.pop();
            while blank(&lines) {
                lines.pop();
            }
            return lines.join("\n");
        }
        output.to_owned()
    }

    /// Whether `output` of this platform's `detect_command` identifies it.
    pub fn identifies(&self, output: &str) -> bool {
        self.detect_patterns.iter().any(|re| re.is_match(output))
            && !self.detect_exclude.iter().any(|re| re.is_match(output))
    }

    /// `output` with every secret the platform's `secret_patterns` find replaced by
    /// [`REDACTED`] (what surrounds it, such as `enable secret 9`, is kept).
    pub fn redact<'a>(&self, output: &'a str) -> Cow<'a, str> {
        let mut spans: Vec<Range<usize>> = self
            .secrets
            .iter()
            .flat_map(|re| re.captures_iter(output).filter_map(|caps| caps.name("secret").map(|m| m.range())))
            .filter(|span| !span.is_empty())
            .collect();
        if spans.is_empty() {
            return Cow::Borrowed(output);
        }
        spans.sort_by_key(|span| span.start);
        let mut redacted = String::with_capacity(output.len());
        let mut at = 0;
        for span in spans {
            if span.start < at {
                // Overlaps the secret just replaced: that replacement covers it too.
                at = at.max(span.end);
                continue;
            }
            redacted.push_str(&output[at..span.start]);
            redacted.push_str(REDACTED);
            at = span.end;
        }
        redacted.push_str(&output[at..]);
        Cow::Owned(redacted)
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

    /// The built-in definitions plus every `*.toml` file in `dir` (a file named like a
    /// built-in platform replaces it). Every broken file is reported.
    pub fn load(dir: Option<&Path>) -> Result<Self, Vec<String>> {
        let Some(dir) = dir else { return Ok(Self::builtin()) };
        let mut map: BTreeMap<String, Arc<Platform>> = (*Self::builtin().0).clone();
        let mut errors = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| vec![format!("platform directory {}: {e}", dir.display())])?;
        let mut paths: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
        paths.sort();
        for path in paths {
            match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|text| Platform::parse(&text)) {
                Ok(platform) => {
                    map.insert(platform.name().to_owned(), Arc::new(platform));
                }
                Err(e) => errors.push(format!("platform file {}: {e}", path.display())),
            }
        }
        if errors.is_empty() { Ok(Self(Arc::new(map))) } else { Err(errors) }
    }

    pub fn get(&self, name: &str) -> Option<Arc<Platform>> {
        self.0.get(name).cloned()
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// Every definition, in name order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Platform>> {
        self.0.values()
    }

    /// The detect commands to try on a device of unknown platform, each once, with the
    /// definitions it can identify; in name order of the first definition using it.
    pub fn detect_groups(&self) -> Vec<DetectGroup> {
        let mut groups: Vec<DetectGroup> = Vec::new();
        for platform in self.0.values() {
            let Some(command) = &platform.file.detect_command else { continue };
            match groups.iter_mut().find(|g| &g.command == command) {
                Some(group) => group.candidates.push(platform.clone()),
                None => groups.push(DetectGroup { command: command.clone(), candidates: vec![platform.clone()] }),
            }
        }
        groups
    }
}

/// One detect command and the definitions its output can identify.
#[derive(Debug, Clone)]
pub struct DetectGroup {
    pub command: String,
    pub candidates: Vec<Arc<Platform>>,
}

impl DetectGroup {
    /// The first candidate (in name order) that `output` identifies.
    pub fn identify(&self, output: &str) -> Option<&Arc<Platform>> {
        self.candidates.iter().find(|p| p.identifies(output))
    }
}

#[cfg(test)]
mod secret_tests;

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
        for name in ["cisco_xe", "cisco_nxos", "cisco_xr", "arista_eos", "juniper_junos", "dell_os10", "linux"] {
            assert!(platforms.get(name).is_some(), "{name}");
        }
        let junos = platforms.get("juniper_junos").unwrap();
        assert!(junos.prompt.is_match("netops@vmx1> "));
        assert!(junos.prompt.is_match("netops@vmx1# "));
        let xr = platforms.get("cisco_xr").unwrap();
        assert!(xr.prompt.is_match("RP/0/RP0/CPU0:xr1(config-if)#"));
        for candidate in [&junos, &xr] {
            assert!(candidate.has_candidate() && !candidate.file.config_abort.is_empty(), "{}", candidate.name());
        }
        assert!(!ios.has_candidate());
        let linux = platforms.get("linux").unwrap();
        assert!(linux.prompt.is_match("netops@host1:~$ "));
        assert!(linux.prompt.is_match("root@host1:/etc# "));
    }

    /// What each built-in platform's detect command prints, on real devices and the
    /// simulator, trimmed to the lines that matter.
    const DETECT_SAMPLES: &[(&str, &str)] = &[
        ("arista_eos", "Arista DCS-7050SX-64-R\nHardware version: 01.11\nSoftware image version: 4.24.2F"),
        ("arista_eos", "Arista vEOS-lab\nHardware version:\nSerial number: 5254"),
        (
            "cisco_ios",
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE, RELEASE SOFTWARE (fc1)",
        ),
        (
            "cisco_ios",
            "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4\nROM: Bootstrap program is IOSv",
        ),
        (
            "cisco_ios",
            "Cisco Internetwork Operating System Software\nIOS (tm) C2600 Software (C2600-IK9O3S3-M), Version 12.3(26)",
        ),
        (
            "cisco_xe",
            "Cisco IOS XE Software, Version 17.03.04a\nCisco IOS Software [Amsterdam], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a\nCisco IOS-XE software, Copyright (c) 2005-2021 by cisco Systems, Inc.",
        ),
        (
            "cisco_xe",
            "Cisco IOS Software, IOS-XE Software (PPC_LINUX_IOSD-ADVENTERPRISEK9-M), Version 15.3(3)S3\nIOS XE Version: 03.10.03.S",
        ),
        (
            "cisco_nxos",
            "Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\nNXOS: version 9.3(8)",
        ),
        ("cisco_xr", "Cisco IOS XR Software, Version 7.3.2\nCopyright (c) 2013-2021 by Cisco Systems, Inc."),
        (
            "dell_os10",
            "Dell EMC Networking OS10 Enterprise\nCopyright (c) 1999-2021 by Dell Inc. All Rights Reserved.\nOS Version: 10.5.2.4",
        ),
        ("dell_os10", "Dell SmartFabric OS10 Enterprise\nOS Version: 10.5.4.0"),
        ("juniper_junos", "Hostname: vmx1\nModel: vmx\nJunos: 23.2R1.14\nJUNOS OS Kernel 64-bit  [20230613.6a2ba1c]"),
        ("juniper_junos", "Hostname: ex1\nModel: ex4200-48t\nJUNOS Base OS boot [12.3R12.4]"),
        (
            "linux",
            "Linux host1 5.15.0-105-generic #115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux",
        ),
    ];

    #[test]
    fn each_platform_is_identified_by_its_own_output_and_no_others() {
        let platforms = Platforms::builtin();
        let groups = platforms.detect_groups();
        assert_eq!(groups.iter().map(|g| g.command.as_str()).collect::<Vec<_>>(), ["show version", "uname -a"]);
        for platform in platforms.all() {
            assert!(platform.file.detect_command.is_some(), "{} has no detect data", platform.name());
            assert!(
                DETECT_SAMPLES.iter().any(|(name, _)| *name == platform.name()),
                "no sample for {}",
                platform.name()
            );
        }
        for (name, sample) in DETECT_SAMPLES {
            let own = platforms.get(name).unwrap();
            let group = groups.iter().find(|g| Some(&g.command) == own.file.detect_command.as_ref()).unwrap();
            assert_eq!(group.identify(sample).map(|p| p.name()), Some(*name), "{sample}");
            let others: Vec<&str> =
                platforms.all().filter(|p| p.name() != *name && p.identifies(sample)).map(|p| p.name()).collect();
            assert!(others.is_empty(), "{name}'s sample also identifies {others:?}");
        }
    }

    #[test]
    fn unknown_output_identifies_nothing() {
        let platforms = Platforms::builtin();
        for output in
            ["bash: show: command not found", "% Invalid input detected at '^' marker.", "MikroTik RouterOS 7.1", ""]
        {
            for group in platforms.detect_groups() {
                assert!(group.identify(output).is_none(), "{output:?} identified by {}", group.command);
            }
        }
    }

    #[test]
    fn detect_data_is_checked() {
        let ios = include_str!("../platforms/cisco_ios.toml");
        let reserved = ios.replace("name = \"cisco_ios\"", "name = \"autodetect\"");
        assert!(Platform::parse(&reserved).unwrap_err().contains("reserved"));
        let no_command = ios.replace("detect_command = \"show version\"", "");
        assert!(Platform::parse(&no_command).unwrap_err().contains("go together"));
        let broken = ios.replace("detect_exclude = ['IOS[ -]XE']", "detect_exclude = ['(']");
        assert!(Platform::parse(&broken).unwrap_err().contains("detect_exclude"));
    }

    #[test]
    fn the_prompt_context_line_is_not_output() {
        let platforms = Platforms::builtin();
        let junos = platforms.get("juniper_junos").unwrap();
        assert_eq!(junos.strip_prompt_context("\n[edit]"), "");
        assert_eq!(
            junos.strip_prompt_context("   ^\nsyntax error.\n\n[edit interfaces ge-0/0/1]"),
            "   ^\nsyntax error."
        );
        assert_eq!(junos.strip_prompt_context("commit complete\n\n[edit]\n"), "commit complete");
        assert_eq!(junos.strip_prompt_context("Hostname: vmx1\n"), "Hostname: vmx1\n", "no context: untouched");
        let ios = platforms.get("cisco_ios").unwrap();
        assert_eq!(ios.strip_prompt_context("x\n[edit]"), "x\n[edit]");
    }

    #[test]
    fn a_dropped_in_file_adds_a_platform_and_broken_files_are_reported() {
        let dir = std::env::temp_dir().join(format!("naas-platforms-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let custom = include_str!("../platforms/cisco_ios.toml").replace("name = \"cisco_ios\"", "name = \"acme_os\"");
        std::fs::write(dir.join("acme_os.toml"), custom).unwrap();
        let platforms = Platforms::load(Some(&dir)).unwrap();
        assert!(platforms.get("acme_os").is_some() && platforms.get("cisco_ios").is_some());
        std::fs::write(dir.join("broken.toml"), "name = \"x\"\nprompt = '('").unwrap();
        let errors = Platforms::load(Some(&dir)).unwrap_err();
        assert!(errors[0].contains("broken.toml"), "{errors:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
