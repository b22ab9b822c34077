//! Running one job per device, `concurrency` at a time, and reporting progress.
//!
//! Each device's job is submitted, followed to its end and turned into an [`Outcome`];
//! a refusal for one device (422 for its host, say) is that device's outcome, not the end
//! of the run. Progress goes to stderr: on a terminal `indicatif` draws a spinner per
//! device being worked on and, for several devices, a bar over all of them, with a line
//! per device printed above as it ends; otherwise (logs, CI, `-q` aside) a plain line per
//! change of status.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::Console;
use crate::api::{Api, Kind};
use crate::error::{CliError, Exit};
use crate::follow::follow;
use crate::history::{self, Entry};
use crate::inventory::Device;
use crate::output::duration;

/// One device's job: where, and the body to submit.
pub struct Job {
    pub device: Device,
    pub body: Value,
}

/// How one device's job ended (or where it stands, when not followed).
#[derive(Debug)]
pub struct Outcome {
    pub device: Device,
    pub job_id: Option<String>,
    /// The job's status, or `error` when it could not be submitted or followed.
    pub status: String,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub duration_ms: Option<u64>,
    /// The final job document (the 202 body when detached).
    pub document: Option<Value>,
    /// Why there is no job outcome (submission refused, API unreachable).
    pub failure: Option<CliError>,
}

impl Outcome {
    pub fn of(device: Device, document: Value) -> Self {
        let text = |key: &str| document.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            device,
            job_id: text("job_id"),
            status: text("status").unwrap_or_default(),
            error_code: text("error_code"),
            error: text("error"),
            duration_ms: document.get("duration_ms").and_then(Value::as_u64),
            document: Some(document),
            failure: None,
        }
    }

    fn failed(device: Device, job_id: Option<String>, failure: CliError) -> Self {
        let code = match &failure {
            CliError::Api(refusal) => refusal.code.clone(),
            CliError::Connection(_) => "UNREACHABLE".to_owned(),
            CliError::Usage(_) => "USAGE".to_owned(),
            CliError::Interrupted(_) => "INTERRUPTED".to_owned(),
        };
        Self {
            device,
            job_id,
            status: "error".to_owned(),
            error_code: Some(code),
            error: Some(failure.to_string()),
            duration_ms: None,
            document: None,
            failure: Some(failure),
        }
    }

    pub fn exit(&self) -> Exit {
        match (&self.failure, self.status.as_str()) {
            (Some(failure), _) => failure.exit(),
            (None, "failed" | "canceled") => Exit::JobFailed,
            _ => Exit::Ok,
        }
    }

    /// The summary record (`--output json|yaml` for several devices).
    pub fn summary(&self) -> Value {
        json!({
            "device": self.device.label(),
            "host": self.device.host,
            "port": self.device.port,
            "job_id": self.job_id,
            "status": self.status,
            "error_code": self.error_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "results": self.document.as_ref().map(|d| d["results"].clone()).unwrap_or(Value::Null),
        })
    }
}

/// Where accepted jobs are remembered for `job list`.
pub struct History {
    path: Option<PathBuf>,
    api: String,
    /// Serialises writers; true once a failure to write was reported (once is enough).
    warned: Mutex<bool>,
}

impl History {
    pub fn new(path: Option<PathBuf>, api: &str) -> Self {
        Self { path, api: api.to_owned(), warned: Mutex::new(false) }
    }

    /// Remembers the job; the warning to show when the history cannot be written (the
    /// first time only).
    fn add(&self, kind: Kind, device: &Device, job_id: &str) -> Option<String> {
        let path = self.path.as_ref()?;
        let entry = Entry {
            job_id: job_id.to_owned(),
            kind: kind.as_str().to_owned(),
            device: device.label(),
            submitted_at: naas_shared::now()
                .replace_nanosecond(0)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default(),
            api: self.api.clone(),
        };
        let mut warned = self.warned.lock().expect("history lock");
        match history::record(path, &[entry]) {
            Err(e) if !*warned => {
                *warned = true;
                Some(format!("naasctl: warning: cannot write the job history {}: {e}", path.display()))
            }
            _ => None,
        }
    }
}

pub struct Plan {
    pub kind: Kind,
    pub jobs: Vec<Job>,
    pub concurrency: usize,
    pub detach: bool,
    pub poll: bool,
    pub quiet: bool,
}

/// Runs every job of `plan`; outcomes in the order of `plan.jobs`. Ctrl-C stops following
/// (the jobs go on) and names the jobs left running.
pub async fn run(
    api: Arc<Api>,
    plan: Plan,
    history: Arc<History>,
    console: &Console,
) -> Result<Vec<Outcome>, CliError> {
    let labels = plan.jobs.iter().map(|j| j.device.label()).collect();
    let progress = Progress::start(console.clone(), labels, plan.quiet);
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    let mut tasks = Vec::new();
    for (index, job) in plan.jobs.into_iter().enumerate() {
        let (api, permits, progress, history) = (api.clone(), permits.clone(), progress.clone(), history.clone());
        let (kind, detach, poll) = (plan.kind, plan.detach, plan.poll);
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            progress.begin(index);
            let outcome = one(&api, kind, job, index, detach, poll, &progress, &history).await;
            progress.done(index, &outcome);
            outcome
        }));
    }
    let all = futures::future::join_all(tasks);
    let outcomes = tokio::select! {
        joined = all => joined.into_iter().map(|t| t.expect("device tasks do not panic")).collect(),
        _ = tokio::signal::ctrl_c() => {
            progress.finish();
            return Err(CliError::Interrupted(progress.left_running()));
        }
    };
    progress.finish();
    Ok(outcomes)
}

