//! Juniper Junos output texts. The configuration is kept as statements (`set` lines
//! without the `set`); `show configuration` prints them as the familiar curly-brace tree
//! (or as `set` lines with `| display set`), `show | compare` as a diff.

use time::OffsetDateTime;

use crate::config_store::RunningConfig;
use crate::ios_text::mgmt_octets;
use crate::platform::{Show, ShowCtx};
use crate::settings::DeviceSpec;
use crate::text::{counters, fingerprint, iso, lines, sized};

/// Words that take a value and together name one level: `unit 0 { ... }`.
const KEYED: &[&str] =
    &["unit", "family", "group", "neighbor", "term", "policy-statement", "area", "user", "route", "file"];

/// Levels even when only one word follows: `services { ssh; }`.
const CONTAINERS: &[&str] = &["services", "netconf", "syslog", "login", "authentication", "ntp", "static", "lldp"];

/// The word after these names a level of its own: `interfaces { ge-0/0/1 { disable; } }`.
const NAMED: &[&str] = &["interfaces", "vlans", "routing-instances", "groups"];

pub(crate) fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let (x, y) = mgmt_octets(&spec.hostname);
    let hash = format!("\"$6$naas{:012x}$sim\"", fingerprint(&spec.hostname) >> 16);
    let mut c = RunningConfig::empty(&crate::junos::STYLE);
    let user = &spec.username;
    for statement in [
        "version 23.2R1.14".to_owned(),
        format!("system host-name {}", spec.hostname),
        format!("system root-authentication encrypted-password {hash}"),
        format!("system login user {user} uid 2000"),
        format!("system login user {user} class super-user"),
        format!("system login user {user} authentication encrypted-password {hash}"),
        "system services ssh".into(),
        "system services netconf ssh".into(),
        "system syslog file messages any notice".into(),
        "interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24".into(),
        "interfaces ge-0/0/1 disable".into(),
        format!("interfaces fxp0 unit 0 family inet address 10.{x}.{y}.1/24"),
        format!("routing-options static route 0.0.0.0/0 next-hop 10.{x}.{y}.254"),
    ] {
        c.push(&statement, &[]);
    }
    c
}

pub(crate) fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    let mut out = match what {
        Show::Version => version(ctx),
        Show::RunningConfig | Show::Candidate => {
            let mut out = match ctx.commits.last() {
                Some(last) => vec![format!("## Last commit: {} by {}", iso(last.at), last.user)],
                None => vec![format!("## Last commit: {} by root", iso(booted(ctx)))],
            };
            if what == Show::Candidate {
                out.clear();
            }
            out.extend(configuration(ctx.config, ctx.args, ctx.set_form));
            out
        }
        Show::Changes => compare(ctx),
        Show::CommitList => commits(ctx),
        Show::Clock => {
            let now = OffsetDateTime::now_utc();
            vec![format!("Current time: {}", iso(now)), format!("System booted: {}", iso(booted(ctx)))]
        }
        Show::IpInterfaceBrief => terse(ctx.config),
        Show::TechSupport => {
            let mut out = vec!["show version".to_owned()];
            out.extend(version(ctx));
            out.extend([String::new(), "show configuration | display set".into()]);
            out.extend(configuration(ctx.config, "", true));
            out.extend([String::new(), "show interfaces extensive".into()]);
            return sized(out, ctx.spec.output_size, |n| counters(&format!("ge-0/0/{}", n % 48), n));
        }
        _ => return Vec::new(),
    };
    out.push(String::new());
    out
}

fn booted(ctx: &ShowCtx<'_>) -> OffsetDateTime {
    OffsetDateTime::now_utc() - ctx.uptime
}

