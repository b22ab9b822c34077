//! Cisco IOS-XR: a per-session candidate configuration applied by `commit`.

use super::{device, modes, run, session};
use crate::cli::Cli;
use crate::settings::DeviceSpec;

const P: &str = "RP/0/RP0/CPU0:";

fn configuring() -> Cli {
    let mut cli = session("cisco_xr", "xr1", "");
    assert_eq!(String::from_utf8(cli.start()).unwrap(), format!("\r\n\r\n{P}xr1#"));
    assert_eq!(run(&mut cli, "terminal length 0\r"), format!("terminal length 0\r\n{P}xr1#"));
    assert_eq!(run(&mut cli, "terminal width 512\r"), format!("terminal width 512\r\n{P}xr1#"));
    assert_eq!(run(&mut cli, "configure terminal\r"), format!("configure terminal\r\n{P}xr1(config)#"));
    cli
}

#[test]
fn lines_are_staged_until_commit() {
    let mut cli = configuring();
    assert_eq!(run(&mut cli, "hostname xr9\r"), format!("hostname xr9\r\n{P}xr1(config)#"));
    assert!(run(&mut cli, "interface GigabitEthernet0/0/0/1\r").ends_with(&format!("{P}xr1(config-if)#")));
    assert!(run(&mut cli, "description uplink\r").ends_with(&format!("\r\n{P}xr1(config-if)#")));
    let running = run(&mut cli, "show running-config\r");
    assert!(!running.contains("description uplink") && running.contains("hostname xr1"), "{running}");
    let staged = run(&mut cli, "show configuration\r");
    assert!(staged.contains("\r\nhostname xr9\r\n") && staged.contains(" description uplink\r\n"), "{staged}");
    let other = Cli::new(cli.device.clone());
    assert!(other.staged.is_empty(), "each session has its own candidate");
    let out = run(&mut cli, "commit comment naas job 42\r");
    assert_eq!(out, format!("commit comment naas job 42\r\n{P}xr9(config-if)#"), "a commit prints nothing");
    assert_eq!(
        run(&mut cli, "commit\r"),
        format!("commit\r\n% No configuration changes to commit.\r\n{P}xr9(config-if)#")
    );
    assert_eq!(run(&mut cli, "end\r"), format!("end\r\n{P}xr9#"));
    let running = run(&mut cli, "show running-config\r");
    assert!(
        running.contains("\r\ninterface GigabitEthernet0/0/0/1\r\n shutdown\r\n description uplink\r\n"),
        "{running}"
    );
    let list = run(&mut cli, "show configuration commit list\r");
    assert!(list.contains("SNo. Label/ID") && list.contains("\r\n1    1000000001            netops"), "{list}");
    let detail = run(&mut cli, "show configuration commit list detail\r");
    assert!(detail.contains("      Comment:  naas job 42\r\n"), "{detail}");
    assert_eq!(modes(&cli)[3..6], ["config", "config", "config-if"]);
    // A later session to the same device sees the committed configuration.
    let mut later = Cli::new(cli.device.clone());
    assert!(run(&mut later, "show running-config | include uplink\r").contains(" description uplink"));
}

#[test]
fn invalid_lines_are_refused_with_the_caret() {
    let mut cli = configuring();
    let out = run(&mut cli, "bogus line\r");
    let caret = " ".repeat(format!("{P}xr1(config)#").len());
    assert_eq!(
        out,
        format!("bogus line\r\n{caret}^\r\n% Invalid input detected at '^' marker.\r\n\r\n{P}xr1(config)#")
    );
    assert!(cli.staged.is_empty());
    let out = run(&mut cli, "commit bogus\r");
    assert!(out.contains("% Invalid input detected at '^' marker."), "{out}");
}

#[test]
fn end_with_uncommitted_changes_asks() {
    let question = "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:";
    let mut cli = configuring();
    run(&mut cli, "hostname xr7\r");
    assert_eq!(run(&mut cli, "end\r"), format!("end\r\n{question}"));
    assert_eq!(run(&mut cli, "\r"), format!("\r\n{P}xr1(config)#"), "the default cancels");
    run(&mut cli, "end\r");
    assert_eq!(run(&mut cli, "no\r"), format!("no\r\n{P}xr1#"), "no discards");
    assert!(cli.staged.is_empty() && cli.device.hostname() == "xr1");
    run(&mut cli, "configure\rhostname xr7\rexit\r");
    assert_eq!(run(&mut cli, "yes\r"), format!("yes\r\n{P}xr7#"), "yes commits");
    run(&mut cli, "configure\rhostname xr8\r");
    assert_eq!(run(&mut cli, "\x1a"), format!("^Z\r\n{question}"), "Ctrl-Z asks too");
    assert_eq!(run(&mut cli, "cancel\r"), format!("cancel\r\n{P}xr7(config)#"));
    assert_eq!(run(&mut cli, "abort\r"), format!("abort\r\n{P}xr7#"));
    let log = super::log(&cli);
    assert!(!log.iter().any(|(c, _)| c == "no" || c == "yes"), "answers are not commands: {log:?}");
}

#[test]
fn commit_confirmed_is_recorded_and_tech_support_has_the_size() {
    let mut cli = configuring();
    run(&mut cli, "hostname xr5\rcommit confirmed minutes 5 comment naas job 7\r");
    assert_eq!(cli.device.hostname(), "xr5");
    {
        let state = cli.device.state();
        let last = state.commits.last().unwrap();
        assert_eq!(last.comment.as_deref(), Some("naas job 7"));
        assert_eq!(last.confirm, Some(std::time::Duration::from_secs(300)));
    }
    run(&mut cli, "hostname xr6\rcommit confirmed 30\rend\r");
    assert!(run(&mut cli, "commit\r").contains("% Invalid input"), "commit is a configuration command");
    let spec = DeviceSpec { output_size: 6_000, ..DeviceSpec::new("cisco_xr", "xr1", "u", "p", "") };
    let mut cli = Cli::new(device(spec));
    let first = run(&mut cli, "show tech-support\r");
    assert!(first.ends_with(" --More-- "), "paging is on by default");
    run(&mut cli, "q");
    run(&mut cli, "terminal length 0\r");
    let out = run(&mut cli, "show tech-support\r");
    assert_eq!(super::body_len(&out, "show tech-support", &format!("{P}xr1#")), 6_000);
}
