//! Interrupting running jobs. The API records a cancellation and announces it on
//! `<prefix>.cancel.<job_id>`; the worker running that job drops its work, which closes
//! the SSH session. (The record already says `canceled`; the worker only stops early.)

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use naas_shared::domain::JobId;
use naas_shared::error::{ErrorCode, JobFailure};
use naas_shared::job::Outcome;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Default)]
pub struct Cancels {
    running: Arc<Mutex<HashMap<JobId, CancellationToken>>>,
}

impl Cancels {
    /// Runs `work` for `job` until it ends, or until the job is canceled (`None`).
    pub async fn run<T>(&self, job: JobId, work: impl Future<Output = T>) -> Option<T> {
        let token = CancellationToken::new();
        self.running.lock().expect("not poisoned").insert(job, token.clone());
        let outcome = tokio::select! {
            outcome = work => Some(outcome),
            _ = token.cancelled() => {
                tracing::info!("job canceled while running; session closed");
                None
            }
        };
        self.running.lock().expect("not poisoned").remove(&job);
        outcome
    }

    /// The outcome of a job canceled while it ran (the record already says `canceled`;
    /// this one is not stored).
    pub fn canceled() -> Outcome {
        Outcome::failed(JobFailure::new(ErrorCode::Internal, "canceled while running"))
    }

    fn cancel(&self, job: JobId) {
        if let Some(token) = self.running.lock().expect("not poisoned").get(&job) {
            token.cancel();
        }
    }

    /// Listens for cancellations until `stop` fires.
    pub async fn listen(self, mut subscription: async_nats::Subscriber, stop: CancellationToken) {
        loop {
            let message = tokio::select! {
                _ = stop.cancelled() => return,
                message = subscription.next() => message,
            };
            let Some(message) = message else { return };
            if let Some(job) = message.subject.rsplit('.').next().and_then(|id| JobId::parse(id).ok()) {
                self.cancel(job);
            }
        }
    }
}
