//! Recognising a device's platform (`platform: "autodetect"`): log in, take whichever
//! definition's prompt pattern matches the first prompt, send each distinct detect command
//! and match its output against the definitions that use it.
//!
//! Nothing here knows a platform by name: the commands and patterns are the definitions'
//! data (see `naas_shared::platform`). The probing session only reads; it is closed
//! afterwards and the job runs on a session opened for the recognised platform, so it
//! starts from that platform's privilege level and paging settings like any other job.

use std::sync::Arc;
use std::time::Duration;

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::DeviceCredentials;
use naas_shared::platform::{DetectGroup, Platform, Platforms};

use super::{DeviceSession, Target};

impl DeviceSession {
    /// The platform `platforms` recognise the device at `target` as (its `platform` is only
    /// a stand-in until the prompt shows), or `None` when no definition does. Each detect
    /// command waits at most `timeout` for its output.
    pub async fn detect(
        target: &Target<'_>,
        credentials: &DeviceCredentials,
        platforms: &Platforms,
        timeout: Duration,
    ) -> Result<Option<Arc<Platform>>, JobFailure> {
        let mut session = Self::connect(target, credentials).await?;
        let candidates: Vec<Arc<Platform>> = platforms.all().cloned().collect();
        session.pagers = candidates.iter().filter_map(|p| p.pager.clone()).collect();
        let found = session.identify(target.prompt_timeout, &candidates, &platforms.detect_groups(), timeout).await;
        session.close().await;
        found
    }

    async fn identify(
        &mut self,
        prompt_timeout: Duration,
        candidates: &[Arc<Platform>],
        groups: &[DetectGroup],
        timeout: Duration,
    ) -> Result<Option<Arc<Platform>>, JobFailure> {
        let prompt = self.first_prompt(prompt_timeout, candidates).await?;
        self.base_prompt = prompt.host.clone();
        self.last_prompt = Some(prompt);
        for group in groups {
            let output = self.run(&group.command, timeout).await?;
            if let Some(platform) = group.identify(&output) {
                return Ok(Some(platform.clone()));
            }
        }
        Ok(None)
    }
}

/// The failure of a job whose device no definition recognised.
pub fn not_detected(platforms: &Platforms) -> JobFailure {
    let commands: Vec<String> = platforms.detect_groups().into_iter().map(|g| format!("{:?}", g.command)).collect();
    let message = if commands.is_empty() {
        "no platform definition has detection patterns".to_owned()
    } else {
        format!("no platform definition recognised the device's answer to {}", commands.join(", "))
    };
    JobFailure::new(ErrorCode::PlatformNotDetected, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unrecognised_device_fails_naming_what_was_asked() {
        let failure = not_detected(&Platforms::builtin());
        assert_eq!(failure.code, ErrorCode::PlatformNotDetected);
        assert!(failure.message.contains("\"show version\", \"uname -a\""), "{}", failure.message);
        assert!(!failure.code.retryable());
    }
}
