//! Running one job per device, `concurrency` at a time, and reporting progress.
//!
//! Each device's job is submitted, followed to its end and turned into an [`Outcome`];
//! a refusal for one device (422 for its host, say) is that device's outcome, not the end
//! of the run. Progress goes to stderr: on a terminal a spinner (one device) or a bar
//! (several) redrawn in place, with a line per device as it ends; otherwise (logs, CI) a
//! plain line per change of status.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

    fn add(&self, console: &Console, kind: Kind, device: &Device, job_id: &str) {
        let Some(path) = &self.path else { return };
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
        if let Err(e) = history::record(path, &[entry])
            && !*warned
        {
            *warned = true;
            console.err(&format!("naasctl: warning: cannot write the job history {}: {e}\n", path.display()));
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
        let (api, permits, progress, history, console) =
            (api.clone(), permits.clone(), progress.clone(), history.clone(), console.clone());
        let (kind, detach, poll) = (plan.kind, plan.detach, plan.poll);
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            let outcome = one(&api, kind, job, index, detach, poll, &progress, &history, &console).await;
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
    console: &Console,
) -> Outcome {
    let accepted = match api.submit(kind, &job.body).await {
        Ok(accepted) => accepted,
        Err(e) => return Outcome::failed(job.device, None, e),
    };
    let Some(job_id) = accepted.get("job_id").and_then(Value::as_str).map(str::to_owned) else {
        let e = CliError::Connection(format!("the API accepted the job without a job_id: {accepted}"));
        return Outcome::failed(job.device, None, e);
    };
    history.add(console, kind, &job.device, &job_id);
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

#[derive(Default)]
struct State {
    labels: Vec<String>,
    statuses: Vec<String>,
    job_ids: Vec<Option<String>>,
    ended: usize,
    failed: usize,
    tick: usize,
    finished: bool,
}

/// Progress on stderr; see the module doc.
#[derive(Clone)]
struct Progress {
    console: Console,
    state: Arc<Mutex<State>>,
    quiet: bool,
    live: bool,
    started: Instant,
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

impl Progress {
    fn start(console: Console, labels: Vec<String>, quiet: bool) -> Self {
        let statuses = vec!["pending".to_owned(); labels.len()];
        let job_ids = vec![None; labels.len()];
        let live = !quiet && console.err_is_terminal();
        let progress = Self {
            console,
            state: Arc::new(Mutex::new(State { labels, statuses, job_ids, ..Default::default() })),
            quiet,
            live,
            started: Instant::now(),
        };
        if live {
            let ticker = progress.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(120)).await;
                    let mut state = ticker.state.lock().expect("progress lock");
                    if state.finished {
                        return;
                    }
                    state.tick += 1;
                    ticker.console.err(&format!("\r\x1b[2K{}", render(&state, ticker.started.elapsed())));
                }
            });
        }
        progress
    }

    fn many(state: &State) -> bool {
        state.labels.len() > 1
    }

    /// Prints a line above the live spinner/bar (or just the line when not live).
    fn line(&self, state: &State, text: &str) {
        if self.quiet {
            return;
        }
        if self.live {
            self.console.err(&format!("\r\x1b[2K{text}\n{}", render(state, self.started.elapsed())));
        } else {
            self.console.err(&format!("{text}\n"));
        }
    }

    fn submitted(&self, index: usize, job_id: &str) {
        let mut state = self.state.lock().expect("progress lock");
        state.job_ids[index] = Some(job_id.to_owned());
        if !self.live || !Self::many(&state) {
            self.line(&state, &format!("{}: job {job_id} submitted", state.labels[index]));
        }
    }

    fn status(&self, index: usize, status: &str) {
        let mut state = self.state.lock().expect("progress lock");
        if state.statuses[index] == status {
            return;
        }
        state.statuses[index] = status.to_owned();
        // Terminal statuses are reported by `done`, with the outcome.
        if !self.live && !crate::follow::is_terminal(status) {
            self.line(&state, &format!("{}: {status}", state.labels[index]));
        }
    }

    fn done(&self, index: usize, outcome: &Outcome) {
        let mut state = self.state.lock().expect("progress lock");
        state.statuses[index] = outcome.status.clone();
        state.ended += 1;
        if outcome.exit() != Exit::Ok {
            state.failed += 1;
        }
        if outcome.failure.is_some() && !Self::many(&state) {
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
        if Self::many(&state) {
            text = format!("[{}/{}] {text}", state.ended, state.labels.len());
        }
        self.line(&state, &text);
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

    fn finish(&self) {
        let mut state = self.state.lock().expect("progress lock");
        state.finished = true;
        if self.live {
            self.console.err("\r\x1b[2K");
        }
    }
}

/// The live line: a spinner with the one device's status, or a bar over all devices.
fn render(state: &State, elapsed: Duration) -> String {
    let spinner = SPINNER[state.tick % SPINNER.len()];
    let seconds = elapsed.as_secs_f64();
    if state.labels.len() == 1 {
        return format!("{spinner} {}: {}  {seconds:.1} s", state.labels[0], state.statuses[0]);
    }
    const WIDTH: usize = 24;
    let total = state.labels.len();
    let filled = state.ended * WIDTH / total.max(1);
    let running = state.statuses.iter().filter(|s| s.as_str() == "started").count();
    format!(
        "{spinner} [{}{}] {}/{total} done, {} failed, {running} running  {seconds:.1} s",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        state.ended,
        state.failed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_line() {
        let mut state = State {
            labels: vec!["r1".into(), "r2".into(), "r3".into(), "r4".into()],
            statuses: vec!["finished".into(), "failed".into(), "started".into(), "queued".into()],
            ended: 2,
            failed: 1,
            ..Default::default()
        };
        assert_eq!(
            render(&state, Duration::from_millis(2500)),
            "⠋ [############............] 2/4 done, 1 failed, 1 running  2.5 s"
        );
        state.labels.truncate(1);
        state.statuses = vec!["started".into()];
        state.tick = 1;
        assert_eq!(render(&state, Duration::from_millis(300)), "⠙ r1: started  0.3 s");
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
