//! Cisco IOS and IOS-XE as data: prompts, the exec command table, configuration-mode
//! rules and messages. Other Cisco-style platforms reuse pieces of it. The long show
//! outputs live in `ios_text.rs`.

use crate::config_store::ConfigStyle;
use crate::ios_sections::{
    extended_acl_header, interface_header, line_header, router_header, standard_acl_header, vlan_header,
};
use crate::ios_text;
use crate::platform::{
    Action, Args, ConfigAction, ConfigCommand, ConfigRules, Errors, ExecCommand, Level, ModeNames, Msg, Paging, Pipe,
    Pipes, Platform, Prompts, Show, SubMode, Texts,
};

pub(crate) static CISCO_IOS: Platform = IOS;

/// IOS-XE: the IOS CLI with its own `show version` and interface names.
pub(crate) static CISCO_XE: Platform = Platform {
    name: "cisco_xe",
    text: Texts { show: ios_text::show_xe, baseline: ios_text::baseline_xe, ..IOS_TEXTS },
    ..IOS
};

const IOS: Platform = Platform {
    name: "cisco_ios",
    ssh_id: "SSH-2.0-Cisco-1.25",
    login: Level::User,
    prompts: CISCO_PROMPTS,
    modes: ModeNames { user: "user", exec: "privileged", config: "config" },
    abbreviate: true,
    exec: EXEC,
    config: ConfigRules {
        enter: &["Enter configuration commands, one per line.  End with CNTL/Z."],
        leave: &[],
        commands: IOS_CONFIG_COMMANDS,
        global: GLOBAL,
        global_bare: &["control-plane", "redundancy"],
        submodes: SUBMODES,
        statement: None,
        candidate: None,
        ctrl_z: true,
    },
    errors: IOS_ERRORS,
    paging: Paging { length: 24, width: 80, more: " --More-- ", erase: IOS_ERASE },
    pipes: IOS_PIPES,
    text: IOS_TEXTS,
};

pub(crate) const CISCO_PROMPTS: Prompts =
    Prompts { user: "{host}>", exec: "{host}#", config: "{host}(config)#", sub: "{host}({label})#" };

/// Backspaces over the pager prompt, blanks, backspaces again.
pub(crate) const IOS_ERASE: &str = "\x08\x08\x08\x08\x08\x08\x08\x08\x08         \x08\x08\x08\x08\x08\x08\x08\x08\x08";

const INVALID: Msg = Msg { caret: true, text: "% Invalid input detected at '^' marker.", blank: true };

pub(crate) const IOS_ERRORS: Errors = Errors {
    unknown: INVALID,
    invalid: INVALID,
    incomplete: Msg { caret: false, text: "% Incomplete command.", blank: true },
    ambiguous: Msg { caret: false, text: "% Ambiguous command:  \"{word}\"", blank: false },
};

pub(crate) const IOS_PIPES: Pipes = Pipes {
    kinds: &[
        (&["begin"], Pipe::Begin),
        (&["count"], Pipe::Count),
        (&["exclude"], Pipe::Exclude),
        (&["include"], Pipe::Include),
        (&["section"], Pipe::Section),
    ],
    chain: false,
    count: "Number of lines which match regexp = {n}",
};

pub(crate) const IOS_TEXTS: Texts = Texts {
    banner: "\r\n",
    password_prompt: "Password: ",
    access_denied: "% Access denied",
    bad_secrets: "% Bad secrets",
    interrupt: "",
    logout: &[],
    copy_destination: "Destination filename [startup-config]? ",
    configure_from: "Configuring from terminal, memory, or network [terminal]? ",
    saved: &["Building configuration...", "[OK]"],
    length_set: "",
    width_set: "",
    show: ios_text::show,
    ping: ios_text::ping,
    baseline: ios_text::baseline,
};

pub(crate) const IOS_STYLE: ConfigStyle =
    ConfigStyle { hostname: "hostname", default_host: "Router", indent: " ", separator: "!", singletons: SINGLETONS };

/// `do`, `end`, `exit`, `no` and `default`: what every Cisco-style configuration mode has.
pub(crate) const IOS_CONFIG_COMMANDS: &[ConfigCommand] = &[
    config_cmd(&["do"], Args::Rest, ConfigAction::Do),
    config_cmd(&["end"], Args::None, ConfigAction::End),
    config_cmd(&["exit"], Args::None, ConfigAction::Exit),
    config_cmd(&["no"], Args::Rest, ConfigAction::Negate),
    config_cmd(&["default"], Args::Rest, ConfigAction::Negate),
];

pub(crate) const fn config_cmd(words: &'static [&'static str], args: Args, action: ConfigAction) -> ConfigCommand {
    ConfigCommand { words, args, action }
}

pub(crate) const fn cmd(words: &'static [&'static str], privileged: bool, args: Args, action: Action) -> ExecCommand {
    ExecCommand { words, privileged, args, action }
}

