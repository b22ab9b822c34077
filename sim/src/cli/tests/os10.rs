//! Dell OS10.

use super::{body_len, modes, run, session};
use crate::cli::Cli;
use crate::settings::DeviceSpec;

#[test]
fn exec_prompt_interface_prompts_and_silent_save() {
    let mut cli = session("dell_os10", "os1", "");
    let start = String::from_utf8(cli.start()).unwrap();
    assert!(start.contains("Dell EMC Network Operating System (OS10)") && start.ends_with("\r\n\r\nos1#"), "{start}");
    assert_eq!(run(&mut cli, "terminal length 0\r"), "terminal length 0\r\nos1#");
    assert_eq!(run(&mut cli, "configure terminal\r"), "configure terminal\r\nos1(config)#");
    assert_eq!(run(&mut cli, "interface ethernet1/1/1\r"), "interface ethernet1/1/1\r\nos1(conf-if-eth1/1/1)#");
    assert_eq!(run(&mut cli, "description uplink\r"), "description uplink\r\nos1(conf-if-eth1/1/1)#");
    assert_eq!(run(&mut cli, "interface vlan10\r"), "interface vlan10\r\nos1(conf-if-vl-10)#");
    assert_eq!(run(&mut cli, "router bgp 65000\r"), "router bgp 65000\r\nos1(config-router-bgp-65000)#");
    assert_eq!(
        run(&mut cli, "bogus line\r"),
        "bogus line\r\n% Error: Unrecognized command.\r\nos1(config-router-bgp-65000)#"
    );
    assert_eq!(run(&mut cli, "end\r"), "end\r\nos1#");
    assert_eq!(run(&mut cli, "write memory\r"), "write memory\r\nos1#");
    let config = run(&mut cli, "show running-configuration\r");
    assert!(
        config.contains(
            "\r\ninterface ethernet1/1/1\r\n no shutdown\r\n switchport access vlan 1\r\n description uplink\r\n"
        ),
        "{config}"
    );
    assert!(run(&mut cli, "show startup-configuration | grep uplink\r").contains(" description uplink"));
    assert!(run(&mut cli, "show version\r").contains("\r\nDell EMC Networking OS10 Enterprise\r\n"));
    assert_eq!(modes(&cli)[..4], ["exec", "exec", "config", "conf-if"]);
}

#[test]
fn paging_and_tech_support_size() {
    let spec = DeviceSpec { output_size: 9_000, ..DeviceSpec::new("dell_os10", "os1", "u", "p", "") };
    let mut cli = Cli::new(super::device(spec));
    assert!(run(&mut cli, "show tech-support\r").ends_with("--more--"));
    let erase = "\x08".repeat(8) + &" ".repeat(8) + &"\x08".repeat(8);
    assert_eq!(run(&mut cli, "q"), format!("{erase}os1#"));
    assert!(run(&mut cli, "show bogus\r").contains("% Error: Illegal parameter."));
    run(&mut cli, "terminal length 0\r");
    let out = run(&mut cli, "show tech-support\r");
    assert_eq!(body_len(&out, "show tech-support", "os1#"), 9_000);
}
