//! Scenario 6, the limit: a bare russh client against the same simulated devices, with no
//! API, NATS or Redis in between. Each job is one fresh connection carrying the same
//! device dialogue the worker has (and netmiko has): log in, PTY shell, prompt, `enable`
//! with its secret, `terminal length 0`, `terminal width 511`, `show version`, `exit`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use russh::ChannelMsg;
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use tokio::sync::Barrier;
use tokio::time::Instant;

use crate::client::COMMAND;
use crate::stats::Sample;
use crate::system::{PASSWORD, USERNAME};

const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Trusts any host key (the simulated fleet's key is generated per run).
struct AcceptAny;

impl client::Handler for AcceptAny {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Closed loop: `concurrency` tasks each run one job at a time, job `n` on device
/// `n mod devices`, until `jobs` jobs ran.
pub async fn run(devices: &[SocketAddr], concurrency: usize, jobs: usize) -> Sample {
    let config = Arc::new(client::Config { nodelay: true, ..Default::default() });
    let next = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (next, barrier, devices, config) = (next.clone(), barrier.clone(), devices.to_vec(), config.clone());
        tasks.push(tokio::spawn(async move {
            let mut sample = Sample::default();
            barrier.wait().await;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= jobs {
                    break;
                }
                let started = Instant::now();
                match job(config.clone(), devices[n % devices.len()]).await {
                    Ok(output) if output.contains("Cisco IOS Software") => sample.latencies.push(started.elapsed()),
                    Ok(output) => {
                        sample.fail(format!("unexpected output: {}", output.chars().take(120).collect::<String>()))
                    }
                    Err(error) => sample.fail(format!("{error:#}")),
                }
            }
            sample
        }));
    }
    Sample::gather(&barrier, tasks).await
}

/// One job on a new connection; returns what `show version` printed.
async fn job(config: Arc<client::Config>, device: SocketAddr) -> anyhow::Result<String> {
    let mut handle = client::connect(config, device, AcceptAny).await.context("SSH connect")?;
    if !handle.authenticate_password(USERNAME, PASSWORD).await.context("authentication")?.success() {
        bail!("password refused");
    }
    let mut shell = Shell { channel: handle.channel_open_session().await?, text: String::new() };
    shell.channel.request_pty(false, "vt100", 511, 1000, 0, 0, &[]).await?;
    shell.channel.request_shell(true).await?;
    shell.read_until(|text| prompt(text).is_some()).await.context("first prompt")?;
    if prompt(&shell.text) == Some('>') {
        shell.send("enable").await?;
        shell.read_until(|text| text.trim_end().ends_with("Password:")).await.context("enable password prompt")?;
        shell.send(PASSWORD).await?;
        shell.read_until(|text| prompt(text) == Some('#')).await.context("privileged prompt")?;
    }
    for setup in ["terminal length 0", "terminal width 511"] {
        shell.exchange(setup).await?;
    }
    let output = shell.exchange(COMMAND).await?;
    shell.send("exit").await?;
    let _ = shell.channel.eof().await;
    let _ = handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
    Ok(output)
}

struct Shell {
    channel: russh::Channel<client::Msg>,
    text: String,
}

impl Shell {
    async fn send(&mut self, line: &str) -> anyhow::Result<()> {
        self.text.clear();
        self.channel.data_bytes(format!("{line}\n").into_bytes()).await.context("sending")
    }

    /// Sends a command and reads until the prompt follows its echo.
    async fn exchange(&mut self, command: &str) -> anyhow::Result<String> {
        self.send(command).await?;
        self.read_until(|text| text.contains(command) && prompt(text).is_some())
            .await
            .with_context(|| format!("output of {command:?}"))?;
        Ok(std::mem::take(&mut self.text))
    }

    async fn read_until(&mut self, done: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        while !done(&self.text) {
            match tokio::time::timeout_at(deadline, self.channel.wait()).await.context("timed out")? {
                Some(ChannelMsg::Data { data }) => self.text.push_str(&String::from_utf8_lossy(&data)),
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => bail!("the device closed the channel"),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// The sigil of a CLI prompt (`r7>` or `r7#`) ending `text`, if one does.
fn prompt(text: &str) -> Option<char> {
    let last = text.rsplit(['\n', '\r']).next()?.trim();
    let sigil = last.chars().last()?;
    let host = &last[..last.len() - 1];
    let plausible = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (plausible && matches!(sigil, '>' | '#')).then_some(sigil)
}

#[cfg(test)]
mod tests {
    use super::prompt;

    #[test]
    fn prompts() {
        assert_eq!(prompt("\r\nr7>"), Some('>'));
        assert_eq!(prompt("show version\r\n...\r\nr12# "), Some('#'));
        assert_eq!(prompt("Password: "), None);
        assert_eq!(prompt("ROM: #"), None);
        assert_eq!(prompt(""), None);
    }
}
