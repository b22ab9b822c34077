//! Config pushes: enter config mode, send each line and check it against the platform's
//! error patterns, stop at the first rejected line (unless told otherwise), leave config
//! mode, then commit or save only if every line was accepted.

use std::time::Duration;

use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::{ConfigOptions, Outcome};
use serde_json::{Value, json};

use super::DeviceSession;

/// The result document being built: every step's transcript and one entry per line.
#[derive(Default)]
struct Push {
    config_set_output: String,
    lines: Vec<Value>,
}

impl Push {
    fn results(self) -> Value {
        json!({"config_set_output": self.config_set_output, "lines": self.lines})
    }

    fn fail(self, failure: JobFailure) -> Outcome {
        Outcome { results: Some(self.results()), failure: Some(failure) }
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
                Ok((raw, _)) => push.config_set_output.push_str(&raw),
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
                rejected.get_or_insert((index, line.clone(), error));
                if options.stop_on_error {
                    break;
                }
            }
        }
        if rejected.is_none() && options.commit {
            let command = match (options.commit_confirmed_minutes, &file.commit, &file.commit_confirmed) {
                (Some(minutes), _, Some(template)) => {
                    Some(template.replace("{minutes}", &minutes.to_string()).replace("{comment}", comment))
                }
                (None, Some(template), _) => Some(template.replace("{comment}", comment)),
                _ => None,
            };
            if let Some(command) = command {
                match self.exchange(&command, timeout, true).await {
                    Ok((raw, output)) => {
                        push.config_set_output.push_str(&raw);
                        if let Some(error) = self.platform.error_in(&output) {
                            rejected = Some((lines.len(), command, error));
                        }
                    }
                    Err(failure) => return push.fail(failure),
                }
            }
        }
        if let Some(exit) = &file.config_exit {
            match self.exchange(exit, timeout, true).await {
                Ok((raw, _)) => push.config_set_output.push_str(&raw),
                Err(failure) => return push.fail(failure),
            }
        }
        if let Some((index, line, error)) = rejected {
            let failure = JobFailure::new(
                ErrorCode::ConfigRejected,
                format!("line {} ({line:?}) was rejected: {error}", index + 1),
            );
            return push.fail(failure);
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
