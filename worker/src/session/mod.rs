//! One interactive CLI session on a device: connect, authenticate, open a PTY shell, find
//! the prompt, reach privileged mode, turn paging off, run commands, close.
//!
//! Network CLIs ignore or mishandle exec channels, so everything goes through the shell,
//! and a command is complete when the device's own prompt comes back. Every phase has its
//! own timeout and every failure maps to exactly one contract error code here.

mod configure;
mod detect;
mod enable;
pub mod host_keys;
pub mod pool;
mod ssh;
pub mod transcript;

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::DeviceCredentials;
use naas_shared::platform::Platform;
use russh::ChannelMsg;
use russh::client::Msg;
use tokio::time::Instant;

pub use self::detect::not_detected;
use self::transcript::{Transcript, command_output};

/// Where and how to reach a device.
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub platform: Arc<Platform>,
    pub conn_timeout: Duration,
    pub prompt_timeout: Duration,
    pub output_limit: usize,
    pub host_keys: Arc<host_keys::HostKeys>,
    /// A key from the key store to try before the password.
    pub ssh_key: Option<Arc<russh::keys::PrivateKey>>,
    /// Offer the legacy algorithm profile as well as the modern defaults.
    pub legacy_ssh: bool,
    /// Reach the device through this SSH jump host.
    pub jump: Option<JumpHost>,
}

/// A bastion the session is tunnelled through (its password travels sealed with the
/// device credentials).
pub struct JumpHost {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub key: Option<Arc<russh::keys::PrivateKey>>,
}

/// An open shell at the device's privileged prompt.
pub struct DeviceSession {
    handle: russh::client::Handle<ssh::Client>,
    /// The jump host connection the session runs through, if any.
    jump: Option<russh::client::Handle<ssh::Client>>,
    channel: russh::Channel<Msg>,
    platform: Arc<Platform>,
    /// Paging prompts answered with a space (the platform's; every platform's while the
    /// platform is still being detected).
    pagers: Vec<regex::Regex>,
    transcript: Transcript,
    /// The device's name as its prompt shows it; a command ends when it comes back.
    base_prompt: String,
    /// The prompt sigil after opening (privileged where the platform has levels); a pooled
    /// session must show it again before it is reused.
    base_sigil: String,
    /// The prompt that ended the last exchange.
    last_prompt: Option<Prompt>,
    output_total: usize,
    output_limit: usize,
    /// Set once the session may be somewhere other than its base prompt.
    tainted: bool,
    /// Set once the device closed the session (or the channel refused input).
    lost: bool,
    /// Set when the device sends anything; cleared when the session is taken from the pool.
    heard: bool,
}

/// A pooled session that finished a job this recently, at its base prompt, and has sent
/// nothing since, is taken for a read-only job without the Enter round trip.
pub const RECENTLY_USED: Duration = Duration::from_secs(2);

/// How a pooled session was found fit for another job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vouched {
    /// Used moments ago and quiet since: no round trip.
    Recent,
    /// Enter brought back its base prompt.
    Probed,
}

impl DeviceSession {
    /// Logs in and opens the shell; nothing read yet.
    async fn connect(target: &Target<'_>, credentials: &DeviceCredentials) -> Result<Self, JobFailure> {
        let connection = ssh::connect(target, credentials).await?;
        let channel = crate::phases::timed("shell", ssh::shell(&connection.handle, target.conn_timeout)).await?;
        Ok(Self {
            handle: connection.handle,
            jump: connection.jump,
            channel,
            platform: target.platform.clone(),
            pagers: target.platform.pager.iter().cloned().collect(),
            transcript: Transcript::new(target.output_limit),
            base_prompt: String::new(),
            base_sigil: String::new(),
            last_prompt: None,
            output_total: 0,
            output_limit: target.output_limit,
            tainted: false,
            lost: false,
            heard: false,
        })
    }

    pub async fn open(target: &Target<'_>, credentials: &DeviceCredentials) -> Result<Self, JobFailure> {
        let mut session = Self::connect(target, credentials).await?;
        let prompt_from = std::time::Instant::now();
        let prompt = session.first_prompt(target.prompt_timeout, &[]).await?;
        session.base_prompt = prompt.host.clone();
        session.last_prompt = Some(prompt.clone());
        if prompt.sigil == session.platform.file.user_sigil {
            session.enable(credentials, target.prompt_timeout).await?;
        }
        for command in session.platform.file.on_open.clone() {
            session.run(&command, target.prompt_timeout).await?;
        }
        session.base_sigil = session.last_prompt.as_ref().map(|p| p.sigil.clone()).unwrap_or_default();
        crate::phases::observe("prompt", prompt_from);
        Ok(session)
    }