#[allow(clippy::too_many_arguments)]
async fn one(
    api: &Api,
    kind: Kind,
    job: Job,
    index: usize,
    detach: bool,
    poll: bool,
    progress: &Progress,
    history: &History,
) -> Outcome {
    let accepted = match api.submit(kind, &job.body).await {
        Ok(accepted) => accepted,
        Err(e) => return Outcome::failed(job.device, None, e),
    };
    let Some(job_id) = accepted.get("job_id").and_then(Value::as_str).map(str::to_owned) else {
        let e = CliError::Connection(format!("the API accepted the job without a job_id: {accepted}"));
        return Outcome::failed(job.device, None, e);
    };
    if let Some(warning) = history.add(kind, &job.device, &job_id) {
        progress.warn(&warning);
    }
    progress.submitted(index, &job_id);
    if detach {
        return Outcome::of(job.device, accepted);
    }
    match follow(api, &job_id, poll, |status| progress.status(index, status)).await {
        Ok(document) => Outcome::of(job.device, document),
        // The job exists and may still run: say which one it is.
        Err(e) => {
            let e = e.context(&format!("following job {job_id} (it may still run; naasctl job watch {job_id})"));
            Outcome::failed(job.device, Some(job_id), e)
        }
    }
}

/// Where the devices stand; `Progress` shares it with every device's task.
#[derive(Default)]
struct State {
    labels: Vec<String>,
    statuses: Vec<String>,
    job_ids: Vec<Option<String>>,
    ended: usize,
    failed: usize,
    /// The spinner of each device being worked on (live only).
    spinners: Vec<Option<ProgressBar>>,
}

impl State {
    fn many(&self) -> bool {
        self.labels.len() > 1
    }

    /// The overall bar's message: `1 failed, 4 running`.
    fn counts(&self) -> String {
        let running = self.statuses.iter().filter(|s| s.as_str() == "started").count();
        format!("{} failed, {running} running", self.failed)
    }
}

/// The bars drawn on a terminal: a spinner per device being worked on
/// (`⠋ r1: started  0.3 s`) and, for several devices, the bar over all of them below
/// (`⠋ [############............] 2/4 done, 1 failed, 1 running  2.5 s`).
#[derive(Clone)]
struct Live {
    bars: MultiProgress,
    overall: Option<ProgressBar>,
}

const TICK: Duration = Duration::from_millis(120);

/// The spinner's frames, then the one shown once finished.
const FRAMES: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ";

/// `2.5 s`: the bar's age, the way naasctl writes durations.
fn seconds(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.1} s", state.elapsed().as_secs_f64());
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("the templates are valid")
        .tick_chars(FRAMES)
        .progress_chars("#.")
        .with_key("seconds", seconds)
}

/// Progress on stderr; see the module doc.
#[derive(Clone)]
struct Progress {
    console: Console,
    state: Arc<Mutex<State>>,
    quiet: bool,
    live: Option<Live>,
}

impl Progress {
    fn start(console: Console, labels: Vec<String>, quiet: bool) -> Self {
        let count = labels.len();
        let state = State {
            statuses: vec!["pending".to_owned(); count],
            job_ids: vec![None; count],
            spinners: vec![None; count],
            labels,
            ..Default::default()
        };
        let live = (!quiet && console.err_is_terminal()).then(|| {
            let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = state.many().then(|| {
                let bar = ProgressBar::new(count as u64)
                    .with_style(style("{spinner} [{bar:24}] {pos}/{len} done, {msg}  {seconds}"))
                    .with_message(state.counts());
                let bar = bars.add(bar);
                bar.enable_steady_tick(TICK);
                bar
            });
            Live { bars, overall }
        });
        Self { console, state: Arc::new(Mutex::new(state)), quiet, live }
    }

