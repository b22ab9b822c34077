//! Dell EMC SmartFabric OS10 as data: the admin lands at `host#`, interface prompts name
//! the port (`conf-if-eth1/1/1`), errors read `% Error: ...`, `write memory` is silent.

use crate::config_store::{ConfigStyle, RunningConfig};
use crate::ios::{CISCO_PROMPTS, IOS_CONFIG_COMMANDS, IOS_TEXTS, cmd};
use crate::ios_sections::{interface_of, named};
use crate::ios_text::mgmt_octets;
use crate::platform::{
    Action, ArgError, Args, ConfigRules, Errors, ExecCommand, Level, ModeNames, Msg, Paging, Pipe, Pipes, Platform,
    Show, ShowCtx, SubMode, Texts,
};
use crate::settings::DeviceSpec;
use crate::text::{counters, ctime, lines, sized, unix_ping};

pub(crate) static DELL_OS10: Platform = Platform {
    name: "dell_os10",
    ssh_id: "SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7",
    login: Level::Exec,
    prompts: CISCO_PROMPTS,
    modes: ModeNames { user: "user", exec: "exec", config: "config" },
    abbreviate: true,
    exec: EXEC,
    config: ConfigRules {
        enter: &[],
        leave: &[],
        commands: IOS_CONFIG_COMMANDS,
        global: GLOBAL,
        global_bare: &[],
        submodes: SUBMODES,
        statement: None,
        candidate: None,
        ctrl_z: true,
    },
    errors: Errors {
        unknown: Msg { caret: false, text: "% Error: Unrecognized command.", blank: false },
        invalid: Msg { caret: false, text: "% Error: Illegal parameter.", blank: false },
        incomplete: Msg { caret: false, text: "% Error: Incomplete command.", blank: false },
        ambiguous: Msg { caret: false, text: "% Error: Ambiguous command.", blank: false },
    },
    paging: Paging {
        length: 24,
        width: 80,
        more: "--more--",
        erase: "\x08\x08\x08\x08\x08\x08\x08\x08        \x08\x08\x08\x08\x08\x08\x08\x08",
    },
    pipes: Pipes {
        kinds: &[
            (&["count"], Pipe::Count),
            (&["except"], Pipe::Exclude),
            (&["find"], Pipe::Begin),
            (&["grep"], Pipe::Include),
            (&["no-more"], Pipe::NoMore),
        ],
        chain: true,
        count: "Count: {n}",
    },
    text: Texts { banner: BANNER, saved: &[], show, ping: unix_ping, baseline, ..IOS_TEXTS },
};

const BANNER: &str = "Linux OS10 4.19.194 #1 SMP Debian 4.19.194-3 x86_64\r\n\r\n\
The programs included with the Debian GNU/Linux system are free software;\r\n\
the exact distribution terms for each program are described in the\r\n\
individual files in /usr/share/doc/*/copyright.\r\n\r\n\
-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-\r\n\
-*-           Dell EMC Network Operating System (OS10)                  -*-\r\n\
-*-                                                                     -*-\r\n\
-*- Copyright (c) 1999-2021 by Dell Inc. All Rights Reserved.           -*-\r\n\
-*-                                                                     -*-\r\n\
-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-*-\r\n\r\n";

