//! Cisco IOS-XR output texts. Show commands start with a timestamp line, as on a real
//! router.

use crate::config_store::RunningConfig;
use crate::device::CommitRecord;
use crate::ios_text::mgmt_octets;
use crate::platform::{Show, ShowCtx};
use crate::settings::DeviceSpec;
use crate::text::{counters, ctime, fingerprint, lines, sized, xr_stamp};

const VERSION: &str = "7.3.2";

pub(crate) fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let (x, y) = mgmt_octets(&spec.hostname);
    let secret = format!("secret 10 $6$naas{:012x}$sim", fingerprint(&spec.hostname) >> 16);
    let mut c = RunningConfig::empty(&crate::xr::STYLE);
    c.push(&format!("hostname {}", spec.hostname), &[]);
    c.push("logging console disable", &[]);
    c.push("domain name lab.example", &[]);
    c.push(&format!("username {}", spec.username), &["group root-lr", "group cisco-support", &secret]);
    c.push("call-home", &["service active", "contact smart-licensing", "profile CiscoTAC-1", " active"]);
    c.push("interface MgmtEth0/RP0/CPU0/0", &[&format!("ipv4 address 10.{x}.{y}.1 255.255.255.0")]);
    for port in 0..3 {
        c.push(&format!("interface GigabitEthernet0/0/0/{port}"), &["shutdown"]);
    }
    c.push("router static", &["address-family ipv4 unicast", &format!(" 0.0.0.0/0 10.{x}.{y}.254")]);
    c.push("ssh server v2", &[]);
    c.push("ssh server vrf default", &[]);
    c
}

pub(crate) fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    let body = match what {
        Show::Version => version(ctx),
        Show::RunningConfig => running_config(ctx.config, ctx.commits),
        Show::Changes => {
            let mut out = vec!["Building configuration...".to_owned(), format!("!! IOS XR Configuration {VERSION}")];
            out.extend(RunningConfig::from_changes(ctx.config.style(), ctx.staged).lines().into_iter().skip(1));
            out.push("end".into());
            return out;
        }
        Show::IpInterfaceBrief => interface_brief(ctx.config),
        Show::Clock => return vec![xr_stamp()],
        Show::CommitList => commit_list(ctx.commits),
        Show::CommitDetail => commit_detail(ctx.commits),
        Show::TechSupport => {
            let mut out = vec!["-------------------- show version --------------------".to_owned()];
            out.extend(version(ctx));
            out.push("-------------------- show running-config --------------------".into());
            out.extend(running_config(ctx.config, ctx.commits));
            out.push("-------------------- show interfaces --------------------".into());
            return sized(out, ctx.spec.output_size, |n| counters(&format!("GigabitEthernet0/0/0/{}", n % 32), n));
        }
        _ => return Vec::new(),
    };
    let mut out = vec![xr_stamp()];
    out.extend(body);
    out
}

fn running_config(config: &RunningConfig, commits: &[CommitRecord]) -> Vec<String> {
    let mut out = vec!["Building configuration...".to_owned(), format!("!! IOS XR Configuration {VERSION}")];
    if let Some(last) = commits.last() {
        out.push(format!("!! Last configuration change at {} {} by {}", ctime(last.at), last.at.year(), last.user));
    }
    out.extend(config.lines());
    out.push("end".into());
    out.push(String::new());
    out
}

fn commit_list(commits: &[CommitRecord]) -> Vec<String> {
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| format!("{a:<5}{b:<22}{c:<10}{d:<20}{e:<12}{f}");
    let mut out = vec![
        row("SNo.", "Label/ID", "User", "Line", "Client", "Time Stamp"),
        row("~~~~", "~~~~~~~~", "~~~~", "~~~~", "~~~~~~", "~~~~~~~~~~"),
    ];
    for (n, c) in commits.iter().rev().enumerate() {
        let at = format!("{} {}", ctime(c.at), c.at.year());
        out.push(row(&(n + 1).to_string(), &c.id.to_string(), &c.user, "vty0:node0_RP0_CPU0", "CLI", &at));
    }
    out
}

/// `show configuration commit list detail`: where the comments are.
fn commit_detail(commits: &[CommitRecord]) -> Vec<String> {
    let mut out = Vec::new();
    for (n, c) in commits.iter().rev().enumerate() {
        let at = format!("{} {}", ctime(c.at), c.at.year());
        out.extend([
            String::new(),
            format!("   {}) CommitId: {:<24}Label: NONE", n + 1, c.id),
            format!("      UserId:   {:<24}Line:  vty0:node0_RP0_CPU0", c.user),
            format!("      Client:   {:<24}Time:  {at}", "CLI"),
            format!("      Comment:  {}", c.comment.as_deref().unwrap_or("NONE")),
        ]);
    }
    out
}

fn interface_brief(config: &RunningConfig) -> Vec<String> {
    let row = |a: &str, b: &str, c: &str, d: &str| format!("{a:<31}{b:<16}{c:<16}{d:<9}default ");
    let mut out = vec![
        String::new(),
        format!("{:<31}{:<16}{:<16}{:<9}Vrf-Name", "Interface", "IP-Address", "Status", "Protocol"),
    ];
    for i in config.interfaces() {
        let (status, protocol) = if i.shutdown { ("Shutdown", "Down") } else { ("Up", "Up") };
        out.push(row(i.name, i.address.unwrap_or("unassigned"), status, protocol));
    }
    out
}

fn version(ctx: &ShowCtx<'_>) -> Vec<String> {
    let minutes = ctx.uptime.as_secs() / 60;
    let mut uptime: Vec<String> = [(minutes / 1440, "day"), (minutes / 60 % 24, "hour")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| crate::text::plural(*n, unit))
        .collect();
    uptime.push(crate::text::plural(minutes % 60, "minute"));
    lines(&format!(
        "Cisco IOS XR Software, Version {VERSION}
Copyright (c) 2013-2021 by Cisco Systems, Inc.

Build Information:
 Built By     : ingunawa
 Built On     : Wed Oct 13 20:00:00 PDT 2021
 Built Host   : iox-ucs-017
 Workspace    : /auto/srcarchive17/prod/{VERSION}/xrv9k/ws
 Version      : {VERSION}
 Location     : /opt/cisco/XR/packages/
 Label        : {VERSION}

cisco IOS-XRv 9000 () processor
System uptime is {}
",
        uptime.join(" ")
    ))
}