    /// Prints a line above the live bars (or just the line when not live).
    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.live {
            Some(live) => {
                let _ = live.bars.println(text);
            }
            None => self.console.err(&format!("{text}\n")),
        }
    }

    /// The device's turn has come (a concurrency permit): its spinner appears.
    fn begin(&self, index: usize) {
        let Some(live) = &self.live else { return };
        let mut state = self.state.lock().expect("progress lock");
        let spinner = ProgressBar::new_spinner()
            .with_style(style("{spinner} {prefix}: {msg}  {seconds}"))
            .with_prefix(state.labels[index].clone())
            .with_message("submitting");
        let spinner = match &live.overall {
            Some(overall) => live.bars.insert_before(overall, spinner),
            None => live.bars.add(spinner),
        };
        spinner.enable_steady_tick(TICK);
        state.spinners[index] = Some(spinner);
    }

    fn submitted(&self, index: usize, job_id: &str) {
        let mut state = self.state.lock().expect("progress lock");
        state.job_ids[index] = Some(job_id.to_owned());
        if self.live.is_none() || !state.many() {
            self.line(&format!("{}: job {job_id} submitted", state.labels[index]));
        }
    }

    /// A warning about one device that does not end its run (history not written).
    fn warn(&self, text: &str) {
        match &self.live {
            Some(live) => live.bars.suspend(|| self.console.err(&format!("{text}\n"))),
            None => self.console.err(&format!("{text}\n")),
        }
    }

    fn status(&self, index: usize, status: &str) {
        let mut state = self.state.lock().expect("progress lock");
        if state.statuses[index] == status {
            return;
        }
        state.statuses[index] = status.to_owned();
        match &self.live {
            Some(live) => {
                if let Some(spinner) = &state.spinners[index] {
                    spinner.set_message(status.to_owned());
                }
                if let Some(overall) = &live.overall {
                    overall.set_message(state.counts());
                }
            }
            // Terminal statuses are reported by `done`, with the outcome.
            None if !crate::follow::is_terminal(status) => {
                self.line(&format!("{}: {status}", state.labels[index]));
            }
            None => {}
        }
    }

    fn done(&self, index: usize, outcome: &Outcome) {
        let mut state = self.state.lock().expect("progress lock");
        state.statuses[index] = outcome.status.clone();
        state.ended += 1;
        if outcome.exit() != Exit::Ok {
            state.failed += 1;
        }
        if let Some(spinner) = state.spinners[index].take() {
            spinner.finish_and_clear();
        }
        if let Some(overall) = self.live.as_ref().and_then(|live| live.overall.as_ref()) {
            overall.inc(1);
            overall.set_message(state.counts());
        }
        if outcome.failure.is_some() && !state.many() {
            // One device: the error is the command's error, reported once by the caller.
            return;
        }
        let mut text = match outcome.status.as_str() {
            "finished" => format!("{}: finished in {}", outcome.device.label(), duration(outcome.duration_ms)),
            "error" => format!("{}: not run: {}", outcome.device.label(), outcome.error.as_deref().unwrap_or("")),
            status => {
                let mut text = format!("{}: {status}", outcome.device.label());
                if let Some(code) = &outcome.error_code {
                    text.push_str(&format!(" {code}"));
                }
                if let Some(error) = &outcome.error {
                    text.push_str(&format!(": {error}"));
                }
                text
            }
        };
        if state.many() {
            text = format!("[{}/{}] {text}", state.ended, state.labels.len());
        }
        self.line(&text);
    }

    /// What an interruption leaves behind: the jobs still queued or running, and the
    /// devices never submitted.
    fn left_running(&self) -> String {
        let state = self.state.lock().expect("progress lock");
        let mut running = String::new();
        let mut unsent = 0;
        for ((label, status), job_id) in state.labels.iter().zip(&state.statuses).zip(&state.job_ids) {
            match job_id {
                None => unsent += 1,
                Some(_) if crate::follow::is_terminal(status) || status == "error" => {}
                Some(id) => running.push_str(&format!("\n  {label}  {id}")),
            }
        }
        let mut text = "interrupted".to_owned();
        if !running.is_empty() {
            text.push_str(&format!(
                "; these jobs go on (follow: naasctl job watch ID, stop: naasctl job cancel ID):{running}"
            ));
        }
        if unsent > 0 {
            text.push_str(&format!("\n{unsent} device(s) not submitted"));
        }
        text
    }

    /// Takes the bars off the screen; what follows (the summary, an error) prints below
    /// the per-device lines.
    fn finish(&self) {
        let mut state = self.state.lock().expect("progress lock");
        for spinner in state.spinners.iter_mut().filter_map(Option::take) {
            spinner.finish_and_clear();
        }
        if let Some(live) = &self.live {
            if let Some(overall) = &live.overall {
                overall.finish_and_clear();
            }
            let _ = live.bars.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overall_bar_counts_failures_and_running_devices() {
        let state = State {
            labels: vec!["r1".into(), "r2".into(), "r3".into(), "r4".into()],
            statuses: vec!["finished".into(), "failed".into(), "started".into(), "queued".into()],
            ended: 2,
            failed: 1,
            ..Default::default()
        };
        assert_eq!(state.counts(), "1 failed, 1 running");
        assert!(state.many());
    }

    #[test]
    fn outcomes_decide_the_exit_status() {
        let device = Device::bare("r1");
        assert_eq!(Outcome::of(device.clone(), json!({"status": "finished"})).exit(), Exit::Ok);
        assert_eq!(Outcome::of(device.clone(), json!({"status": "canceled"})).exit(), Exit::JobFailed);
        let refused = Outcome::failed(device, None, CliError::Connection("refused".into()));
        assert_eq!((refused.exit(), refused.error_code.as_deref()), (Exit::Unavailable, Some("UNREACHABLE")));
    }
}
