//! Cisco IOS and IOS-XE.

use super::{device, run, session};
use crate::cli::{Chunk, Cli};
use crate::settings::DeviceSpec;

const MORE: &str = " --More-- ";
const INVALID: &str = "% Invalid input detected at '^' marker.";

fn cli() -> Cli {
    Cli::new(device(DeviceSpec::cisco_ios("r1", "admin", "pw", "en-secret")))
}

fn privileged() -> Cli {
    let mut cli = cli();
    run(&mut cli, "enable\ren-secret\r");
    assert_eq!(cli.prompt(), "r1#");
    cli
}

#[test]
fn starts_with_banner_and_user_prompt() {
    let cli = cli();
    assert_eq!(String::from_utf8(cli.start()).unwrap(), "\r\nr1>");
}

#[test]
fn enable_with_the_right_secret_is_not_echoed() {
    let mut cli = cli();
    assert_eq!(run(&mut cli, "enable\n"), "enable\r\nPassword: ");
    assert_eq!(run(&mut cli, "en-secret\n"), "\r\nr1#");
    assert_eq!(run(&mut cli, "disable\r"), "disable\r\nr1>");
}

#[test]
fn enable_with_a_wrong_secret_is_denied_then_bad_secrets() {
    let mut cli = cli();
    let first = run(&mut cli, "enable\rnope\r");
    assert_eq!(first, "enable\r\nPassword: \r\n% Access denied\r\n\r\nr1>");
    run(&mut cli, "enable\rnope\r");
    assert!(run(&mut cli, "enable\rnope\r").contains("% Bad secrets\r\n\r\nr1>"));
    assert_eq!(cli.prompt(), "r1>");
}

#[test]
fn configuration_modes_and_sub_modes() {
    let mut cli = privileged();
    let out = run(&mut cli, "configure terminal\r");
    assert_eq!(
        out,
        "configure terminal\r\nEnter configuration commands, one per line.  End with CNTL/Z.\r\nr1(config)#"
    );
    assert!(run(&mut cli, "interface Loopback7\r").ends_with("r1(config-if)#"));
    assert!(run(&mut cli, "description probe\r").ends_with("\r\nr1(config-if)#"));
    assert!(run(&mut cli, "exit\r").ends_with("r1(config)#"));
    assert!(run(&mut cli, "router ospf 1\r").ends_with("r1(config-router)#"));
    assert!(run(&mut cli, "network 10.0.0.0 0.0.0.255 area 0\r").ends_with("r1(config-router)#"));
    assert!(run(&mut cli, "line vty 0 4\r").ends_with("r1(config-line)#"));
    assert!(run(&mut cli, "exec-timeout 5 0\r").ends_with("r1(config-line)#"));
    assert!(run(&mut cli, "vlan 10\r").ends_with("r1(config-vlan)#"));
    assert!(run(&mut cli, "name users\r").ends_with("r1(config-vlan)#"));
    assert!(run(&mut cli, "int gi0/1\r").ends_with("r1(config-if)#"));
    assert!(run(&mut cli, "no shut\r").ends_with("r1(config-if)#"));
    assert!(
        run(&mut cli, "snmp-server community public RO\r").ends_with("r1(config)#"),
        "global command leaves the sub-mode"
    );
    assert!(run(&mut cli, "end\r").ends_with("\r\nr1#"));
    run(&mut cli, "terminal length 0\r");
    let config = run(&mut cli, "show running-config\r");
    assert!(config.contains("\r\ninterface Loopback7\r\n description probe\r\n"), "{config}");
    assert!(config.contains("\r\nrouter ospf 1\r\n network 10.0.0.0 0.0.0.255 area 0\r\n"), "{config}");
    assert!(config.contains("\r\nline vty 0 4\r\n login local\r\n transport input ssh\r\n exec-timeout 5 0\r\n"));
    assert!(config.contains("\r\nsnmp-server community public RO\r\n"));
    assert!(config.starts_with("show running-config\r\nBuilding configuration...\r\n"));
    let brief = run(&mut cli, "show ip interface brief | include 0/1\r");
    assert!(brief.contains("GigabitEthernet0/1     unassigned      YES unset  up"), "{brief}");
}

#[test]
fn invalid_config_line_puts_the_caret_under_the_bad_word() {
    let mut cli = privileged();
    run(&mut cli, "conf t\r");
    let out = run(&mut cli, "bogus line\r");
    let expected = format!("bogus line\r\n{}^\r\n{INVALID}\r\n\r\nr1(config)#", " ".repeat(11));
    assert_eq!(out, expected);
    run(&mut cli, "interface Loopback1\r");
    let out = run(&mut cli, "ip address 1.1.1.1 255.255.255.255\r");
    assert_eq!(out, "ip address 1.1.1.1 255.255.255.255\r\nr1(config-if)#");
    let out = run(&mut cli, "description\r");
    assert!(out.contains("% Incomplete command."), "{out}");
    let out = run(&mut cli, "interface bogus7\r");
    assert!(out.contains(&format!("\r\n{}^\r\n", " ".repeat("r1(config-if)#interface ".len()))), "{out}");
}

