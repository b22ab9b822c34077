//! The Linux shell stand-in.

use super::{body_len, modes, run, session};
use crate::cli::{Chunk, Cli};
use crate::settings::DeviceSpec;

#[test]
fn a_bash_like_shell() {
    let mut cli = session("linux", "host1", "");
    let start = String::from_utf8(cli.start()).unwrap();
    assert!(start.starts_with("Welcome to Ubuntu") && start.ends_with("\r\n\r\nnetops@host1:~$ "), "{start}");
    assert_eq!(
        run(&mut cli, "export PAGER=cat SYSTEMD_PAGER=cat LANG=C\r"),
        "export PAGER=cat SYSTEMD_PAGER=cat LANG=C\r\nnetops@host1:~$ "
    );
    assert_eq!(run(&mut cli, "echo \"hello $USER\"\r"), "echo \"hello $USER\"\r\nhello netops\r\nnetops@host1:~$ ");
    assert_eq!(run(&mut cli, "hostname\r"), "hostname\r\nhost1\r\nnetops@host1:~$ ");
    assert!(run(&mut cli, "uname -a\r").contains("\r\nLinux host1 5.15.0-105-generic #115-Ubuntu SMP"));
    assert!(run(&mut cli, "whoami\r").contains("\r\nnetops\r\n"));
    assert!(run(&mut cli, "id\r").contains("uid=1000(netops) gid=1000(netops)"));
    assert!(run(&mut cli, "pwd\r").contains("\r\n/home/netops\r\n"));
    assert!(run(&mut cli, "cat /etc/os-release\r").contains("\r\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\r\n"));
    assert!(run(&mut cli, "ip -br addr\r").contains("\r\neth0             UP             10."));
    assert_eq!(run(&mut cli, "frob --x\r"), "frob --x\r\nbash: frob: command not found\r\nnetops@host1:~$ ");
    assert_eq!(
        run(&mut cli, "ech hi\r"),
        "ech hi\r\nbash: ech: command not found\r\nnetops@host1:~$ ",
        "no abbreviations"
    );
    assert_eq!(run(&mut cli, "abc\x03"), "abc^C\r\nnetops@host1:~$ ");
    assert!(run(&mut cli, "cat /nope\r").contains("cat: /nope: No such file or directory"));
    assert!(modes(&cli).iter().all(|m| m == "shell"));
    assert_eq!(cli.feed(b"exit\r").last(), Some(&Chunk::Close));
}

#[test]
fn root_prompt_and_big_output_without_paging() {
    let spec = DeviceSpec { output_size: 50_000, ..DeviceSpec::new("linux", "host1", "root", "pw", "") };
    let mut cli = Cli::new(super::device(spec));
    assert_eq!(cli.prompt(), "root@host1:~# ");
    let out = run(&mut cli, "cat /var/log/big\r");
    assert_eq!(body_len(&out, "cat /var/log/big", "root@host1:~# "), 50_000, "no paging, exact size");
    assert!(run(&mut cli, "exit\r").contains("logout\r\n"));
}
