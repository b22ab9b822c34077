//! Juniper Junos as data: `user@host>` operational mode, `configure` into a candidate
//! configuration shared by the device's sessions, `set`/`delete`/`edit` statements,
//! `commit`, `rollback`, `show | compare`. The texts live in `junos_text.rs`.

use crate::config_store::ConfigStyle;
use crate::ios::{IOS_TEXTS, cmd, config_cmd};
use crate::junos_text;
use crate::platform::{
    Action, ArgError, Args, Candidate, ConfigAction, ConfigCommand, ConfigRules, Errors, ExecCommand, Leave, Level,
    ModeNames, Msg, Paging, Pipe, Pipes, Platform, Prompts, Show, SubMode, Texts, match_keyword,
};
use crate::text::unix_ping;

pub(crate) static JUNIPER_JUNOS: Platform = Platform {
    name: "juniper_junos",
    ssh_id: "SSH-2.0-OpenSSH_7.5",
    login: Level::Exec,
    prompts: Prompts {
        user: "{user}@{host}> ",
        exec: "{user}@{host}> ",
        config: "\r\n[edit]\r\n{user}@{host}# ",
        sub: "\r\n[edit {path}]\r\n{user}@{host}# ",
    },
    modes: ModeNames { user: "operational", exec: "operational", config: "configuration" },
    abbreviate: true,
    exec: EXEC,
    config: ConfigRules {
        enter: &["Entering configuration mode"],
        leave: &["Exiting configuration mode", ""],
        commands: COMMANDS,
        global: &[],
        global_bare: &[],
        submodes: &[EDIT_LEVEL],
        statement: Some(statement),
        candidate: Some(Candidate {
            shared: true,
            question: "Exit with uncommitted changes? [yes,no] (yes) ",
            answers: &[("yes", Leave::Keep), ("no", Leave::Stay)],
            default: Leave::Keep,
            dirty: &["The configuration has been changed but not committed"],
            nothing: None,
            committed: &["commit complete"],
            confirmed: &["commit confirmed will be automatically rolled back in {minutes} minutes unless confirmed"],
            checked: &["configuration check succeeds"],
            rolled_back: &["load complete"],
            seconds: false,
            confirm_default: 600,
        }),
        ctrl_z: false,
    },
    errors: Errors {
        unknown: Msg { caret: true, text: "unknown command.", blank: false },
        invalid: Msg { caret: true, text: "syntax error.", blank: false },
        incomplete: Msg { caret: true, text: "missing argument.", blank: false },
        ambiguous: Msg { caret: true, text: "'{word}' is ambiguous.", blank: false },
    },
    paging: Paging {
        length: 24,
        width: 80,
        more: "---(more {pct}%)---",
        erase: "\r                                        \r",
    },
    pipes: Pipes {
        kinds: &[
            (&["compare"], Pipe::Compare),
            (&["count"], Pipe::Count),
            (&["display", "set"], Pipe::DisplaySet),
            (&["except"], Pipe::Exclude),
            (&["find"], Pipe::Begin),
            (&["match"], Pipe::Include),
            (&["no-more"], Pipe::NoMore),
        ],
        chain: true,
        count: "Count: {n} lines",
    },
    text: Texts {
        banner: "--- JUNOS 23.2R1.14 Kernel 64-bit  JNPR-12.1-20230613.6a2ba1c_buil\r\n",
        length_set: "Screen length set to {n}",
        width_set: "Screen width set to {n}",
        saved: &[],
        show: junos_text::show,
        ping: unix_ping,
        baseline: junos_text::baseline,
        ..IOS_TEXTS
    },
};