#[test]
fn exec_errors_match_ios() {
    let mut cli = cli();
    let out = run(&mut cli, "show running-config\r");
    assert_eq!(out, format!("show running-config\r\n{}^\r\n{INVALID}\r\n\r\nr1>", " ".repeat(8)));
    assert!(run(&mut cli, "configure terminal\r").contains(&format!("\r\n   ^\r\n{INVALID}")));
    assert!(run(&mut cli, "write\r").contains(INVALID));
    let mut cli = privileged();
    assert_eq!(run(&mut cli, "c\r"), "c\r\n% Ambiguous command:  \"c\"\r\nr1#");
    assert_eq!(run(&mut cli, "show ip\r"), "show ip\r\n% Incomplete command.\r\n\r\nr1#");
    assert!(run(&mut cli, "  frobnicate\r").contains(&format!("\r\n{}^\r\n", " ".repeat(5))));
    assert!(run(&mut cli, "terminal length 999\r").contains(INVALID));
}

#[test]
fn paging_with_more_and_the_ios_erase_sequence() {
    let mut cli = privileged();
    let first = run(&mut cli, "show version\r");
    assert!(first.ends_with(MORE), "{first}");
    assert_eq!(first.matches("\r\n").count(), 1 + 23, "echo line plus one page of 23 lines");
    let erase = format!("{}{}{}", "\x08".repeat(9), " ".repeat(9), "\x08".repeat(9));
    let one = run(&mut cli, "\r");
    assert!(one.starts_with(&erase) && one.ends_with(MORE) && one.matches("\r\n").count() == 1, "{one:?}");
    let rest = run(&mut cli, " ");
    assert!(rest.starts_with(&erase) && rest.ends_with("Configuration register is 0x2102\r\nr1#"), "{rest:?}");
    run(&mut cli, "show version\r");
    assert_eq!(run(&mut cli, "q"), format!("{erase}r1#"));
    assert_eq!(run(&mut cli, "terminal length 0\r"), "terminal length 0\r\nr1#");
    let all = run(&mut cli, "show version\r");
    assert!(!all.contains("--More--") && all.ends_with("0x2102\r\nr1#"), "{all}");
}

#[test]
fn abbreviations_and_pipes() {
    let mut cli = privileged();
    assert_eq!(run(&mut cli, "term len 0\r"), "term len 0\r\nr1#");
    assert_eq!(run(&mut cli, "terminal width 511\r"), "terminal width 511\r\nr1#");
    assert!(run(&mut cli, "sh ver\r").contains("Cisco IOS Software"));
    assert!(run(&mut cli, "sh ver | i uptime\r").contains("\r\nr1 uptime is 0 minutes\r\nr1#"));
    assert!(run(&mut cli, "sh ip int br\r").contains("Interface              IP-Address"));
    assert!(run(&mut cli, "sh run | begin line vty\r").contains("\r\nline vty 0 4\r\n login local"));
    assert!(!run(&mut cli, "sh run | exclude interface\r").contains("interface Gi"));
    assert_eq!(run(&mut cli, "wr\r"), "wr\r\nBuilding configuration...\r\n[OK]\r\nr1#");
    assert!(run(&mut cli, "show clock\r").contains(" UTC "));
    assert!(run(&mut cli, "show version | bogus x\r").contains(INVALID));
    assert!(run(&mut cli, "terminal length 0 | include x\r").contains(INVALID));
}

#[test]
fn every_enter_variant_is_one_enter() {
    for enter in ["\r", "\n", "\r\n"] {
        let mut cli = cli();
        assert_eq!(run(&mut cli, &format!("show clock{enter}")).matches("r1>").count(), 1, "{enter:?}");
        assert_eq!(run(&mut cli, enter), "\r\nr1>", "{enter:?}");
    }
    let mut cli = cli();
    assert_eq!(run(&mut cli, "\r"), "\r\nr1>");
    assert_eq!(run(&mut cli, "\n"), "", "the LF of a CR LF split across reads");
    assert_eq!(run(&mut cli, "\n"), "\r\nr1>");
}

#[test]
fn line_editing_and_control_keys() {
    let mut cli = privileged();
    assert_eq!(run(&mut cli, "shox\x7f"), "shox\x08 \x08");
    assert!(run(&mut cli, " clock\r").contains(" UTC "));
    assert_eq!(run(&mut cli, "garbage\x03"), "garbage\r\nr1#");
    run(&mut cli, "conf t\rinterface Loopback3\r");
    assert_eq!(run(&mut cli, "\x1a"), "^Z\r\nr1#");
    assert_eq!(run(&mut cli, "show cl\x1b[A\x1b[Dock\r").matches(" UTC ").count(), 1);
}

