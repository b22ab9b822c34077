//! Arista EOS as data: `host>` then `enable` (no secret by default), sub-mode prompts
//! that name the interface (`config-if-Et1`), errors without a `^` marker, children
//! indented by three spaces.

use crate::config_store::{ConfigStyle, RunningConfig};
use crate::ios::{CISCO_PROMPTS, IOS_CONFIG_COMMANDS, IOS_ERASE, IOS_TEXTS, cmd, config_cmd};
use crate::ios_sections::{interface_of, named, vlan_header};
use crate::ios_text::mgmt_octets;
use crate::platform::{
    Action, ArgError, Args, ConfigAction, ConfigCommand, ConfigRules, Errors, ExecCommand, Level, ModeNames, Msg,
    Paging, Pipe, Pipes, Platform, Show, ShowCtx, SubMode, Texts,
};
use crate::settings::DeviceSpec;
use crate::text::{counters, fingerprint, lines, sized, unix_ping};

pub(crate) static ARISTA_EOS: Platform = Platform {
    name: "arista_eos",
    ssh_id: "SSH-2.0-OpenSSH_7.8",
    login: Level::User,
    prompts: CISCO_PROMPTS,
    modes: ModeNames { user: "user", exec: "privileged", config: "config" },
    abbreviate: true,
    exec: EXEC,
    config: ConfigRules {
        enter: &[],
        leave: &[],
        commands: COMMANDS,
        global: GLOBAL,
        global_bare: &[],
        submodes: SUBMODES,
        statement: None,
        candidate: None,
        ctrl_z: true,
    },
    errors: Errors {
        unknown: INVALID,
        invalid: INVALID,
        incomplete: Msg { caret: false, text: "% Incomplete command", blank: false },
        ambiguous: Msg { caret: false, text: "% Ambiguous command", blank: false },
    },
    paging: Paging { length: 24, width: 80, more: " --More-- ", erase: IOS_ERASE },
    pipes: Pipes {
        kinds: &[
            (&["begin"], Pipe::Begin),
            (&["exclude"], Pipe::Exclude),
            (&["include"], Pipe::Include),
            (&["no-more"], Pipe::NoMore),
            (&["section"], Pipe::Section),
        ],
        chain: true,
        count: "{n}",
    },
    text: Texts {
        banner: "\r\n",
        saved: &["Copy completed successfully."],
        show,
        ping: unix_ping,
        baseline,
        ..IOS_TEXTS
    },
};

const INVALID: Msg = Msg { caret: false, text: "% Invalid input", blank: false };

