//! Privileged mode: `enable` and its secret, for platforms that log in unprivileged.

use std::time::Duration;

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::DeviceCredentials;
use tokio::time::Instant;

use super::DeviceSession;

impl DeviceSession {
    /// Sends the enable command and, when asked, the secret. The device's answer only
    /// counts once the command's echo is back: a slow device may still be answering earlier
    /// input (the Enter that nudged it for its first prompt), and that late prompt is not
    /// "enable needed no secret and left us unprivileged".
    pub(super) async fn enable(
        &mut self,
        credentials: &DeviceCredentials,
        timeout: Duration,
    ) -> Result<(), JobFailure> {
        let Some(enable) = self.platform.file.enable_command.clone() else { return Ok(()) };
        self.transcript.take();
        self.send(&format!("{enable}\n")).await?;
        let deadline = Instant::now() + timeout;
        let mut echoed = false;
        let asked = loop {
            echoed = echoed || self.echoed(&enable);
            if echoed && self.password_prompt_at_end() {
                break true;
            }
            if echoed && self.prompt_at_end().is_some() {
                break false;
            }
            self.read_until(deadline, "the enable password prompt", ErrorCode::PromptNotDetected).await?;
        };
        if asked {
            let secret = credentials.enable.as_ref().unwrap_or(&credentials.password);
            self.transcript.take();
            self.send(&format!("{}\n", secret.expose())).await?;
            loop {
                if self.prompt_at_end().is_some() {
                    break;
                }
                if self.password_prompt_at_end() {
                    return Err(JobFailure::new(ErrorCode::AuthFailure, "the enable secret was refused"));
                }
                self.read_until(deadline, "the prompt after enable", ErrorCode::PromptNotDetected).await?;
            }
        }
        match self.prompt_at_end() {
            Some(p) if p.sigil == self.platform.file.privileged_sigil => {
                self.transcript.take();
                self.last_prompt = Some(p);
                Ok(())
            }
            _ => Err(JobFailure::new(ErrorCode::AuthFailure, "the enable secret was refused")),
        }
    }
}