#[test]
fn copy_asks_for_the_destination_and_hostname_changes_the_prompt() {
    let mut cli = privileged();
    assert_eq!(
        run(&mut cli, "copy running-config startup-config\r"),
        "copy running-config startup-config\r\nDestination filename [startup-config]? "
    );
    assert_eq!(run(&mut cli, "\r"), "\r\nBuilding configuration...\r\n[OK]\r\nr1#");
    assert!(run(&mut cli, "configure\r\r").ends_with("r1(config)#"));
    assert!(run(&mut cli, "hostname core1\r").ends_with("\r\ncore1(config)#"));
    assert!(run(&mut cli, "do show ver | i uptime\r").contains("core1 uptime is"));
    assert!(run(&mut cli, "do bogus\r").contains(&format!("\r\n{}^\r\n", " ".repeat("core1(config)#do ".len()))));
}

#[test]
fn commands_are_logged_with_their_mode_and_exit_closes() {
    let mut cli = privileged();
    run(&mut cli, "conf t\rinterface Loopback1\rend\rexit\r");
    assert!(cli.closed);
    let log: Vec<(String, String)> = cli.device.log.entries().into_iter().map(|r| (r.command, r.mode)).collect();
    let expected = [
        ("enable", "user"),
        ("conf t", "privileged"),
        ("interface Loopback1", "config"),
        ("end", "config-if"),
        ("exit", "privileged"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(c, m)| ((*c).into(), (*m).into())).collect();
    assert_eq!(log, expected, "the enable secret is never logged");
    let mut cli = privileged();
    assert_eq!(cli.feed(b"logout\r").last(), Some(&Chunk::Close));
}

#[test]
fn tech_support_is_output_size_bytes() {
    let spec = DeviceSpec { output_size: 10_000, ..DeviceSpec::cisco_ios("r1", "admin", "pw", "") };
    let mut cli = Cli::new(device(spec));
    run(&mut cli, "enable\rterminal length 0\r");
    assert_eq!(cli.prompt(), "r1#", "an empty enable secret lets enable in without asking");
    let out = run(&mut cli, "show tech-support\r");
    let body = out.strip_prefix("show tech-support\r\n").unwrap().strip_suffix("r1#").unwrap();
    assert_eq!(body.len(), 10_000);
}

#[test]
fn run_once_returns_output_without_prompt() {
    let out = Cli::run_once(device(DeviceSpec::cisco_ios("r1", "a", "b", "c")), "show ip int brief");
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("Interface") && !out.contains("r1#"), "{out}");
}

#[test]
fn ios_xe_is_the_ios_cli_with_its_own_version() {
    let mut cli = Cli::new(device(DeviceSpec::new("cisco_xe", "csr1", "admin", "pw", "")));
    run(&mut cli, "enable\rterminal length 0\r");
    assert_eq!(cli.prompt(), "csr1#");
    let version = run(&mut cli, "show version\r");
    assert!(version.starts_with("show version\r\nCisco IOS XE Software, Version 17.03.04a\r\n"), "{version}");
    assert!(run(&mut cli, "show ip interface brief\r").contains("GigabitEthernet1 "));
    assert_eq!(run(&mut cli, "write memory\r"), "write memory\r\nBuilding configuration...\r\n[OK]\r\ncsr1#");
    let log = super::log(&cli);
    assert_eq!(log[0], ("enable".to_owned(), "user".to_owned()));
}

#[test]
fn saved_config_is_seen_by_later_sessions() {
    let device = device(DeviceSpec::cisco_ios("r1", "admin", "pw", ""));
    let mut first = Cli::new(device.clone());
    run(&mut first, "enable\rconf t\rinterface Loopback9\rdescription kept\rend\rwrite memory\rexit\r");
    let mut second = Cli::new(device);
    let startup = run(&mut second, "enable\rterminal length 0\rshow startup-config\r");
    assert!(startup.contains("interface Loopback9\r\n description kept\r\n"), "{startup}");
}

#[test]
fn show_interfaces_follows_the_configuration() {
    let mut cli = session("cisco_ios", "r1", "e");
    run(&mut cli, "enable\r");
    run(&mut cli, "e\r");
    run(&mut cli, "terminal length 0\r");
    run(&mut cli, "configure terminal\r");
    run(&mut cli, "interface GigabitEthernet0/1\r");
    run(&mut cli, "description to-core\r");
    run(&mut cli, "ip address 192.0.2.1 255.255.255.252\r");
    run(&mut cli, "no shutdown\r");
    run(&mut cli, "end\r");
    let out = run(&mut cli, "show interfaces\r");
    assert!(out.contains("\r\nGigabitEthernet0/0 is up, line protocol is up \r\n"), "{out}");
    assert!(out.contains("\r\nGigabitEthernet0/2 is administratively down, line protocol is down \r\n"), "{out}");
    assert!(out.contains("  Description: to-core\r\n  Internet address is 192.0.2.1/30\r\n"), "{out}");
    let one = run(&mut cli, "sh int gigabitethernet0/1\r");
    assert!(one.contains("GigabitEthernet0/1 is up") && !one.contains("GigabitEthernet0/0"), "{one}");
}