const EXEC: &[ExecCommand] = &[
    cmd(&["enable"], false, Args::None, Action::Enable),
    cmd(&["disable"], false, Args::None, Action::Disable),
    cmd(&["exit"], false, Args::None, Action::Exit),
    cmd(&["logout"], false, Args::None, Action::Exit),
    cmd(&["terminal", "length"], false, Args::Number(0, 32767), Action::TerminalLength),
    cmd(&["terminal", "width"], false, Args::Number(10, 32767), Action::TerminalWidth),
    cmd(&["show", "version"], false, Args::None, Action::Show(Show::Version)),
    cmd(&["show", "clock"], false, Args::None, Action::Show(Show::Clock)),
    cmd(&["show", "ip", "interface", "brief"], false, Args::None, Action::Show(Show::IpInterfaceBrief)),
    cmd(&["show", "interfaces"], false, Args::Any, Action::Show(Show::Interfaces)),
    cmd(&["show", "privilege"], false, Args::None, Action::Show(Show::Privilege)),
    cmd(&["show", "running-config"], true, Args::Any, Action::Show(Show::RunningConfig)),
    cmd(&["show", "startup-config"], true, Args::None, Action::Show(Show::StartupConfig)),
    cmd(&["show", "tech-support"], true, Args::Any, Action::Show(Show::TechSupport)),
    cmd(&["configure"], true, Args::None, Action::ConfigureTerminal),
    cmd(&["configure", "terminal"], true, Args::None, Action::ConfigureTerminal),
    cmd(&["write"], true, Args::None, Action::WriteMemory),
    cmd(&["write", "memory"], true, Args::None, Action::WriteMemory),
    cmd(&["copy", "running-config", "startup-config"], true, Args::None, Action::WriteMemory),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

const COMMANDS: &[ConfigCommand] = &[
    IOS_CONFIG_COMMANDS[0],
    IOS_CONFIG_COMMANDS[1],
    IOS_CONFIG_COMMANDS[2],
    IOS_CONFIG_COMMANDS[3],
    IOS_CONFIG_COMMANDS[4],
    config_cmd(&["show"], Args::Rest, ConfigAction::Exec),
    config_cmd(&["write"], Args::Any, ConfigAction::Exec),
    config_cmd(&["copy"], Args::Rest, ConfigAction::Exec),
];

#[rustfmt::skip]
const GLOBAL: &[&str] = &[
    "aaa", "alias", "banner", "boot", "class-map", "clock", "daemon", "dns", "enable", "errdisable",
    "event-handler", "hostname", "interface", "ip", "ipv6", "lldp", "logging", "management", "mlag", "monitor",
    "ntp", "policy-map", "radius-server", "route-map", "router", "service", "snmp-server", "spanning-tree",
    "tacacs-server", "transceiver", "username", "vlan", "vrf",
];

#[rustfmt::skip]
const SINGLETONS: &[&str] = &[
    "hostname", "description", "ip address", "mtu", "speed", "switchport mode", "switchport access vlan", "name",
    "router-id", "spanning-tree mode", "ip name-server vrf default",
];

static STYLE: ConfigStyle = ConfigStyle {
    hostname: "hostname",
    default_host: "localhost",
    indent: "   ",
    separator: "!",
    singletons: SINGLETONS,
};

#[rustfmt::skip]
const INTERFACE_TYPES: &[&str] = &["Ethernet", "Loopback", "Management", "Port-Channel", "Tunnel", "Vlan", "Vxlan"];

fn interface(args: &[&str]) -> Result<String, ArgError> {
    interface_of(INTERFACE_TYPES, args)
}

/// `interface Ethernet1` → `config-if-Et1`, `interface Port-Channel10` → `config-if-Po10`.
fn interface_label(header: &str) -> String {
    let name = header.strip_prefix("interface ").unwrap_or(header);
    let split = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
    format!("config-if-{}{}", &name[..2.min(split)], &name[split..])
}

fn vlan_label(header: &str) -> String {
    format!("config-vlan-{}", header.strip_prefix("vlan ").unwrap_or(header))
}

fn bgp(args: &[&str]) -> Result<String, ArgError> {
    named("router bgp", args)
}

fn ospf(args: &[&str]) -> Result<String, ArgError> {
    named("router ospf", args)
}

fn api(args: &[&str]) -> Result<String, ArgError> {
    match args {
        ["http-commands"] => Ok("management api http-commands".into()),
        [] => Err(ArgError::Incomplete),
        _ => Err(ArgError::Invalid(0)),
    }
}

const ROUTER_WORDS: &[&str] =
    &["address-family", "area", "maximum-paths", "neighbor", "network", "redistribute", "router-id", "timers"];

#[rustfmt::skip]
const SUBMODES: &[SubMode] = &[
    SubMode {
        name: "config-if",
        enter: &["interface"],
        header: interface,
        keywords: &[
            "channel-group", "description", "ip", "ipv6", "lacp", "lldp", "load-interval", "mtu",
            "service-policy", "shutdown", "spanning-tree", "speed", "switchport", "vrf",
        ],
        bare: &["shutdown", "switchport"],
        label: Some(interface_label),
    },
    SubMode {
        name: "config-vlan",
        enter: &["vlan"],
        header: vlan_header,
        keywords: &["name", "state", "trunk"],
        bare: &[],
        label: Some(vlan_label),
    },
    SubMode { name: "config-router-bgp", enter: &["router", "bgp"], header: bgp, keywords: ROUTER_WORDS, bare: &[], label: None },
    SubMode { name: "config-router-ospf", enter: &["router", "ospf"], header: ospf, keywords: ROUTER_WORDS, bare: &[], label: None },
    SubMode {
        name: "config-mgmt-api-http-cmds",
        enter: &["management", "api"],
        header: api,
        keywords: &["protocol", "shutdown", "vrf"],
        bare: &["shutdown"],
        label: None,
    },
];

fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let (x, y) = mgmt_octets(&spec.hostname);
    let mut c = RunningConfig::empty(&STYLE);
    c.push("no aaa root", &[]);
    let hash = format!("$6$naas{:012x}$sim", fingerprint(&spec.hostname) >> 16);
    c.push(&format!("username {} privilege 15 role network-admin secret sha512 {hash}", spec.username), &[]);
    c.push("transceiver qsfp default-mode 4x10G", &[]);
    c.push("service routing protocols model multi-agent", &[]);
    c.push(&format!("hostname {}", spec.hostname), &[]);
    c.push("spanning-tree mode mstp", &[]);
    let routed = format!("ip address 192.0.2.{}/31", (fingerprint(&spec.hostname) % 64) * 2);
    c.push("interface Ethernet1", &[]);
    c.push("interface Ethernet2", &["no switchport", &routed]);
    c.push("interface Ethernet3", &[]);
    c.push("interface Loopback0", &[&format!("ip address 10.255.{x}.{y}/32")]);
    c.push("interface Management1", &[&format!("ip address 10.{x}.{y}.1/24")]);
    c.push("no ip routing", &[]);
    c.push("management api http-commands", &["no shutdown"]);
    c
}

fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    match what {
        Show::Version => version(ctx),
        Show::RunningConfig => running_config(ctx),
        Show::StartupConfig => {
            let mut out = lines(ctx.startup);
            out.push("end".into());
            out
        }
        Show::IpInterfaceBrief => interface_brief(ctx.config),
        Show::Interfaces => crate::show_interfaces::eos(ctx),
        Show::Clock => vec![crate::text::ctime(time::OffsetDateTime::now_utc()), "Timezone: UTC".into()],
        Show::Privilege => vec![format!("Current privilege level is {}", if ctx.privileged { 15 } else { 1 })],
        Show::TechSupport => {
            let mut out = vec!["------------- show version detail -------------".to_owned(), String::new()];
            out.extend(version(ctx));
            out.extend([String::new(), "------------- show running-config sanitized -------------".into()]);
            out.extend(running_config(ctx));
            out.extend([String::new(), "------------- show interfaces -------------".into()]);
            sized(out, ctx.spec.output_size, |n| counters(&format!("Ethernet{}", n % 48 + 1), n))
        }
        _ => Vec::new(),
    }
}

fn running_config(ctx: &ShowCtx<'_>) -> Vec<String> {
    let mut out = vec![
        "! Command: show running-config".to_owned(),
        format!("! device: {} (vEOS-lab, EOS-4.28.0F)", ctx.config.hostname()),
        "!".into(),
        "! boot system flash:/vEOS-lab.swi".into(),
    ];
    out.extend(ctx.config.lines());
    out.push("end".into());
    out
}

fn interface_brief(config: &RunningConfig) -> Vec<String> {
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str| format!("{a:<17} {b:<21} {c:<12} {d:<14} {e:>8}");
    let mut out = vec![
        format!("{:>79}", "Address"),
        row("Interface", "IP Address", "Status", "Protocol", "MTU") + "    Owner",
        row("-----------------", "---------------------", "------------", "--------------", "--------") + " -------",
    ];
    for i in config.interfaces().into_iter().filter(|i| i.address.is_some()) {
        let status = if i.shutdown { "adminDown" } else { "up" };
        let mtu = if i.name.starts_with("Loopback") { "65535" } else { "1500" };
        out.push(row(i.name, i.address.unwrap_or("unassigned"), status, status, mtu));
    }
    out
}

fn version(ctx: &ShowCtx<'_>) -> Vec<String> {
    let print = fingerprint(&ctx.spec.hostname);
    let mac = format!("5254.00{:02x}.{:04x}", print & 0xff, (print >> 8) & 0xffff);
    let minutes = ctx.uptime.as_secs() / 60;
    lines(&format!(
        "Arista vEOS-lab
Hardware version:
Serial number: {serial:032X}
Hardware MAC address: {mac}
System MAC address: {mac}

Software image version: 4.28.0F
Architecture: x86_64
Internal build version: 4.28.0F-26924507.4280F
Internal build ID: 8e6e8e57-4a2d-4b6e-9e0e-2d4f1d1a6f64
Image format version: 1.0
Image optimization: None

Uptime: {weeks} weeks, {days} days, {hours} hours and {mins} minutes
Total memory: 4002220 kB
Free memory: 2517124 kB
",
        serial = u128::from(print),
        weeks = minutes / 10_080,
        days = minutes / 1440 % 7,
        hours = minutes / 60 % 24,
        mins = minutes % 60,
    ))
}