fn words(statement: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut quoted = false;
    for word in statement.split(' ') {
        match out.last_mut() {
            Some(last) if quoted => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
        quoted ^= word.matches('"').count() % 2 == 1;
    }
    out
}

/// A statement as its levels and the leaf: `system host-name r1` → `[system]`, `host-name r1`.
fn split(statement: &str) -> (Vec<String>, String) {
    let words = words(statement);
    let mut path: Vec<String> = Vec::new();
    let mut i = 0;
    while words.len() - i > 1 {
        let (word, remaining) = (words[i].as_str(), words.len() - i);
        let named = path.last().is_some_and(|p| NAMED.contains(&p.as_str()));
        if KEYED.contains(&word) && remaining > 2 {
            path.push(format!("{word} {}", words[i + 1]));
            i += 2;
        } else if remaining > 2 || named || CONTAINERS.contains(&word) {
            path.push(word.to_owned());
            i += 1;
        } else {
            break;
        }
    }
    (path, words[i..].join(" "))
}

#[derive(Default)]
struct Node {
    children: Vec<(String, Node)>,
    leaves: Vec<String>,
}

impl Node {
    fn insert(&mut self, path: &[String], leaf: String) {
        match path.split_first() {
            None => self.leaves.push(leaf),
            Some((first, rest)) => {
                let at = match self.children.iter().position(|(label, _)| label == first) {
                    Some(at) => at,
                    None => {
                        self.children.push((first.clone(), Node::default()));
                        self.children.len() - 1
                    }
                };
                self.children[at].1.insert(rest, leaf);
            }
        }
    }

    fn render(&self, depth: usize, out: &mut Vec<String>) {
        let indent = "    ".repeat(depth);
        out.extend(self.leaves.iter().map(|leaf| format!("{indent}{leaf};")));
        for (label, child) in &self.children {
            out.push(format!("{indent}{label} {{"));
            child.render(depth + 1, out);
            out.push(format!("{indent}}}"));
        }
    }
}

/// The statements under `path` (e.g. `system`), in curly-brace or `set` form.
fn configuration(config: &RunningConfig, path: &str, set_form: bool) -> Vec<String> {
    let path = path.split_whitespace().collect::<Vec<_>>().join(" ");
    let selected = config.statements().filter(|s| path.is_empty() || *s == path || s.starts_with(&format!("{path} ")));
    if set_form {
        return selected.map(|s| format!("set {s}")).collect();
    }
    let mut root = Node::default();
    for statement in selected {
        let relative = statement.strip_prefix(&path).unwrap_or(statement).trim_start();
        let (levels, leaf) = split(relative);
        root.insert(&levels, leaf);
    }
    let mut out = Vec::new();
    root.render(0, &mut out);
    out
}

/// `show | compare`: statements the commit would remove (`-`) and add (`+`), by level.
fn compare(ctx: &ShowCtx<'_>) -> Vec<String> {
    let mut candidate = ctx.config.clone();
    ctx.staged.iter().for_each(|edit| candidate.apply(edit));
    let old: Vec<&str> = ctx.config.statements().collect();
    let new: Vec<&str> = candidate.statements().collect();
    let removed = old.iter().filter(|s| !new.contains(s)).map(|s| ('-', *s));
    let added = new.iter().filter(|s| !old.contains(s)).map(|s| ('+', *s));
    let mut levels: Vec<(String, Vec<String>)> = Vec::new();
    for (sign, statement) in removed.chain(added) {
        let (path, leaf) = split(statement);
        let header = if path.is_empty() { "[edit]".to_owned() } else { format!("[edit {}]", path.join(" ")) };
        let line = format!("{sign}  {leaf};");
        match levels.iter_mut().find(|(h, _)| *h == header) {
            Some((_, lines)) => lines.push(line),
            None => levels.push((header, vec![line])),
        }
    }
    levels.into_iter().flat_map(|(header, lines)| std::iter::once(header).chain(lines)).collect()
}

/// `show system commit`: newest first, comments on the next line.
fn commits(ctx: &ShowCtx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (n, c) in ctx.commits.iter().rev().enumerate() {
        let pending = c.confirm.map(|t| format!(" commit confirmed, rollback in {}mins", t.as_secs().div_ceil(60)));
        out.push(format!("{n:<3} {} by {} via cli{}", iso(c.at), c.user, pending.unwrap_or_default()));
        if let Some(comment) = &c.comment {
            out.push(format!("    {comment}"));
        }
    }
    out.push(format!("{:<3} {} by root via other", ctx.commits.len(), iso(booted(ctx))));
    out
}

/// `show interfaces terse` from the `interfaces` statements.
fn terse(config: &RunningConfig) -> Vec<String> {
    let mut out = vec![format!("{:<24}{:<6}{:<5}{:<9}{:<22}Remote", "Interface", "Admin", "Link", "Proto", "Local")];
    let mut names: Vec<&str> = Vec::new();
    for statement in config.statements() {
        if let Some(name) = statement.strip_prefix("interfaces ").and_then(|s| s.split(' ').next())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    for name in names {
        let under: Vec<&str> =
            config.statements().filter_map(|s| s.strip_prefix(&format!("interfaces {name} "))).collect();
        let admin = if under.contains(&"disable") { "down" } else { "up" };
        out.push(format!("{name:<24}{admin:<6}{admin}"));
        for rest in &under {
            if let Some((unit, address)) =
                rest.strip_prefix("unit ").and_then(|r| r.split_once(" family inet address "))
            {
                out.push(format!("{:<24}{admin:<6}{admin:<5}{:<9}{address}", format!("{name}.{unit}"), "inet"));
            }
        }
    }
    out
}

fn version(ctx: &ShowCtx<'_>) -> Vec<String> {
    lines(&format!(
        "Hostname: {}
Model: vmx
Junos: 23.2R1.14
JUNOS OS Kernel 64-bit  [20230613.6a2ba1c_builder_stable_12_232]
JUNOS OS libs [20230613.6a2ba1c_builder_stable_12_232]
JUNOS OS runtime [20230613.6a2ba1c_builder_stable_12_232]
JUNOS OS time zone information [20230613.6a2ba1c_builder_stable_12_232]
JUNOS network stack and utilities [20230623.150131_builder_junos_232_r1]
JUNOS libs [20230623.150131_builder_junos_232_r1]
JUNOS runtime [20230623.150131_builder_junos_232_r1]
JUNOS Packet Forwarding Engine Simulation Package [20230623.150131_builder_junos_232_r1]
JUNOS Routing Engine Software Suite [20230623.150131_builder_junos_232_r1]
JUNOS Crypto Software Suite [20230623.150131_builder_junos_232_r1]
JUNOS Online Documentation [20230623.150131_builder_junos_232_r1]",
        ctx.config.hostname()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_render_as_a_tree() {
        let config = baseline(&DeviceSpec::new("juniper_junos", "vmx1", "netops", "pw", ""));
        let text = configuration(&config, "", false).join("\n");
        assert!(text.contains("system {\n    host-name vmx1;\n"), "{text}");
        assert!(text.contains("    login {\n        user netops {\n            uid 2000;\n"), "{text}");
        assert!(text.contains("interfaces {\n    ge-0/0/0 {\n        unit 0 {\n            family inet {\n"), "{text}");
        let system = configuration(&config, "system", true);
        assert!(system.iter().all(|l| l.starts_with("set system ")), "{system:?}");
        assert_eq!(split("interfaces ge-0/0/0 description \"to core\"").1, "description \"to core\"");
    }
}
