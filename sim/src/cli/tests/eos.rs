//! Arista EOS.

use super::{body_len, modes, run, session};
use crate::cli::Cli;
use crate::settings::DeviceSpec;

#[test]
fn enable_without_a_secret_and_interface_prompts() {
    let mut cli = session("arista_eos", "sw1", "");
    assert_eq!(String::from_utf8(cli.start()).unwrap(), "\r\nsw1>");
    assert_eq!(run(&mut cli, "enable\r"), "enable\r\nsw1#", "no enable secret: straight to #");
    assert_eq!(run(&mut cli, "terminal length 0\r"), "terminal length 0\r\nsw1#");
    assert_eq!(run(&mut cli, "terminal width 32767\r"), "terminal width 32767\r\nsw1#");
    assert_eq!(run(&mut cli, "configure terminal\r"), "configure terminal\r\nsw1(config)#");
    assert_eq!(run(&mut cli, "interface Ethernet1\r"), "interface Ethernet1\r\nsw1(config-if-Et1)#");
    assert_eq!(run(&mut cli, "description uplink\r"), "description uplink\r\nsw1(config-if-Et1)#");
    assert_eq!(run(&mut cli, "int po10\r"), "int po10\r\nsw1(config-if-Po10)#");
    assert_eq!(run(&mut cli, "vlan 10\r"), "vlan 10\r\nsw1(config-vlan-10)#");
    assert_eq!(run(&mut cli, "end\r"), "end\r\nsw1#");
    let config = run(&mut cli, "show running-config\r");
    assert!(config.contains("\r\ninterface Ethernet1\r\n   description uplink\r\n!\r\n"), "{config}");
    assert!(config.contains("! device: sw1 (vEOS-lab"), "{config}");
    assert_eq!(run(&mut cli, "write memory\r"), "write memory\r\nCopy completed successfully.\r\nsw1#");
    assert_eq!(
        modes(&cli),
        [
            "user",
            "privileged",
            "privileged",
            "privileged",
            "config",
            "config-if",
            "config-if",
            "config-if",
            "config-vlan",
            "privileged",
            "privileged"
        ]
    );
}

#[test]
fn enable_secret_and_error_texts() {
    let mut cli = session("arista_eos", "sw1", "s3cret");
    assert_eq!(run(&mut cli, "enable\r"), "enable\r\nPassword: ");
    assert_eq!(run(&mut cli, "s3cret\r"), "\r\nsw1#");
    assert_eq!(run(&mut cli, "show bogus\r"), "show bogus\r\n% Invalid input\r\nsw1#");
    run(&mut cli, "configure\r");
    assert_eq!(run(&mut cli, "bogus line\r"), "bogus line\r\n% Invalid input\r\nsw1(config)#");
    assert_eq!(run(&mut cli, "interface\r"), "interface\r\n% Incomplete command\r\nsw1(config)#");
    assert!(run(&mut cli, "show version | include Arista\r").contains("\r\nArista vEOS-lab\r\n"));
}

#[test]
fn paging_and_tech_support_size() {
    let spec = DeviceSpec { output_size: 5_000, ..DeviceSpec::new("arista_eos", "sw1", "u", "p", "") };
    let mut cli = Cli::new(super::device(spec));
    run(&mut cli, "enable\r");
    assert!(run(&mut cli, "show running-config\r").ends_with(" --More-- "));
    assert!(run(&mut cli, " ").ends_with("sw1#"));
    run(&mut cli, "terminal length 0\r");
    let out = run(&mut cli, "show tech-support\r");
    assert_eq!(body_len(&out, "show tech-support", "sw1#"), 5_000);
}

#[test]
fn show_interfaces_and_the_routed_ports() {
    let out = Cli::run_once(super::device(DeviceSpec::new("arista_eos", "sw1", "u", "p", "")), "show interfaces");
    let out = String::from_utf8(out).unwrap();
    for name in ["Ethernet1", "Ethernet2", "Ethernet3", "Loopback0", "Management1"] {
        assert!(out.lines().any(|l| l == format!("{name} is up, line protocol is up (connected)")), "{name}: {out}");
    }
    assert!(out.contains("  Internet address is 192.0.2."), "{out}");
    let one = Cli::run_once(super::device(DeviceSpec::new("arista_eos", "sw1", "u", "p", "")), "sh int loopback0");
    let one = String::from_utf8(one).unwrap();
    assert!(one.contains("Loopback0 is up") && !one.contains("Ethernet"), "{one}");
    let brief = Cli::run_once(super::device(DeviceSpec::new("arista_eos", "sw1", "u", "p", "")), "show ip int brief");
    let brief = String::from_utf8(brief).unwrap();
    let rows: Vec<&str> = brief.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(rows[2..], ["-----------------", "Ethernet2", "Loopback0", "Management1"], "{brief}");
}
