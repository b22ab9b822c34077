//! Cisco NX-OS as data: logs in at `host#`, prompts end in a space, errors carry a `^`
//! marker (`% Invalid command at '^' marker.`), `copy running-config startup-config`
//! saves with a progress bar.

use crate::config_store::{ConfigStyle, RunningConfig};
use crate::ios::{IOS_CONFIG_COMMANDS, IOS_ERASE, IOS_TEXTS, cmd, config_cmd};
use crate::ios_sections::{interface_of, named, router_header, vlan_header};
use crate::ios_text::mgmt_octets;
use crate::platform::{
    Action, Args, ConfigAction, ConfigCommand, ConfigRules, Errors, ExecCommand, Level, ModeNames, Msg, Paging, Pipe,
    Pipes, Platform, Prompts, Show, ShowCtx, SubMode, Texts,
};
use crate::settings::DeviceSpec;
use crate::text::{counters, ctime, lines, sized, unix_ping};

pub(crate) static CISCO_NXOS: Platform = Platform {
    name: "cisco_nxos",
    ssh_id: "SSH-2.0-OpenSSH_8.3",
    login: Level::Exec,
    prompts: Prompts { user: "{host}> ", exec: "{host}# ", config: "{host}(config)# ", sub: "{host}({label})# " },
    modes: ModeNames { user: "user", exec: "exec", config: "config" },
    abbreviate: true,
    exec: EXEC,
    config: ConfigRules {
        enter: &["Enter configuration commands, one per line. End with CNTL/Z."],
        leave: &[],
        commands: COMMANDS,
        global: GLOBAL,
        global_bare: &["copp"],
        submodes: SUBMODES,
        statement: None,
        candidate: None,
        ctrl_z: true,
    },
    errors: Errors {
        unknown: INVALID,
        invalid: INVALID,
        incomplete: Msg { caret: true, text: "% Incomplete command at '^' marker.", blank: false },
        ambiguous: Msg { caret: true, text: "% Ambiguous command at '^' marker.", blank: false },
    },
    paging: Paging { length: 31, width: 80, more: " --More-- ", erase: IOS_ERASE },
    pipes: Pipes {
        kinds: &[
            (&["begin"], Pipe::Begin),
            (&["count"], Pipe::Count),
            (&["exclude"], Pipe::Exclude),
            (&["include"], Pipe::Include),
            (&["no-more"], Pipe::NoMore),
            (&["section"], Pipe::Section),
        ],
        chain: true,
        count: "{n}",
    },
    text: Texts {
        banner: "Cisco Nexus Operating System (NX-OS) Software\r\nTAC support: http://www.cisco.com/tac\r\n\
                 Copyright (C) 2002-2022, Cisco and/or its affiliates.\r\nAll rights reserved.\r\n",
        saved: &[
            "[########################################] 100%",
            "Copy complete, now saving to disk (please wait)...",
            "Copy complete.",
        ],
        show,
        ping: unix_ping,
        baseline,
        ..IOS_TEXTS
    },
};

const INVALID: Msg = Msg { caret: true, text: "% Invalid command at '^' marker.", blank: false };