    /// Whether an idle session can take another job, and how that was established. A
    /// `recent` session (see [`RECENTLY_USED`]) that ended its last exchange at its base
    /// prompt and has nothing waiting on its channel is trusted as it is; otherwise the
    /// connection must be up and Enter must bring back the base prompt (same privilege, not
    /// in a configuration mode) within `timeout`.
    pub async fn ready_for_reuse(&mut self, timeout: Duration, recent: bool) -> Option<Vouched> {
        self.output_total = 0;
        if self.tainted || self.lost || self.handle.is_closed() {
            return None;
        }
        self.heard = false;
        if recent && self.last_prompt.as_ref().is_some_and(|p| self.is_base(p)) {
            // Unconstrained: a task that used up its scheduling budget would otherwise see
            // "nothing waiting" even with an EOF queued.
            match tokio::task::unconstrained(self.channel.wait()).now_or_never() {
                None => return Some(Vouched::Recent),
                Some(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => return None,
                // Something arrived while it was idle (a message, a banner): probe it.
                Some(Some(_)) => {}
            }
        }
        if self.send("\n").await.is_err() {
            return None;
        }
        self.transcript.take();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(prompt) = self.prompt_at_end() {
                self.transcript.take();
                return self.is_base(&prompt).then_some(Vouched::Probed);
            }
            if self.read_until(deadline, "the prompt of a pooled session", ErrorCode::PromptNotDetected).await.is_err()
            {
                return None;
            }
        }
    }

    /// Whether `prompt` is the one the session opened at: same device, same privilege, not
    /// in a configuration mode.
    fn is_base(&self, prompt: &Prompt) -> bool {
        prompt.host == self.base_prompt && prompt.sigil == self.base_sigil && prompt.mode.is_none()
    }

    /// Whether the device closed the session without having sent anything since it was
    /// taken from the pool: it was already dead, and nothing sent to it was executed.
    pub fn found_dead(&self) -> bool {
        self.lost && !self.heard
    }

    /// Runs one command and returns its output without echo or prompt.
    pub async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, JobFailure> {
        self.exchange(command, timeout, false).await.map(|(_, output)| output)
    }

