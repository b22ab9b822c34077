//! A light stand-in for a Linux host's bash: `user@host:~$ ` (`#` for root), a handful of
//! commands matched exactly, `bash: foo: command not found` otherwise; no paging, no
//! configuration mode, no enable.

use crate::config_store::{ConfigStyle, RunningConfig};
use crate::ios::{IOS_TEXTS, cmd};
use crate::platform::{
    Action, Args, ConfigRules, Errors, ExecCommand, Level, ModeNames, Msg, Paging, Pipes, Platform, Prompts, Show,
    ShowCtx, Texts,
};
use crate::settings::DeviceSpec;
use crate::text::{ctime, fingerprint, lines, sized, unix_ping};

const PROMPT: &str = "{user}@{host}:~{sigil} ";
const KERNEL: &str = "5.15.0-105-generic";

pub(crate) static LINUX: Platform = Platform {
    name: "linux",
    ssh_id: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6",
    login: Level::Exec,
    prompts: Prompts { user: PROMPT, exec: PROMPT, config: PROMPT, sub: PROMPT },
    modes: ModeNames { user: "shell", exec: "shell", config: "shell" },
    abbreviate: false,
    exec: EXEC,
    config: ConfigRules {
        enter: &[],
        leave: &[],
        commands: &[],
        global: &[],
        global_bare: &[],
        submodes: &[],
        statement: None,
        candidate: None,
        ctrl_z: false,
    },
    errors: Errors { unknown: NOT_FOUND, invalid: NOT_FOUND, incomplete: NOT_FOUND, ambiguous: NOT_FOUND },
    paging: Paging { length: 0, width: 80, more: "", erase: "" },
    pipes: Pipes { kinds: &[], chain: false, count: "" },
    text: Texts {
        banner: "Welcome to Ubuntu 22.04.4 LTS (GNU/Linux 5.15.0-105-generic x86_64)\r\n\r\n",
        interrupt: "^C",
        logout: &["logout"],
        saved: &[],
        show,
        ping: unix_ping,
        baseline,
        ..IOS_TEXTS
    },
};

const NOT_FOUND: Msg = Msg { caret: false, text: "bash: {word}: command not found", blank: false };

const EXEC: &[ExecCommand] = &[
    cmd(&["exit"], false, Args::Any, Action::Exit),
    cmd(&["logout"], false, Args::Any, Action::Exit),
    cmd(&["echo"], false, Args::Any, Action::Show(Show::Echo)),
    cmd(&["hostname"], false, Args::Any, Action::Show(Show::Hostname)),
    cmd(&["uname"], false, Args::Any, Action::Show(Show::Uname)),
    cmd(&["whoami"], false, Args::Any, Action::Show(Show::Whoami)),
    cmd(&["id"], false, Args::Any, Action::Show(Show::Id)),
    cmd(&["pwd"], false, Args::Any, Action::Show(Show::Pwd)),
    cmd(&["cat"], false, Args::Any, Action::Show(Show::Cat)),
    cmd(&["ip"], false, Args::Any, Action::Show(Show::Ip)),
    cmd(&["date"], false, Args::Any, Action::Show(Show::Date)),
    cmd(&["export"], false, Args::Any, Action::Say(&[])),
    cmd(&["unset"], false, Args::Any, Action::Say(&[])),
    cmd(&["true"], false, Args::Any, Action::Say(&[])),
    cmd(&["ls"], false, Args::Any, Action::Say(&[])),
    cmd(&["ping"], false, Args::Rest, Action::Ping),
];

static STYLE: ConfigStyle =
    ConfigStyle { hostname: "hostname", default_host: "localhost", indent: "", separator: "", singletons: &[] };

fn baseline(spec: &DeviceSpec) -> RunningConfig {
    let mut c = RunningConfig::empty(&STYLE);
    c.push(&format!("hostname {}", spec.hostname), &[]);
    c
}

fn home(user: &str) -> String {
    if user == "root" { "/root".into() } else { format!("/home/{user}") }
}