const EXEC: &[ExecCommand] = &[
    cmd(&["exit"], false, Args::None, Action::Exit),
    cmd(&["terminal", "length"], false, Args::Number(0, 511), Action::TerminalLength),
    cmd(&["terminal", "width"], false, Args::Number(24, 511), Action::TerminalWidth),
    cmd(&["show", "version"], false, Args::None, Action::Show(Show::Version)),
    cmd(&["show", "clock"], false, Args::None, Action::Show(Show::Clock)),
    cmd(&["show", "ip", "interface", "brief"], false, Args::Any, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["show", "running-config"], false, Args::Any, Action::Show(Show::RunningConfig)),
    cmd(&["show", "startup-config"], false, Args::Any, Action::Show(Show::StartupConfig)),
    cmd(&["show", "tech-support"], false, Args::Any, Action::Show(Show::TechSupport)),
    cmd(&["configure"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "terminal"], false, Args::None, Action::ConfigureTerminal),
    cmd(&["copy", "running-config", "startup-config"], false, Args::None, Action::WriteMemory),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

/// The IOS set plus exec commands typed straight into configuration mode.
const COMMANDS: &[ConfigCommand] = &[
    IOS_CONFIG_COMMANDS[0],
    IOS_CONFIG_COMMANDS[1],
    IOS_CONFIG_COMMANDS[2],
    IOS_CONFIG_COMMANDS[3],
    IOS_CONFIG_COMMANDS[4],
    config_cmd(&["show"], Args::Rest, ConfigAction::Exec),
    config_cmd(&["copy"], Args::Rest, ConfigAction::Exec),
];

#[rustfmt::skip]
const GLOBAL: &[&str] = &[
    "aaa", "banner", "boot", "cdp", "class-map", "clock", "copp", "errdisable", "evpn", "feature", "hardware",
    "hostname", "interface", "ip", "ipv6", "key", "line", "lldp", "logging", "mac", "ntp", "nv", "object-group",
    "policy-map", "port-channel", "radius-server", "role", "route-map", "router", "service", "snmp-server",
    "spanning-tree", "ssh", "system", "tacacs-server", "track", "username", "vdc", "vlan", "vrf",
];

#[rustfmt::skip]
const SINGLETONS: &[&str] = &[
    "hostname", "description", "ip address", "mtu", "speed", "duplex", "switchport mode", "switchport access vlan",
    "name", "router-id", "vrf member", "banner motd",
];

static STYLE: ConfigStyle =
    ConfigStyle { hostname: "hostname", default_host: "switch", indent: "  ", separator: "", singletons: SINGLETONS };

fn interface(args: &[&str]) -> Result<String, crate::platform::ArgError> {
    interface_of(&["Ethernet", "loopback", "mgmt", "port-channel", "Vlan", "nve", "Tunnel"], args)
}

fn vrf_context(args: &[&str]) -> Result<String, crate::platform::ArgError> {
    named("vrf context", args)
}

fn line(args: &[&str]) -> Result<String, crate::platform::ArgError> {
    match args {
        [] => Err(crate::platform::ArgError::Incomplete),
        [kind] if ["console", "vty"].contains(kind) => Ok(format!("line {kind}")),
        _ => Err(crate::platform::ArgError::Invalid(0)),
    }
}

#[rustfmt::skip]
const SUBMODES: &[SubMode] = &[
    SubMode {
        name: "config-if",
        enter: &["interface"],
        header: interface,
        keywords: &[
            "bandwidth", "cdp", "channel-group", "delay", "description", "duplex", "ip", "ipv6", "lacp", "lldp",
            "load-interval", "mtu", "service-policy", "shutdown", "spanning-tree", "speed", "switchport", "vrf",
        ],
        bare: &["shutdown", "switchport"],
        label: None,
    },
    SubMode {
        name: "config-vlan",
        enter: &["vlan"],
        header: vlan_header,
        keywords: &["name", "shutdown", "state", "vn-segment"],
        bare: &["shutdown"],
        label: None,
    },
    SubMode {
        name: "config-router",
        enter: &["router"],
        header: router_header,
        keywords: &["address-family", "area", "log-adjacency-changes", "neighbor", "router-id", "timers", "vrf"],
        bare: &["log-adjacency-changes"],
        label: None,
    },
    SubMode {
        name: "config-vrf",
        enter: &["vrf", "context"],
        header: vrf_context,
        keywords: &["address-family", "description", "ip", "ipv6", "rd", "vni"],
        bare: &[],
        label: None,
    },
    SubMode {
        name: "config-line",
        enter: &["line"],
        header: line,
        keywords: &["access-class", "exec-timeout", "session-limit", "speed"],
        bare: &[],
        label: None,
    },
];

fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let (x, y) = mgmt_octets(&spec.hostname);
    let mut c = RunningConfig::empty(&STYLE);
    c.push("version 9.3(8) Bios:version", &[]);
    c.push(&format!("hostname {}", spec.hostname), &[]);
    c.push(&format!("vdc {} id 1", spec.hostname), &["limit-resource vlan minimum 16 maximum 4094"]);
    c.push("feature lldp", &[]);
    c.push(&format!("username {} password 5 $5$NAAS$sim role network-admin", spec.username), &[]);
    c.push("ip domain-lookup", &[]);
    c.push("copp profile strict", &[]);
    c.push("vlan 1", &[]);
    c.push("vrf context management", &[&format!("ip route 0.0.0.0/0 10.{x}.{y}.254")]);
    for port in 1..=4 {
        c.push(&format!("interface Ethernet1/{port}"), &[]);
    }
    c.push("interface mgmt0", &["vrf member management", &format!("ip address 10.{x}.{y}.1/24")]);
    c.push("line console", &[]);
    c.push("line vty", &[]);
    c.push("boot nxos bootflash:/nxos.9.3.8.bin", &[]);
    c
}