const EXEC: &[ExecCommand] = &[
    cmd(&["exit"], false, Args::None, Action::Exit),
    cmd(&["quit"], false, Args::None, Action::Exit),
    cmd(&["set", "cli", "screen-length"], false, Args::Number(0, 100_000), Action::TerminalLength),
    cmd(&["set", "cli", "screen-width"], false, Args::Number(0, 1024), Action::TerminalWidth),
    cmd(&["set", "cli", "complete-on-space", "off"], false, Args::None, Action::Say(&["Disabling complete-on-space"])),
    cmd(&["set", "cli", "complete-on-space", "on"], false, Args::None, Action::Say(&["Enabling complete-on-space"])),
    cmd(&["show", "version"], false, Args::None, Action::Show(Show::Version)),
    cmd(&["show", "configuration"], false, Args::Any, Action::Show(Show::RunningConfig)),
    cmd(&["show", "system", "commit"], false, Args::None, Action::Show(Show::CommitList)),
    cmd(&["show", "system", "uptime"], false, Args::None, Action::Show(Show::Clock)),
    cmd(&["show", "interfaces", "terse"], false, Args::None, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["request", "support", "information"], false, Args::None, Action::Show(Show::TechSupport)),
    cmd(&["configure"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "private"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "exclusive"], false, Args::None, Action::ConfigureExclusive),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

const COMMANDS: &[ConfigCommand] = &[
    config_cmd(&["set"], Args::Rest, ConfigAction::Set),
    config_cmd(&["delete"], Args::Rest, ConfigAction::Delete),
    config_cmd(&["edit"], Args::Rest, ConfigAction::Edit),
    config_cmd(&["up"], Args::Any, ConfigAction::Top),
    config_cmd(&["top"], Args::None, ConfigAction::Top),
    config_cmd(&["exit"], Args::None, ConfigAction::Exit),
    config_cmd(&["exit", "configuration-mode"], Args::None, ConfigAction::LeaveConfig),
    config_cmd(&["quit"], Args::None, ConfigAction::Exit),
    config_cmd(&["commit"], Args::Any, ConfigAction::Commit),
    config_cmd(&["rollback"], Args::OptNumber(0, 49), ConfigAction::Rollback),
    config_cmd(&["show"], Args::Any, ConfigAction::Show(Show::Candidate)),
    config_cmd(&["run"], Args::Rest, ConfigAction::Do),
];

/// An edit level such as `[edit interfaces ge-0/0/0]`.
const EDIT_LEVEL: SubMode = SubMode {
    name: "configuration",
    enter: &[],
    header: |args| Ok(args.join(" ")),
    keywords: &[],
    bare: &[],
    label: None,
};

#[rustfmt::skip]
const HIERARCHY: &[&str] = &[
    "access", "accounting-options", "applications", "apply-groups", "bridge-domains", "chassis",
    "class-of-service", "event-options", "firewall", "forwarding-options", "groups", "interfaces",
    "policy-options", "poe", "protocols", "routing-instances", "routing-options", "security", "services", "snmp",
    "switch-options", "system", "version", "virtual-chassis", "vlans",
];

/// Second-level keywords checked under some top-level statements.
#[rustfmt::skip]
const SECOND: &[(&str, &[&str])] = &[
    ("system", &[
        "authentication-order", "domain-name", "host-name", "login", "name-server", "ntp", "root-authentication",
        "services", "syslog", "time-zone",
    ]),
    ("protocols", &["bfd", "bgp", "igmp", "isis", "lacp", "ldp", "lldp", "mpls", "ospf", "ospf3", "pim", "rstp", "rsvp"]),
    ("routing-options", &["autonomous-system", "rib", "router-id", "static"]),
    ("snmp", &["community", "contact", "description", "location", "trap-group"]),
];

/// Expands the first two words of a statement and checks them against the hierarchy.
fn statement(words: &[&str]) -> Result<Vec<String>, ArgError> {
    let first = words.first().ok_or(ArgError::Incomplete)?;
    let top = match_keyword(HIERARCHY, first).map_err(|_| ArgError::Invalid(0))?;
    let mut out = vec![top.to_owned()];
    if let (Some(second), Some((_, allowed))) = (words.get(1), SECOND.iter().find(|(t, _)| *t == top)) {
        out.push(match_keyword(allowed, second).map_err(|_| ArgError::Invalid(1))?.to_owned());
    } else if let Some(second) = words.get(1) {
        out.push((*second).to_owned());
    }
    out.extend(words.iter().skip(2).map(|w| (*w).to_owned()));
    Ok(out)
}

#[rustfmt::skip]
pub(crate) const SINGLETONS: &[&str] = &[
    "version", "system host-name", "system domain-name", "system time-zone", "system root-authentication",
    "interfaces * description", "interfaces * mtu", "interfaces * unit * description",
    "routing-options router-id", "routing-options autonomous-system", "snmp location", "snmp contact",
    "system login user * class", "system login user * uid", "vlans * vlan-id",
];

pub(crate) static STYLE: ConfigStyle = ConfigStyle {
    hostname: "system host-name",
    default_host: "Amnesiac",
    indent: "    ",
    separator: "",
    singletons: SINGLETONS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_expand_and_check_two_levels() {
        assert_eq!(statement(&["sys", "host", "r9"]).unwrap(), ["system", "host-name", "r9"]);
        assert_eq!(statement(&["interfaces", "ge-0/0/0", "description", "x"]).unwrap().len(), 4);
        assert_eq!(statement(&["bogus", "x"]), Err(ArgError::Invalid(0)));
        assert_eq!(statement(&["system", "hostname", "x"]), Err(ArgError::Invalid(1)));
        assert_eq!(statement(&["system"]).unwrap(), ["system"]);
    }
}