const EXEC: &[ExecCommand] = &[
    cmd(&["enable"], false, Args::OptNumber(0, 15), Action::Enable),
    cmd(&["disable"], false, Args::OptNumber(0, 15), Action::Disable),
    cmd(&["exit"], false, Args::None, Action::Exit),
    cmd(&["logout"], false, Args::None, Action::Exit),
    cmd(&["quit"], false, Args::None, Action::Exit),
    cmd(&["terminal", "length"], false, Args::Number(0, 512), Action::TerminalLength),
    cmd(&["terminal", "width"], false, Args::Number(0, 512), Action::TerminalWidth),
    cmd(&["show", "version"], false, Args::None, Action::Show(Show::Version)),
    cmd(&["show", "clock"], false, Args::None, Action::Show(Show::Clock)),
    cmd(&["show", "ip", "interface", "brief"], false, Args::None, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["show", "interfaces"], false, Args::Any, Action::Show(Show::Interfaces)),
    cmd(&["show", "privilege"], false, Args::None, Action::Show(Show::Privilege)),
    cmd(&["show", "terminal"], false, Args::None, Action::Show(Show::Terminal)),
    cmd(&["show", "running-config"], true, Args::None, Action::Show(Show::RunningConfig)),
    cmd(&["show", "startup-config"], true, Args::None, Action::Show(Show::StartupConfig)),
    cmd(&["show", "tech-support"], true, Args::None, Action::Show(Show::TechSupport)),
    cmd(&["configure"], true, Args::None, Action::Configure),
    cmd(&["configure", "terminal"], true, Args::None, Action::ConfigureTerminal),
    cmd(&["write"], true, Args::None, Action::WriteMemory),
    cmd(&["write", "memory"], true, Args::None, Action::WriteMemory),
    cmd(&["write", "terminal"], true, Args::None, Action::WriteTerminal),
    cmd(&["copy", "running-config", "startup-config"], true, Args::None, Action::CopyRunStart),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

/// First keywords accepted in global configuration mode (`do`, `end`, `exit`, `no` and
/// `default` are configuration commands).
#[rustfmt::skip]
const GLOBAL: &[&str] = &[
    "aaa", "access-list", "alias", "archive", "banner", "boot", "cdp", "class-map", "clock", "control-plane",
    "crypto", "dot1x", "enable", "errdisable", "hostname", "interface", "ip", "ipv6", "key", "line",
    "lldp", "logging", "mac", "monitor", "mpls", "ntp", "policy-map", "radius-server", "redundancy", "route-map",
    "router", "service", "snmp-server", "spanning-tree", "tacacs-server", "track", "udld", "username", "version",
    "vlan", "vtp",
];

#[rustfmt::skip]
pub(crate) const SINGLETONS: &[&str] = &[
    "hostname", "version", "enable secret", "ip domain-name", "ip domain name", "ip default-gateway", "banner motd",
    "banner login", "clock timezone", "logging buffered", "snmp-server location", "snmp-server contact",
    "description", "ip address", "mtu", "speed", "duplex", "bandwidth", "encapsulation", "switchport mode",
    "switchport access vlan", "switchport trunk native vlan", "load-interval", "media-type", "name", "state",
    "router-id", "exec-timeout", "transport input", "session-timeout", "length", "width", "privilege level",
    "password",
];

#[rustfmt::skip]
pub(crate) const SUBMODES: &[SubMode] = &[
    SubMode {
        name: "config-if",
        enter: &["interface"],
        header: interface_header,
        keywords: &[
            "arp", "bandwidth", "carrier-delay", "cdp", "channel-group", "channel-protocol", "crypto", "delay",
            "description", "dot1x", "duplex", "encapsulation", "flowcontrol", "hold-queue", "ip", "ipv6",
            "keepalive", "lacp", "lldp", "load-interval", "logging", "mac-address", "media-type", "mpls", "mtu",
            "negotiation", "ntp", "power", "service-policy", "shutdown", "snmp", "spanning-tree", "speed", "standby",
            "storm-control", "switchport", "tunnel", "udld", "vrf", "vrrp",
        ],
        bare: &["shutdown", "switchport", "keepalive"],
        label: None,
    },
    SubMode {
        name: "config-router",
        enter: &["router"],
        header: router_header,
        keywords: &[
            "address-family", "aggregate-address", "area", "auto-summary", "bgp", "default-information",
            "default-metric", "distance", "distribute-list", "eigrp", "exit-address-family", "log-adjacency-changes",
            "maximum-paths", "metric", "neighbor", "network", "passive-interface", "redistribute", "router-id",
            "summary-address", "synchronization", "timers", "version",
        ],
        bare: &["auto-summary", "synchronization", "log-adjacency-changes", "exit-address-family"],
        label: None,
    },
    SubMode {
        name: "config-line",
        enter: &["line"],
        header: line_header,
        keywords: &[
            "access-class", "autoselect", "databits", "exec", "exec-timeout", "history", "ipv6", "length",
            "location", "logging", "login", "modem", "motd-banner", "password", "privilege", "session-timeout",
            "speed", "stopbits", "terminal-type", "transport", "width",
        ],
        bare: &["login", "exec", "motd-banner"],
        label: None,
    },
    SubMode {
        name: "config-vlan",
        enter: &["vlan"],
        header: vlan_header,
        keywords: &["mtu", "name", "remote-span", "shutdown", "state"],
        bare: &["shutdown", "remote-span"],
        label: None,
    },
    SubMode {
        name: "config-std-nacl",
        enter: &["ip", "access-list", "standard"],
        header: standard_acl_header,
        keywords: &["deny", "permit", "remark"],
        bare: &[],
        label: None,
    },
    SubMode {
        name: "config-ext-nacl",
        enter: &["ip", "access-list", "extended"],
        header: extended_acl_header,
        keywords: &["deny", "permit", "remark"],
        bare: &[],
        label: None,
    },
];