    /// Runs one command that ends with `expect` (a regex) instead of the prompt, e.g. a
    /// confirmation question. Returns everything after the echo. The session is left in a
    /// state this worker cannot vouch for, so it is never pooled afterwards.
    pub async fn run_until(
        &mut self,
        command: &str,
        expect: &regex::Regex,
        timeout: Duration,
    ) -> Result<String, JobFailure> {
        self.tainted = true;
        self.transcript.take();
        self.send(&format!("{command}\n")).await?;
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.transcript.tail(4096);
            let after_echo = text.find(command.trim()).map_or(text.as_str(), |at| &text[at + command.trim().len()..]);
            if expect.is_match(after_echo) {
                break;
            }
            self.read_until(deadline, "the expected output", ErrorCode::ReadTimeout).await?;
        }
        let text = self.take_counted()?;
        let body = match text.find(command.trim()).and_then(|at| text[at..].find('\n').map(|nl| at + nl + 1)) {
            Some(start) => &text[start..],
            None => text.as_str(),
        };
        Ok(body.to_owned())
    }

    /// Sends one line and waits for the prompt; returns what the device printed (echo,
    /// output, prompt) and the output alone. With `any_host` a prompt with a different host
    /// name also ends the exchange and becomes the new base prompt (`hostname` in config).
    async fn exchange(
        &mut self,
        command: &str,
        timeout: Duration,
        any_host: bool,
    ) -> Result<(String, String), JobFailure> {
        self.transcript.take();
        self.send(&format!("{command}\n")).await?;
        let deadline = Instant::now() + timeout;
        // A prompt only ends the command once the command's echo has been seen, so a late
        // prompt left over from earlier input cannot end it early.
        let mut echoed = false;
        loop {
            echoed = echoed || self.echoed(command);
            if echoed && let Some(prompt) = self.prompt_at_end() {
                if any_host {
                    self.base_prompt = prompt.host.clone();
                }
                if prompt.host == self.base_prompt {
                    self.last_prompt = Some(prompt);
                    break;
                }
            }
            self.read_until(deadline, "the command's output to end with the prompt", ErrorCode::ReadTimeout).await?;
        }
        let text = self.take_counted()?;
        let output = self.platform.strip_prompt_context(&command_output(&text, command));
        Ok((text, output))
    }

    /// Takes what the device printed for one command, counting it against the job's limit.
    fn take_counted(&mut self) -> Result<String, JobFailure> {
        let text = self.transcript.take();
        self.output_total += text.len();
        if self.output_total > self.output_limit {
            return Err(too_large(self.output_limit));
        }
        Ok(text)
    }

    /// Leaves the CLI politely; errors are irrelevant at this point.
    pub async fn close(self) {
        if let Some(close) = &self.platform.file.close {
            let _ = self.channel.data_bytes(format!("{close}\n").into_bytes()).await;
        }
        let _ = self.channel.eof().await;
        let _ = self.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
        if let Some(jump) = &self.jump {
            let _ = jump.disconnect(russh::Disconnect::ByApplication, "", "en").await;
        }
    }

    /// Waits for the first prompt. With `candidates`, any of their prompt patterns will do,
    /// and the first that matches becomes the session's platform.
    async fn first_prompt(&mut self, timeout: Duration, candidates: &[Arc<Platform>]) -> Result<Prompt, JobFailure> {
        let deadline = Instant::now() + timeout;
        // Most devices print a prompt on their own; nudge with Enter if they stay quiet.
        let nudge_at = Instant::now() + Duration::from_millis(1500).min(timeout / 2);
        let mut nudged = false;
        loop {
            for candidate in candidates {
                if let Some(prompt) = prompt_in(candidate, &self.transcript.last_line()) {
                    self.platform = candidate.clone();
                    return Ok(prompt);
                }
            }
            if let Some(prompt) = self.prompt_at_end() {
                return Ok(prompt);
            }
            let wait_until = if nudged { deadline } else { nudge_at };
            match self.read_until(wait_until, "the device's prompt", ErrorCode::PromptNotDetected).await {
                Ok(()) => {}
                Err(e) if nudged || Instant::now() >= deadline => return Err(e),
                Err(_) => {
                    nudged = true;
                    self.send("\n").await?;
                }
            }
        }
    }

    async fn send(&mut self, text: &str) -> Result<(), JobFailure> {
        let sent = self.channel.data_bytes(text.as_bytes().to_vec()).await;
        sent.map_err(|_| {
            self.lost = true;
            JobFailure::new(ErrorCode::PromptNotDetected, "the device closed the session")
        })
    }

    /// Reads one burst of output into the transcript, answering a pager if one shows.
    async fn read_until(&mut self, deadline: Instant, what: &str, on_timeout: ErrorCode) -> Result<(), JobFailure> {
        let message = tokio::time::timeout_at(deadline, self.channel.wait())
            .await
            .map_err(|_| JobFailure::new(on_timeout, format!("timed out waiting for {what}")))?;
        match message {
            Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => {
                self.heard = true;
                self.transcript.push(&data).map_err(|_| too_large(self.output_limit))?;
                let mut paged = false;
                for pager in &self.pagers {
                    paged = self.transcript.strip_trailing(pager) || paged;
                }
                if paged {
                    self.send(" ").await?;
                }
                Ok(())
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                self.lost = true;
                Err(JobFailure::new(
                    ErrorCode::PromptNotDetected,
                    format!("the device closed the session while waiting for {what}"),
                ))
            }
            Some(_) => Ok(()),
        }
    }

    /// Whether the device has echoed `command` (near the start of what it sent since).
    fn echoed(&self, command: &str) -> bool {
        let echo = command.trim();
        self.transcript.head(echo.len() + 512).contains(echo)
    }

    fn prompt_at_end(&self) -> Option<Prompt> {
        prompt_in(&self.platform, &self.transcript.last_line())
    }

    fn password_prompt_at_end(&self) -> bool {
        self.platform.password_prompt.is_match(&self.transcript.last_line())
    }
}

#[derive(Clone)]
struct Prompt {
    host: String,
    sigil: String,
    mode: Option<String>,
}

/// `line` as a prompt of `platform`, if it is one.
fn prompt_in(platform: &Platform, line: &str) -> Option<Prompt> {
    let line = line.trim_start();
    let caps = platform.prompt.captures(line)?;
    let whole = caps.get(0)?;
    (whole.start() == 0).then(|| Prompt {
        host: caps.name("host").map_or("", |m| m.as_str()).to_owned(),
        sigil: caps.name("sigil").map_or("", |m| m.as_str()).to_owned(),
        mode: caps.name("mode").map(|m| m.as_str().to_owned()),
    })
}

fn too_large(limit: usize) -> JobFailure {
    JobFailure::new(ErrorCode::OutputTooLarge, format!("the job's output exceeded the limit of {limit} bytes"))
}
