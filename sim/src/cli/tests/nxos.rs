//! Cisco NX-OS.

use super::{body_len, modes, run, session};
use crate::settings::DeviceSpec;

#[test]
fn logs_in_at_exec_and_configures_interfaces() {
    let mut cli = session("cisco_nxos", "n1", "");
    let start = String::from_utf8(cli.start()).unwrap();
    assert!(start.starts_with("Cisco Nexus Operating System (NX-OS) Software\r\n") && start.ends_with("\r\nn1# "));
    assert_eq!(run(&mut cli, "terminal length 0\r"), "terminal length 0\r\nn1# ");
    assert_eq!(run(&mut cli, "terminal width 511\r"), "terminal width 511\r\nn1# ");
    assert_eq!(
        run(&mut cli, "configure terminal\r"),
        "configure terminal\r\nEnter configuration commands, one per line. End with CNTL/Z.\r\nn1(config)# "
    );
    assert_eq!(run(&mut cli, "interface Ethernet1/1\r"), "interface Ethernet1/1\r\nn1(config-if)# ");
    assert!(run(&mut cli, "description uplink\r").ends_with("\r\nn1(config-if)# "));
    assert_eq!(run(&mut cli, "exit\r"), "exit\r\nn1(config)# ");
    assert!(run(&mut cli, "vrf context blue\r").ends_with("\r\nn1(config-vrf)# "));
    assert_eq!(run(&mut cli, "end\r"), "end\r\nn1# ");
    let config = run(&mut cli, "show running-config\r");
    assert!(config.contains("\r\ninterface Ethernet1/1\r\n  description uplink\r\n"), "{config}");
    assert!(config.contains("\r\n\r\nvrf context blue\r\n"), "blocks are separated by empty lines: {config}");
    assert!(config.starts_with("show running-config\r\n!Command: show running-config\r\n"));
    assert_eq!(
        modes(&cli),
        ["exec", "exec", "exec", "config", "config-if", "config-if", "config", "config-vrf", "exec"]
    );
}

#[test]
fn errors_carry_the_caret_and_copy_saves_with_progress() {
    let mut cli = session("cisco_nxos", "n1", "");
    run(&mut cli, "configure terminal\r");
    let out = run(&mut cli, "bogus line\r");
    let caret = " ".repeat("n1(config)# ".len());
    assert_eq!(out, format!("bogus line\r\n{caret}^\r\n% Invalid command at '^' marker.\r\nn1(config)# "));
    assert!(run(&mut cli, "interface\r").contains("% Incomplete command at '^' marker."));
    assert!(run(&mut cli, "show running-config | include hostname\r").contains("\r\nhostname n1\r\n"));
    run(&mut cli, "end\r");
    let out = run(&mut cli, "copy running-config startup-config\r");
    assert!(
        out.starts_with("copy running-config startup-config\r\n[########################################] 100%\r\n")
    );
    assert!(out.ends_with("\r\nCopy complete.\r\nn1# "), "{out}");
}

#[test]
fn paging_until_terminal_length_zero_and_tech_support_size() {
    let spec = DeviceSpec { output_size: 8_000, ..DeviceSpec::new("cisco_nxos", "n1", "u", "p", "") };
    let mut cli = crate::cli::Cli::new(super::device(spec));
    let first = run(&mut cli, "show version\r");
    assert!(first.ends_with(" --More-- ") && first.matches("\r\n").count() == 1 + 30, "{first}");
    assert!(run(&mut cli, "q").ends_with("n1# "));
    assert!(!run(&mut cli, "show version | no-more\r").contains("--More--"));
    run(&mut cli, "terminal length 0\r");
    let out = run(&mut cli, "show tech-support\r");
    assert_eq!(body_len(&out, "show tech-support", "n1# "), 8_000);
}
