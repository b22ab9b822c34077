//! Config pushes: enter config mode, send each line and check it against the platform's
//! error patterns, stop at the first rejected line (unless told otherwise), commit if asked
//! and every line was accepted, leave config mode, then save only after a clean push.
//!
//! On platforms with a candidate configuration, whatever is not committed (a rejected
//! line or commit, or a job with `commit: false`) is discarded on the way out with the
//! platform's `config_abort` commands: a half-staged change must never wait in the
//! candidate for the next session to commit, and leaving never stops at an "uncommitted
//! changes" question.

use std::time::Duration;

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{ConfigOptions, Outcome};
use naas_shared::platform::PlatformFile;
use serde_json::{Value, json};

use super::DeviceSession;

/// The result document being built: every step's transcript and one entry per line.
#[derive(Default)]
struct Push {
    config_set_output: String,
    lines: Vec<Value>,
    /// On candidate platforms: `committed` or `discarded`.
    candidate: Option<&'static str>,
}

impl Push {
    fn results(self) -> Value {
        let mut results = json!({"config_set_output": self.config_set_output, "lines": self.lines});
        if let Some(candidate) = self.candidate {
            results["candidate"] = json!(candidate);
        }
        results
    }

    fn fail(self, failure: JobFailure) -> Outcome {
        Outcome { results: Some(self.results()), ..Outcome::failed(failure) }
    }
}

/// The commit command the options ask for, with the job's comment filled in.
fn commit_command(file: &PlatformFile, options: &ConfigOptions, comment: &str) -> Option<String> {
    match (options.commit_confirmed_minutes, &file.commit, &file.commit_confirmed) {
        (Some(minutes), _, Some(template)) => {
            Some(template.replace("{minutes}", &minutes.to_string()).replace("{comment}", comment))
        }
        (None, Some(template), _) => Some(template.replace("{comment}", comment)),
        _ => None,
    }
}

impl DeviceSession {
    /// Applies `lines`; `comment` goes into the commit comment so a change traces back to
    /// its job.
    pub async fn configure(
        &mut self,
        lines: &[String],
        options: &ConfigOptions,
        comment: &str,
        timeout: Duration,
    ) -> Outcome {
        let file = self.platform.file.clone();
        let mut push = Push::default();
        if let Some(enter) = &file.config_enter {
            match self.exchange(enter, timeout, false).await {
                Ok((raw, output)) => {
                    push.config_set_output.push_str(&raw);
                    // E.g. Junos `configure exclusive` while someone else holds the lock.
                    if let Some(error) = self.platform.error_in(&output) {
                        let message = format!("entering configuration mode ({enter:?}) was refused: {error}");
                        return push.fail(JobFailure::new(ErrorCode::ConfigRejected, message));
                    }
                }
                Err(failure) => return push.fail(failure),
            }
        }
        let mut rejected = None;
        for (index, line) in lines.iter().enumerate() {
            let (raw, output) = match self.exchange(line, timeout, true).await {
                Ok(exchanged) => exchanged,
                Err(failure) => return push.fail(failure),
            };
            push.config_set_output.push_str(&raw);
            let error = self.platform.error_in(&output);
            push.lines.push(json!({"line": line, "output": output, "error": error}));
            if let Some(error) = error {
                rejected.get_or_insert_with(|| format!("line {} ({line:?}) was rejected: {error}", index + 1));
                if options.stop_on_error {
                    break;
                }
            }
        }
        let mut committed = false;
        if rejected.is_none()
            && options.commit
            && let Some(command) = commit_command(&file, options, comment)
        {
            match self.exchange(&command, timeout, true).await {
                Ok((raw, output)) => {
                    push.config_set_output.push_str(&raw);
                    match self.platform.error_in(&output) {
                        Some(error) => rejected = Some(format!("the commit ({command:?}) was rejected: {error}")),
                        None => committed = true,
                    }
                }
                Err(failure) => return push.fail(failure),
            }
        }
        let candidate = self.platform.has_candidate();
        if candidate {
            push.candidate = Some(if committed { "committed" } else { "discarded" });
        }
        let leave = match (candidate && !committed, file.config_abort.is_empty()) {
            (true, false) => file.config_abort.clone(),
            _ => file.config_exit.iter().cloned().collect(),
        };
        for command in &leave {
            match self.exchange(command, timeout, true).await {
                Ok((raw, _)) => push.config_set_output.push_str(&raw),
                Err(failure) => return push.fail(failure),
            }
        }
        if let Some(message) = rejected {
            return push.fail(JobFailure::new(ErrorCode::ConfigRejected, message));
        }
        if options.save_config
            && let Some(save) = &file.save
        {
            match self.exchange(save, timeout, true).await {
                Ok((raw, output)) => {
                    push.config_set_output.push_str(&raw);
                    if let Some(error) = self.platform.error_in(&output) {
                        return push.fail(JobFailure::new(
                            ErrorCode::ConfigRejected,
                            format!("saving the configuration failed: {error}"),
                        ));
                    }
                }
                Err(failure) => return push.fail(failure),
            }
        }
        Outcome::finished(push.results())
    }
}
