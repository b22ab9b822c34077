//! Cisco IOS-XR as data: `RP/0/RP0/CPU0:host#` prompts, logs in at `#`, and a per-session
//! candidate configuration applied by `commit`. The texts live in `xr_text.rs`.

use crate::config_store::ConfigStyle;
use crate::ios::{IOS_CONFIG_COMMANDS, IOS_ERASE, IOS_ERRORS, IOS_PIPES, IOS_TEXTS, cmd, config_cmd};
use crate::ios_sections::{interface_of, named};
use crate::platform::{
    Action, ArgError, Args, Candidate, ConfigAction, ConfigCommand, ConfigRules, ExecCommand, Leave, Level, ModeNames,
    Paging, Platform, Prompts, Show, SubMode, Texts,
};
use crate::xr_text;

pub(crate) static CISCO_XR: Platform = Platform {
    name: "cisco_xr",
    ssh_id: "SSH-2.0-Cisco-2.0",
    login: Level::Exec,
    prompts: Prompts {
        user: "RP/0/RP0/CPU0:{host}>",
        exec: "RP/0/RP0/CPU0:{host}#",
        config: "RP/0/RP0/CPU0:{host}(config)#",
        sub: "RP/0/RP0/CPU0:{host}({label})#",
    },
    modes: ModeNames { user: "user", exec: "exec", config: "config" },
    abbreviate: true,
    exec: EXEC,
    config: ConfigRules {
        enter: &[],
        leave: &[],
        commands: COMMANDS,
        global: GLOBAL,
        global_bare: &["control-plane", "call-home", "netconf-yang"],
        submodes: SUBMODES,
        statement: None,
        candidate: Some(Candidate {
            shared: false,
            question: "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:",
            answers: &[("yes", Leave::Commit), ("no", Leave::Discard), ("cancel", Leave::Stay)],
            default: Leave::Stay,
            dirty: &[],
            nothing: Some("% No configuration changes to commit."),
            committed: &[],
            confirmed: &[],
            checked: &[],
            rolled_back: &[],
            seconds: true,
            confirm_default: 600,
        }),
        ctrl_z: true,
    },
    errors: IOS_ERRORS,
    paging: Paging { length: 24, width: 80, more: " --More-- ", erase: IOS_ERASE },
    pipes: IOS_PIPES,
    text: Texts {
        banner: "\r\n\r\n",
        saved: &[],
        show: xr_text::show,
        ping: crate::ios_text::ping,
        baseline: xr_text::baseline,
        ..IOS_TEXTS
    },
};

