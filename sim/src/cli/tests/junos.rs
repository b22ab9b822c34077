//! Juniper Junos: operational mode, a shared candidate, `commit`.

use super::{body_len, modes, run, session};
use crate::cli::Cli;
use crate::settings::DeviceSpec;

const EDIT: &str = "\r\n[edit]\r\nnetops@vmx1# ";

fn configuring() -> Cli {
    let mut cli = session("juniper_junos", "vmx1", "");
    assert!(String::from_utf8(cli.start()).unwrap().ends_with("\r\nnetops@vmx1> "));
    assert_eq!(
        run(&mut cli, "set cli screen-length 0\r"),
        "set cli screen-length 0\r\nScreen length set to 0\r\nnetops@vmx1> "
    );
    assert!(run(&mut cli, "set cli screen-width 1024\r").contains("\r\nScreen width set to 1024\r\n"));
    assert!(run(&mut cli, "set cli complete-on-space off\r").contains("\r\nDisabling complete-on-space\r\n"));
    assert_eq!(run(&mut cli, "configure\r"), format!("configure\r\nEntering configuration mode\r\n{EDIT}"));
    cli
}

#[test]
fn set_lines_are_staged_until_commit() {
    let mut cli = configuring();
    assert_eq!(run(&mut cli, "set system host-name vmx9\r"), format!("set system host-name vmx9\r\n{EDIT}"));
    run(&mut cli, "set interfaces ge-0/0/2 description \"to core\"\r");
    let running = run(&mut cli, "run show configuration | display set\r");
    assert!(running.contains("\r\nset system host-name vmx1\r\n") && !running.contains("to core"), "{running}");
    let candidate = run(&mut cli, "show system\r");
    assert!(candidate.contains("\r\nhost-name vmx9;\r\n"), "{candidate}");
    let diff = run(&mut cli, "show | compare\r");
    assert!(diff.contains("[edit system]\r\n-  host-name vmx1;\r\n+  host-name vmx9;\r\n"), "{diff}");
    assert!(diff.contains("[edit interfaces ge-0/0/2]\r\n+  description \"to core\";\r\n"), "{diff}");
    let out = run(&mut cli, "commit comment \"naas job 42\"\r");
    assert_eq!(out, "commit comment \"naas job 42\"\r\ncommit complete\r\n\r\n[edit]\r\nnetops@vmx9# ");
    assert_eq!(
        run(&mut cli, "exit configuration-mode\r"),
        "exit configuration-mode\r\nExiting configuration mode\r\n\r\nnetops@vmx9> "
    );
    let config = run(&mut cli, "show configuration interfaces\r");
    assert!(config.contains("\r\nge-0/0/2 {\r\n    description \"to core\";\r\n}\r\n"), "{config}");
    let commits = run(&mut cli, "show system commit\r");
    assert!(commits.contains("\r\n0   ") && commits.contains(" by netops via cli\r\n    naas job 42\r\n"), "{commits}");
    assert_eq!(modes(&cli)[..4], ["operational", "operational", "operational", "operational"]);
    assert_eq!(modes(&cli)[4], "configuration");
    // A later session sees the committed configuration.
    let mut later = Cli::new(cli.device.clone());
    assert!(run(&mut later, "show configuration system | match host-name\r").contains("host-name vmx9;"));
}

#[test]
fn syntax_and_unknown_command_errors() {
    let mut cli = configuring();
    let width = "netops@vmx1# ".len();
    let out = run(&mut cli, "set systme host-name x\r");
    assert_eq!(out, format!("set systme host-name x\r\n{}^\r\nsyntax error.\r\n{EDIT}", " ".repeat(width + 4)));
    assert!(
        run(&mut cli, "set system hostname x\r").contains(&format!("{}^\r\nsyntax error.", " ".repeat(width + 11)))
    );
    assert!(run(&mut cli, "bogus\r").contains(&format!("\r\n{}^\r\nunknown command.\r\n", " ".repeat(width))));
    assert!(run(&mut cli, "set\r").contains("missing argument."));
    assert!(run(&mut cli, "delete snmp location\r").contains("warning: statement not found"));
    assert!(cli.device.state().candidate.is_empty(), "nothing invalid was staged");
    let op = run(&mut cli, "run show bogus\r");
    assert!(op.contains("syntax error."), "{op}");
    let mut cli = session("juniper_junos", "vmx1", "");
    assert!(run(&mut cli, "frobnicate\r").ends_with("^\r\nunknown command.\r\nnetops@vmx1> "));
    assert!(run(&mut cli, "s\r").contains("'s' is ambiguous."));
}