/// `$USER` and friends; quotes dropped.
fn expand(args: &str, ctx: &ShowCtx<'_>) -> String {
    let user = &ctx.spec.username;
    [("$HOSTNAME", ctx.config.hostname()), ("$USER", user), ("$HOME", &home(user)), ("$SHELL", "/bin/bash")]
        .iter()
        .fold(args.replace(['"', '\''], ""), |text, (var, value)| text.replace(var, value))
}

fn show(what: Show, ctx: &ShowCtx<'_>) -> Vec<String> {
    let (user, host) = (ctx.spec.username.as_str(), ctx.config.hostname());
    let uid = if user == "root" { 0 } else { 1000 };
    match what {
        Show::Echo => vec![expand(ctx.args, ctx)],
        Show::Hostname => vec![host.to_owned()],
        Show::Uname => vec![match ctx.args {
            "-a" | "--all" => {
                format!(
                    "Linux {host} {KERNEL} #115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux"
                )
            }
            "-r" => KERNEL.into(),
            "-n" => host.into(),
            "-m" => "x86_64".into(),
            _ => "Linux".into(),
        }],
        Show::Whoami => vec![user.to_owned()],
        Show::Id if uid == 0 => vec!["uid=0(root) gid=0(root) groups=0(root)".into()],
        Show::Id => vec![format!("uid={uid}({user}) gid={uid}({user}) groups={uid}({user}),4(adm),27(sudo)")],
        Show::Pwd => vec![home(user)],
        Show::Date => {
            let now = time::OffsetDateTime::now_utc();
            vec![format!("{} UTC {}", ctime(now), now.year())]
        }
        Show::Cat => ctx.args.split_whitespace().flat_map(|file| cat(file, ctx)).collect(),
        Show::Ip => ip(ctx),
        _ => Vec::new(),
    }
}

fn cat(file: &str, ctx: &ShowCtx<'_>) -> Vec<String> {
    match file {
        "/etc/hostname" => vec![ctx.config.hostname().to_owned()],
        "/etc/os-release" => lines(OS_RELEASE),
        // The large-output stand-in for `show tech-support`.
        "/var/log/big" => sized(Vec::new(), ctx.spec.output_size, |n| {
            vec![format!(
                "Jan  3 14:02:{:02} {} kernel: [{n:>6}.000000] filler line {n}",
                n % 60,
                ctx.config.hostname()
            )]
        }),
        _ => vec![format!("cat: {file}: No such file or directory")],
    }
}

fn ip(ctx: &ShowCtx<'_>) -> Vec<String> {
    let print = fingerprint(&ctx.spec.hostname);
    let address = format!("10.{}.{}.1/24", (print >> 16) & 0xff, (print >> 24) & 0xff);
    let args: Vec<&str> = ctx.args.split_whitespace().collect();
    let object = |word: &str| ["a", "ad", "add", "addr", "address"].contains(&word);
    match args.as_slice() {
        ["-br" | "-brief", word, ..] if object(word) => vec![
            format!("{:<17}{:<15}{}", "lo", "UNKNOWN", "127.0.0.1/8 ::1/128"),
            format!("{:<17}{:<15}{address}", "eth0", "UP"),
        ],
        [word, ..] if object(word) => vec![
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000".into(),
            "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00".into(),
            "    inet 127.0.0.1/8 scope host lo".into(),
            "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000"
                .into(),
            format!(
                "    link/ether 52:54:00:{:02x}:{:02x}:{:02x} brd ff:ff:ff:ff:ff:ff",
                print & 0xff,
                (print >> 8) & 0xff,
                (print >> 32) & 0xff
            ),
            format!(
                "    inet {address} brd 10.{}.{}.255 scope global eth0",
                (print >> 16) & 0xff,
                (print >> 24) & 0xff
            ),
        ],
        [] => vec!["Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }".into()],
        [word, ..] => vec![format!("Object \"{word}\" is unknown, try \"ip help\".")],
    }
}

const OS_RELEASE: &str = "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"
NAME=\"Ubuntu\"
VERSION_ID=\"22.04\"
VERSION=\"22.04.4 LTS (Jammy Jellyfish)\"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL=\"https://www.ubuntu.com/\"
SUPPORT_URL=\"https://help.ubuntu.com/\"
BUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"
PRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"
UBUNTU_CODENAME=jammy";