const EXEC: &[ExecCommand] = &[
    cmd(&["exit"], false, Args::None, Action::Exit),
    cmd(&["terminal", "length"], false, Args::Number(0, 512), Action::TerminalLength),
    cmd(&["show", "version"], false, Args::None, Action::Show(Show::Version)),
    cmd(&["show", "clock"], false, Args::None, Action::Show(Show::Clock)),
    cmd(&["show", "ip", "interface", "brief"], false, Args::None, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["show", "running-configuration"], false, Args::Any, Action::Show(Show::RunningConfig)),
    cmd(&["show", "startup-configuration"], false, Args::None, Action::Show(Show::StartupConfig)),
    cmd(&["show", "tech-support"], false, Args::Any, Action::Show(Show::TechSupport)),
    cmd(&["configure"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "terminal"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["write", "memory"], false, Args::None, Action::WriteMemory),
    cmd(&["copy", "running-configuration", "startup-configuration"], false, Args::None, Action::WriteMemory),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

#[rustfmt::skip]
const GLOBAL: &[&str] = &[
    "aaa", "banner", "class-map", "clock", "hostname", "interface", "ip", "ipv6", "lldp", "logging", "management",
    "ntp", "policy-map", "radius-server", "route-map", "router", "snmp-server", "spanning-tree", "system",
    "tacacs-server", "username", "vlt-domain",
];

#[rustfmt::skip]
const SINGLETONS: &[&str] = &[
    "hostname", "description", "ip address", "mtu", "speed", "switchport mode", "switchport access vlan",
    "router-id",
];

static STYLE: ConfigStyle =
    ConfigStyle { hostname: "hostname", default_host: "OS10", indent: " ", separator: "!", singletons: SINGLETONS };

fn interface(args: &[&str]) -> Result<String, ArgError> {
    interface_of(&["ethernet", "loopback", "mgmt", "port-channel", "vlan"], args)
}

/// `interface ethernet1/1/1` → `conf-if-eth1/1/1`, `interface vlan10` → `conf-if-vl-10`.
fn interface_label(header: &str) -> String {
    let name = header.strip_prefix("interface ").unwrap_or(header);
    let split = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
    let short = match &name[..split] {
        "ethernet" => "eth",
        "mgmt" => "ma-",
        "loopback" => "lo-",
        "port-channel" => "po-",
        _ => "vl-",
    };
    format!("conf-if-{short}{}", &name[split..])
}

fn bgp(args: &[&str]) -> Result<String, ArgError> {
    named("router bgp", args)
}

fn ospf(args: &[&str]) -> Result<String, ArgError> {
    named("router ospf", args)
}

fn router_label(header: &str) -> String {
    format!("config-{}", header.replace(' ', "-"))
}

const ROUTER_WORDS: &[&str] = &["address-family", "area", "log-neighbor-changes", "neighbor", "router-id", "timers"];

#[rustfmt::skip]
const SUBMODES: &[SubMode] = &[
    SubMode {
        name: "conf-if",
        enter: &["interface"],
        header: interface,
        keywords: &[
            "channel-group", "description", "ip", "ipv6", "lldp", "mtu", "shutdown", "spanning-tree", "speed",
            "switchport",
        ],
        bare: &["shutdown"],
        label: Some(interface_label),
    },
    SubMode {
        name: "config-router-bgp",
        enter: &["router", "bgp"],
        header: bgp,
        keywords: ROUTER_WORDS,
        bare: &["log-neighbor-changes"],
        label: Some(router_label),
    },
    SubMode {
        name: "config-router-ospf",
        enter: &["router", "ospf"],
        header: ospf,
        keywords: ROUTER_WORDS,
        bare: &["log-neighbor-changes"],
        label: Some(router_label),
    },
];

fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let (x, y) = mgmt_octets(&spec.hostname);
    let mut c = RunningConfig::empty(&STYLE);
    c.push("ip vrf default", &[]);
    c.push(&format!("hostname {}", spec.hostname), &[]);
    c.push(&format!("username {} password **** role sysadmin priv-lvl 15", spec.username), &[]);
    c.push("aaa authentication login default local", &[]);
    c.push("aaa authentication login console local", &[]);
    for port in 1..=4 {
        c.push(&format!("interface ethernet1/1/{port}"), &["no shutdown", "switchport access vlan 1"]);
    }
    let mgmt = format!("ip address 10.{x}.{y}.1/24");
    c.push("interface mgmt1/1/1", &["no shutdown", "no ip address dhcp", &mgmt, "ipv6 address autoconfig"]);
    c.push("interface vlan1", &["no shutdown"]);
    c.push(&format!("management route 0.0.0.0/0 10.{x}.{y}.254"), &[]);
    c
}

fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    match what {
        Show::Version => version(ctx),
        Show::RunningConfig => {
            let now = time::OffsetDateTime::now_utc();
            let mut out = vec![
                "! Version 10.5.2.4".to_owned(),
                format!("! Last configuration change at {} {}", &ctime(now)[4..], now.year()),
            ];
            out.extend(ctx.config.lines());
            out
        }
        Show::StartupConfig => lines(ctx.startup),
        Show::IpInterfaceBrief => {
            let row =
                |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| format!("{a:<26}{b:<20}{c:<9}{d:<13}{e:<11}{f}");
            let mut out = vec![row("Interface Name", "IP-Address", "OK", "Method", "Status", "Protocol")];
            out.push("=".repeat(89));
            for i in ctx.config.interfaces() {
                let display =
                    [("ethernet", "Ethernet "), ("mgmt", "Management "), ("vlan", "Vlan "), ("loopback", "Loopback ")]
                        .iter()
                        .fold(i.name.to_owned(), |name, (from, to)| name.replacen(from, to, 1));
                let (address, ok, method) = i.address.map_or(("unassigned", "NO", "unset"), |a| (a, "YES", "manual"));
                let status = if i.shutdown { "admin down" } else { "up" };
                out.push(row(&display, address, ok, method, status, if i.shutdown { "down" } else { "up" }));
            }
            out
        }
        Show::Clock => vec![ctime(time::OffsetDateTime::now_utc())],
        Show::TechSupport => {
            let mut out = vec!["----------------------------------- show version -------".to_owned()];
            out.extend(version(ctx));
            out.push("----------------------------------- show running-configuration -------".into());
            out.extend(ctx.config.lines());
            out.push("----------------------------------- show interface -------".into());
            sized(out, ctx.spec.output_size, |n| counters(&format!("Ethernet 1/1/{}", n % 54 + 1), n))
        }
        _ => Vec::new(),
    }
}

fn version(ctx: &ShowCtx<'_>) -> Vec<String> {
    let secs = ctx.uptime.as_secs();
    lines(&format!(
        "Dell EMC Networking OS10 Enterprise
Copyright (c) 1999-2021 by Dell Inc. All Rights Reserved.
OS Version: 10.5.2.4
Build Version: 10.5.2.4.231
Build Time: 2021-07-15T21:37:28+0000
System Type: S4148F-ON
Architecture: x86_64
Up Time: {} day{} {:02}:{:02}:{:02}",
        secs / 86_400,
        if secs / 86_400 == 1 { "" } else { "s" },
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    ))
}