fn stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{} {}", ctime(now), now.year())
}

fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    match what {
        Show::Version => version(ctx),
        Show::RunningConfig => {
            let mut out = vec![
                "!Command: show running-config".to_owned(),
                format!("!Running configuration last done at: {}", stamp()),
                format!("!Time: {}", stamp()),
                String::new(),
            ];
            out.extend(ctx.config.lines());
            out.push(String::new());
            out
        }
        Show::StartupConfig => {
            let mut out =
                vec!["!Command: show startup-config".to_owned(), format!("!Time: {}", stamp()), String::new()];
            out.extend(lines(ctx.startup));
            out
        }
        Show::IpInterfaceBrief => interface_brief(ctx.config),
        Show::Clock => {
            let now = time::OffsetDateTime::now_utc();
            let day = ctime(now);
            vec![
                format!("{}.{:03} UTC {} {}", &day[11..], now.millisecond(), &day[..10], now.year()),
                "Time source is NTP".into(),
            ]
        }
        Show::TechSupport => {
            let mut out = vec!["`show switchname`".to_owned(), ctx.config.hostname().to_owned(), String::new()];
            out.push("`show version`".into());
            out.extend(version(ctx));
            out.extend([String::new(), "`show interface`".into()]);
            sized(out, ctx.spec.output_size, |n| counters(&format!("Ethernet1/{}", n % 64 + 1), n))
        }
        _ => Vec::new(),
    }
}

fn interface_brief(config: &RunningConfig) -> Vec<String> {
    let mut out = vec!["IP Interface Status for VRF \"default\"(1)".to_owned()];
    out.push(format!("{:<20} {:<15} {}", "Interface", "IP Address", "Interface Status"));
    for section in config.sections() {
        let Some(name) = section.header.strip_prefix("interface ") else { continue };
        let child = |p: &str| section.children.iter().find_map(|c| c.strip_prefix(p).map(str::to_owned));
        let (Some(address), None) = (child("ip address "), child("vrf member ")) else { continue };
        let address = address.split('/').next().unwrap_or("").to_owned();
        let admin = if section.children.iter().any(|c| c == "shutdown") { "down" } else { "up" };
        let short = name.replace("Ethernet", "Eth").replace("loopback", "Lo").replace("port-channel", "Po");
        out.push(format!("{short:<20} {address:<15} protocol-{admin}/link-{admin}/admin-{admin}"));
    }
    out
}

fn version(ctx: &ShowCtx<'_>) -> Vec<String> {
    let secs = ctx.uptime.as_secs();
    let (days, hours, minutes, seconds) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    lines(&format!(
        "Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html
Copyright (c) 2002-2021, Cisco Systems, Inc. All rights reserved.
The copyrights to certain works contained herein are owned by
other third parties and are used and distributed under license.
Some parts of this software are covered under the GNU Public
License. A copy of the license is available at
http://www.gnu.org/licenses/gpl.html.

Nexus 9000v is a demo version of the Nexus Operating System

Software
  BIOS: version
 NXOS: version 9.3(8)
  BIOS compile time:
  NXOS image file is: bootflash:///nxos.9.3.8.bin
  NXOS compile time:  8/18/2021 15:00:00 [08/19/2021 02:36:11]


Hardware
  cisco Nexus9000 C9300v Chassis
  Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz with 8159516 kB of memory.
  Processor Board ID 9N3KD63KWT0

  Device name: {host}
  bootflash:    4287040 kB
Kernel uptime is {days} day(s), {hours} hour(s), {minutes} minute(s), {seconds} second(s)

Last reset
  Reason: Unknown
  System version:
  Service:

plugin
  Core Plugin, Ethernet Plugin

Active Package(s):
",
        host = ctx.config.hostname()
    ))
}