#[test]
fn leaving_with_uncommitted_changes() {
    let mut cli = configuring();
    run(&mut cli, "set system host-name vmx3\r");
    let out = run(&mut cli, "exit configuration-mode\r");
    assert_eq!(
        out,
        "exit configuration-mode\r\nThe configuration has been changed but not committed\r\n\
         Exiting configuration mode\r\n\r\nnetops@vmx1> "
    );
    let again = run(&mut cli, "configure\r");
    assert!(again.contains("Entering configuration mode\r\nThe configuration has been changed but not committed\r\n"));
    let out = run(&mut cli, "exit\r");
    assert!(out.ends_with(
        "The configuration has been changed but not committed\r\nExit with uncommitted changes? [yes,no] (yes) "
    ));
    assert_eq!(run(&mut cli, "no\r"), format!("no\r\n{EDIT}"));
    assert_eq!(run(&mut cli, "rollback 0\r"), format!("rollback 0\r\nload complete\r\n{EDIT}"));
    assert_eq!(run(&mut cli, "exit\r"), "exit\r\nExiting configuration mode\r\n\r\nnetops@vmx1> ");
    assert_eq!(cli.device.hostname(), "vmx1");
}

#[test]
fn edit_levels_rollback_and_confirmed_commits() {
    let mut cli = configuring();
    assert_eq!(
        run(&mut cli, "edit interfaces ge-0/0/3\r"),
        "edit interfaces ge-0/0/3\r\n\r\n[edit interfaces ge-0/0/3]\r\nnetops@vmx1# "
    );
    run(&mut cli, "set description lab\r");
    assert_eq!(run(&mut cli, "top\r"), format!("top\r\n{EDIT}"));
    let out = run(&mut cli, "commit confirmed 5 comment \"naas job 9\"\r");
    assert!(out.contains(
        "\r\ncommit confirmed will be automatically rolled back in 5 minutes unless confirmed\r\ncommit complete\r\n"
    ));
    assert!(
        run(&mut cli, "run show system commit\r").contains("commit confirmed, rollback in 5mins\r\n    naas job 9")
    );
    run(&mut cli, "rollback 1\r");
    assert!(run(&mut cli, "show | compare\r").contains("-  description lab;"));
    run(&mut cli, "commit and-quit\r");
    assert!(!run(&mut cli, "show configuration | display set\r").contains("description lab"));
    assert!(run(&mut cli, "configure\rrollback 9\r").contains("error: rollback 9 does not exist"));
}

#[test]
fn paging_with_more_percent_and_support_information_size() {
    let spec = DeviceSpec { output_size: 7_000, ..DeviceSpec::new("juniper_junos", "vmx1", "netops", "p", "") };
    let mut cli = Cli::new(super::device(spec));
    let first = run(&mut cli, "request support information\r");
    assert!(first.ends_with("\r\n---(more 13%)---"), "{first}");
    let next = run(&mut cli, " ");
    assert!(next.starts_with("\r                                        \r") && next.ends_with("%)---"), "{next}");
    run(&mut cli, "q");
    assert!(!run(&mut cli, "request support information | no-more\r").contains("---(more"));
    run(&mut cli, "set cli screen-length 0\r");
    let out = run(&mut cli, "request support information\r");
    assert_eq!(body_len(&out, "request support information", "netops@vmx1> "), 7_000);
}

#[test]
fn an_exclusive_sessions_uncommitted_changes_die_with_it() {
    let mut shared = configuring();
    let device = shared.device.clone();
    let out = run(&mut shared, "exit configuration-mode\r");
    assert!(out.ends_with("netops@vmx1> "), "{out}");
    let mut cli = Cli::new(device.clone());
    cli.start();
    let out = run(&mut cli, "configure exclusive\r");
    assert!(
        out.contains("warning: uncommitted changes will be discarded on exit\r\nEntering configuration mode"),
        "{out}"
    );
    run(&mut cli, "set system host-name vmx7\r");
    assert_eq!(device.state().candidate.len(), 1, "staged in the candidate");
    drop(cli);
    assert!(device.state().candidate.is_empty(), "the connection dropped: its changes are gone");
    // Someone else's uncommitted changes keep exclusive mode out.
    let mut other = Cli::new(device.clone());
    other.start();
    run(&mut other, "configure\r");
    run(&mut other, "set system host-name vmx6\r");
    let mut cli = Cli::new(device.clone());
    cli.start();
    let out = run(&mut cli, "configure exclusive\r");
    assert!(out.contains("\r\nerror: configuration database modified\r\n") && out.ends_with("> "), "{out}");
    run(&mut other, "rollback 0\r");
    // Leaving configuration mode discards them too.
    let mut cli = Cli::new(device.clone());
    cli.start();
    run(&mut cli, "configure exclusive\r");
    run(&mut cli, "set system host-name vmx8\r");
    run(&mut cli, "exit configuration-mode\r");
    assert!(device.state().candidate.is_empty());
}
