//! A real SSH client (russh) against a fleet on port 0.

mod common;

use common::{connect, fleet_of, read_until, shell};
use naas_sim::{AuthMethod, DeviceSpec, Fleet, SimSettings};
use russh::ChannelMsg;
use russh::client::KeyboardInteractiveAuthResponse;
use tokio_util::sync::CancellationToken;

async fn fleet(latency_ms: u64) -> Fleet {
    let mut device = DeviceSpec::cisco_ios("r1", "netops", "pw", "en");
    device.latency_ms = latency_ms;
    fleet_of(device).await
}

#[tokio::test]
async fn password_login_runs_show_version() {
    let fleet = fleet(20).await;
    let log = fleet.command_log();
    let addr = fleet.devices()[0].addr;
    let token = CancellationToken::new();
    let running = tokio::spawn(fleet.run_until_stopped(token.clone()));
    let (_session, mut channel) = shell(addr, "netops", "pw").await;
    read_until(&mut channel, "r1>").await;
    channel.data(&b"terminal length 0\n"[..]).await.unwrap();
    assert_eq!(read_until(&mut channel, "r1>").await, "terminal length 0\r\nr1>");
    channel.data(&b"show version\r\n"[..]).await.unwrap();
    let out = read_until(&mut channel, "\r\nr1>").await;
    assert!(out.starts_with("show version\r\nCisco IOS Software, IOSv Software"), "{out}");
    assert!(out.contains("r1 uptime is "), "{out}");
    channel.data(&b"exit\n"[..]).await.unwrap();
    read_until(&mut channel, "exit\r\n").await;
    assert_eq!(log.sessions_opened("r1"), 1);
    let commands: Vec<String> = log.entries().into_iter().map(|r| r.command).collect();
    assert_eq!(commands, ["terminal length 0", "show version", "exit"]);
    token.cancel();
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn keyboard_interactive_works_and_wrong_passwords_fail() {
    let fleet = fleet(0).await;
    let log = fleet.command_log();
    let addr = fleet.devices()[0].addr;
    let token = CancellationToken::new();
    tokio::spawn(fleet.run_until_stopped(token.clone()));
    let mut wrong = connect(addr).await;
    let mut right = connect(addr).await;
    assert!(!wrong.authenticate_password("netops", "nope").await.unwrap().success());
    assert!(!wrong.authenticate_password("someone", "pw").await.unwrap().success());
    match right.authenticate_keyboard_interactive_start("netops", None).await.unwrap() {
        KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
            assert_eq!(prompts[0].prompt, "Password: ");
            assert!(!prompts[0].echo);
        }
        other => panic!("{other:?}"),
    }
    let reply = right.authenticate_keyboard_interactive_respond(vec!["pw".into()]).await.unwrap();
    assert!(matches!(reply, KeyboardInteractiveAuthResponse::Success), "{reply:?}");
    // An exec request runs the one command and closes the channel.
    let mut channel = right.channel_open_session().await.unwrap();
    channel.exec(true, "show clock").await.unwrap();
    let mut output = String::new();
    while let Some(msg) = channel.wait().await {
        if let ChannelMsg::Data { data } = msg {
            output.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(output.contains(" UTC ") && !output.contains("r1#"), "{output}");
    assert_eq!(log.sessions_opened("r1"), 1);
    token.cancel();
}

#[tokio::test]
async fn a_keyboard_interactive_only_device_refuses_plain_passwords() {
    let mut device = DeviceSpec::cisco_ios("r1", "netops", "pw", "en");
    device.auth_methods = vec![AuthMethod::KeyboardInteractive];
    let fleet = fleet_of(device).await;
    let addr = fleet.devices()[0].addr;
    let token = CancellationToken::new();
    tokio::spawn(fleet.run_until_stopped(token.clone()));
    let mut client = connect(addr).await;
    assert!(!client.authenticate_password("netops", "pw").await.unwrap().success(), "the right password, wrong method");
    let asked = client.authenticate_keyboard_interactive_start("netops", None).await.unwrap();
    assert!(matches!(asked, KeyboardInteractiveAuthResponse::InfoRequest { .. }), "{asked:?}");
    let reply = client.authenticate_keyboard_interactive_respond(vec!["pw".into()]).await.unwrap();
    assert!(matches!(reply, KeyboardInteractiveAuthResponse::Success), "{reply:?}");
    token.cancel();
}

#[tokio::test]
async fn build_fails_fast_on_bad_settings() {
    let bad = |devices| naas_sim::build(SimSettings { listen: "127.0.0.1".parse().unwrap(), devices });
    let mut unknown = DeviceSpec::cisco_ios("r1", "a", "b", "c");
    unknown.platform = "junos_vax".into();
    assert!(bad(vec![unknown]).await.unwrap_err().to_string().contains("unknown platform"));
    let twice = vec![DeviceSpec::cisco_ios("r1", "a", "b", "c"), DeviceSpec::cisco_ios("r1", "a", "b", "c")];
    assert!(bad(twice).await.is_err());
    let mut no_auth = DeviceSpec::cisco_ios("r1", "a", "b", "c");
    no_auth.auth_methods.clear();
    assert!(bad(vec![no_auth]).await.unwrap_err().to_string().contains("auth_methods"));
    let taken = fleet(0).await;
    let mut clash = DeviceSpec::cisco_ios("r2", "a", "b", "c");
    clash.port = taken.devices()[0].addr.port();
    assert!(bad(vec![clash]).await.unwrap_err().to_string().contains("r2"));
}