const EXEC: &[ExecCommand] = &[
    cmd(&["exit"], false, Args::None, Action::Exit),
    cmd(&["logout"], false, Args::None, Action::Exit),
    cmd(&["terminal", "length"], false, Args::Number(0, 512), Action::TerminalLength),
    cmd(&["terminal", "width"], false, Args::Number(0, 512), Action::TerminalWidth),
    cmd(&["show", "version"], false, Args::None, Action::Show(Show::Version)),
    cmd(&["show", "clock"], false, Args::None, Action::Show(Show::Clock)),
    cmd(&["show", "ipv4", "interface", "brief"], false, Args::None, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["show", "ip", "interface", "brief"], false, Args::None, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["show", "running-config"], false, Args::Any, Action::Show(Show::RunningConfig)),
    cmd(&["show", "configuration", "commit", "list"], false, Args::None, Action::Show(Show::CommitList)),
    cmd(&["show", "configuration", "commit", "list", "detail"], false, Args::None, Action::Show(Show::CommitDetail)),
    cmd(&["show", "tech-support"], false, Args::Any, Action::Show(Show::TechSupport)),
    cmd(&["configure"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "terminal"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "exclusive"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

const COMMANDS: &[ConfigCommand] = &[
    IOS_CONFIG_COMMANDS[0],
    IOS_CONFIG_COMMANDS[1],
    IOS_CONFIG_COMMANDS[2],
    IOS_CONFIG_COMMANDS[3],
    config_cmd(&["commit"], Args::Any, ConfigAction::Commit),
    config_cmd(&["abort"], Args::None, ConfigAction::Abort),
    config_cmd(&["root"], Args::None, ConfigAction::Top),
    config_cmd(&["show"], Args::Rest, ConfigAction::Exec),
    config_cmd(&["show", "configuration"], Args::None, ConfigAction::Show(Show::Changes)),
];

#[rustfmt::skip]
const GLOBAL: &[&str] = &[
    "aaa", "alias", "banner", "bfd", "call-home", "cdp", "class-map", "clock", "community-set", "control-plane",
    "domain", "evpn", "explicit-path", "grpc", "hostname", "interface", "ipv4", "ipv6", "key", "l2vpn", "lacp",
    "line", "lldp", "logging", "mpls", "multicast-routing", "netconf-yang", "ntp", "policy-map", "prefix-set",
    "radius-server", "router", "segment-routing", "service", "snmp-server", "ssh", "tacacs-server", "telemetry",
    "username", "vrf",
];

#[rustfmt::skip]
const SINGLETONS: &[&str] = &[
    "hostname", "description", "ipv4 address", "mtu", "speed", "duplex", "router-id", "vrf", "load-interval",
    "domain name", "clock timezone", "logging buffered",
];

pub(crate) static STYLE: ConfigStyle =
    ConfigStyle { hostname: "hostname", default_host: "ios", indent: " ", separator: "!", singletons: SINGLETONS };

#[rustfmt::skip]
const INTERFACE_TYPES: &[&str] = &[
    "GigabitEthernet", "TenGigE", "TwentyFiveGigE", "FortyGigE", "HundredGigE", "Bundle-Ether", "Loopback",
    "MgmtEth", "Null", "tunnel-ip", "BVI",
];

fn interface(args: &[&str]) -> Result<String, ArgError> {
    interface_of(INTERFACE_TYPES, args)
}

fn ospf(args: &[&str]) -> Result<String, ArgError> {
    named("router ospf", args)
}

fn bgp(args: &[&str]) -> Result<String, ArgError> {
    match args {
        [asn] if asn.parse::<u32>().is_ok_and(|n| n > 0) => Ok(format!("router bgp {asn}")),
        [] => Err(ArgError::Incomplete),
        [_] => Err(ArgError::Invalid(0)),
        _ => Err(ArgError::Invalid(1)),
    }
}

fn isis(args: &[&str]) -> Result<String, ArgError> {
    named("router isis", args)
}

fn router_static(args: &[&str]) -> Result<String, ArgError> {
    if args.is_empty() { Ok("router static".into()) } else { Err(ArgError::Invalid(0)) }
}

fn line(args: &[&str]) -> Result<String, ArgError> {
    match args {
        [] => Err(ArgError::Incomplete),
        [kind] if ["console", "default"].contains(kind) => Ok(format!("line {kind}")),
        ["template", name] => Ok(format!("line template {name}")),
        _ => Err(ArgError::Invalid(0)),
    }
}

fn vrf(args: &[&str]) -> Result<String, ArgError> {
    named("vrf", args)
}

const ROUTER_WORDS: &[&str] =
    &["address-family", "area", "bfd", "bgp", "log", "neighbor", "net", "nsr", "router-id", "timers", "vrf"];

#[rustfmt::skip]
const SUBMODES: &[SubMode] = &[
    SubMode {
        name: "config-if",
        enter: &["interface"],
        header: interface,
        keywords: &[
            "bandwidth", "bfd", "bundle", "carrier-delay", "cdp", "description", "duplex", "encapsulation", "ipv4",
            "ipv6", "l2transport", "lldp", "load-interval", "mac-address", "mtu", "negotiation", "service-policy",
            "shutdown", "speed", "vrf",
        ],
        bare: &["shutdown", "l2transport"],
        label: None,
    },
    SubMode { name: "config-ospf", enter: &["router", "ospf"], header: ospf, keywords: ROUTER_WORDS, bare: &["nsr"], label: None },
    SubMode { name: "config-bgp", enter: &["router", "bgp"], header: bgp, keywords: ROUTER_WORDS, bare: &["nsr"], label: None },
    SubMode { name: "config-isis", enter: &["router", "isis"], header: isis, keywords: ROUTER_WORDS, bare: &["nsr"], label: None },
    SubMode {
        name: "config-static",
        enter: &["router", "static"],
        header: router_static,
        keywords: &["address-family", "vrf"],
        bare: &[],
        label: None,
    },
    SubMode {
        name: "config-line",
        enter: &["line"],
        header: line,
        keywords: &["access-class", "exec-timeout", "session-limit", "session-timeout", "transport"],
        bare: &[],
        label: None,
    },
    SubMode {
        name: "config-vrf",
        enter: &["vrf"],
        header: vrf,
        keywords: &["address-family", "description", "rd"],
        bare: &[],
        label: None,
    },
];
