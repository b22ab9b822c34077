//! Cisco IOS as data: the exec command table, configuration-mode rules and messages.
//! The long show outputs live in `ios_text.rs`.

use crate::ios_sections::{
    extended_acl_header, interface_header, line_header, router_header, standard_acl_header, vlan_header,
};
use crate::ios_text;
use crate::platform::{Action, Args, ConfigRules, ExecCommand, Platform, Show, SubMode, Texts};

pub(crate) static CISCO_IOS: Platform = Platform {
    name: "cisco_ios",
    exec: EXEC,
    config: ConfigRules {
        global: GLOBAL,
        global_bare: &["control-plane", "redundancy"],
        submodes: SUBMODES,
        singletons: SINGLETONS,
    },
    text: Texts {
        banner: "\r\n",
        enter_config: "Enter configuration commands, one per line.  End with CNTL/Z.",
        password_prompt: "Password: ",
        access_denied: "% Access denied",
        bad_secrets: "% Bad secrets",
        invalid_input: "% Invalid input detected at '^' marker.",
        incomplete: "% Incomplete command.",
        ambiguous: "% Ambiguous command:  ",
        more: " --More-- ",
        copy_destination: "Destination filename [startup-config]? ",
        configure_from: "Configuring from terminal, memory, or network [terminal]? ",
        saved: &["Building configuration...", "[OK]"],
        show: ios_text::show,
        ping: ios_text::ping,
        baseline: ios_text::baseline,
    },
};

const fn cmd(words: &'static [&'static str], privileged: bool, args: Args, action: Action) -> ExecCommand {
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

/// First keywords accepted in global configuration mode (`do`, `end`, `exit` and `no` are
/// handled by the engine).
#[rustfmt::skip]
const GLOBAL: &[&str] = &[
    "aaa", "access-list", "alias", "archive", "banner", "boot", "cdp", "class-map", "clock", "control-plane",
    "crypto", "default", "dot1x", "enable", "errdisable", "hostname", "interface", "ip", "ipv6", "key", "line",
    "lldp", "logging", "mac", "monitor", "mpls", "ntp", "policy-map", "radius-server", "redundancy", "route-map",
    "router", "service", "snmp-server", "spanning-tree", "tacacs-server", "track", "udld", "username", "version",
    "vlan", "vtp",
];

#[rustfmt::skip]
const SINGLETONS: &[&str] = &[
    "hostname", "version", "enable secret", "ip domain-name", "ip domain name", "ip default-gateway", "banner motd",
    "banner login", "clock timezone", "logging buffered", "snmp-server location", "snmp-server contact",
    "description", "ip address", "mtu", "speed", "duplex", "bandwidth", "encapsulation", "switchport mode",
    "switchport access vlan", "switchport trunk native vlan", "load-interval", "media-type", "name", "state",
    "router-id", "exec-timeout", "transport input", "session-timeout", "length", "width", "privilege level",
    "password",
];

#[rustfmt::skip]
const SUBMODES: &[SubMode] = &[
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
    },
    SubMode {
        name: "config-vlan",
        enter: &["vlan"],
        header: vlan_header,
        keywords: &["mtu", "name", "remote-span", "shutdown", "state"],
        bare: &["shutdown", "remote-span"],
    },
    SubMode {
        name: "config-std-nacl",
        enter: &["ip", "access-list", "standard"],
        header: standard_acl_header,
        keywords: &["deny", "permit", "remark"],
        bare: &[],
    },
    SubMode {
        name: "config-ext-nacl",
        enter: &["ip", "access-list", "extended"],
        header: extended_acl_header,
        keywords: &["deny", "permit", "remark"],
        bare: &[],
    },
];
