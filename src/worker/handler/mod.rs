//! What runs a job: the `Handler` trait, the `Job` a handler receives, and the handlers
//! mlqd ships: `builtin` (echo/sleep/fail/noop), `exec` (a pool of long-lived child
//! processes speaking JSON Lines) and `http` (a model server).

pub mod builtin;
pub mod exec;
pub mod http;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::flusher::Chunks;
use crate::broker::{Broker, Header};
use crate::job::{self, JobId, JobResult, Payload};

/// A job as a handler sees it.
#[derive(Clone)]
pub struct Job {
    pub id: JobId,
    /// 1-based start count; also the lease's fencing token.
    pub attempt: u32,
    pub payload: Payload,
    /// The options stored with the job.
    pub header: Header,
    /// The limit this attempt runs under (the job's own, else the worker's).
    pub timeout: Option<Duration>,
    pub(crate) cancel: CancellationToken,
    pub(crate) reporter: Option<Arc<ProgressReporter>>,
    /// Where emitted chunks wait for the worker's flusher.
    pub(crate) output: Option<Arc<Chunks>>,
}

impl Job {
    /// A job not tied to a worker (for tests and direct calls of a handler).
    pub fn detached(id: JobId, payload: Payload) -> Self {
        Job {
            id,
            attempt: 1,
            payload,
            header: Header::default(),
            timeout: None,
            cancel: CancellationToken::new(),
            reporter: None,
            output: None,
        }
    }

    /// Reports progress (0–100 and an optional short message). Visible in status, the
    /// HTTP API and events. Errors are logged, never returned: progress is best effort.
    pub async fn progress(&self, percent: u8, message: Option<&str>) {
        if let Some(r) = &self.reporter {
            r.report(&self.id, self.attempt, percent, message).await;
        }
    }

    /// Appends a chunk to the job's output stream (tokens, log lines, partial results),
    /// which readers follow live (`GET /v1/jobs/{id}/stream`, `mlqd result ID --follow`).
    /// Cheap and never blocks: the chunk is buffered and the worker stores chunks in
    /// batches, every chunk of a job before its outcome. Chunks are kept in order, up to
    /// the worker's `--max-stream` bytes per job (the oldest go first). Empty chunks are
    /// skipped; a job not run by a worker (`Job::detached`) keeps nothing.
    pub fn emit(&self, chunk: impl Into<Vec<u8>>) {
        if let Some(out) = &self.output {
            out.emit(&self.id, self.attempt, chunk.into());
        }
    }

    /// Resolves when the job is cancelled, its lease is lost, or the worker hands it back.
    /// A cooperative handler stops then; others are stopped after the cancel grace.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The token behind `cancelled` (for handlers that pass it on).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// Stores progress through the broker, fenced by the job's lease.
pub struct ProgressReporter {
    pub(crate) broker: Broker,
    pub(crate) worker_id: String,
}

impl ProgressReporter {
    pub async fn report(&self, id: &JobId, attempt: u32, percent: u8, message: Option<&str>) {
        match self
            .broker
            .progress(id, attempt, &self.worker_id, percent, message)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::debug!(job = %id, "progress refused: lease no longer held"),
            // an outage is said by the claimer and the syncer already; progress is best
            // effort, and a handler reporting it often would flood the log
            Err(e) if e.is_transient() => {
                tracing::debug!(job = %id, error = %e, "could not store progress")
            }
            Err(e) => tracing::warn!(job = %id, error = %e, "could not store progress"),
        }
    }
}

/// A handler's result: bytes with a content type.
pub type Output = JobResult;

impl JobResult {
    /// A JSON result.
    pub fn json(value: &serde_json::Value) -> Self {
        JobResult {
            bytes: serde_json::to_vec(value).unwrap_or_default(),
            content_type: job::JSON.to_string(),
        }
    }

    /// No result.
    pub fn empty() -> Self {
        JobResult {
            bytes: Vec::new(),
            content_type: "application/octet-stream".to_string(),
        }
    }
}

/// Why an attempt failed, and whether another attempt could succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError {
    pub message: String,
    pub retryable: bool,
}

impl HandlerError {
    /// A failure worth retrying (the default for errors).
    pub fn retryable(message: impl Into<String>) -> Self {
        HandlerError {
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure no retry can fix: the job goes straight to the dead-letter set.
    pub fn permanent(message: impl Into<String>) -> Self {
        HandlerError {
            message: message.into(),
            retryable: false,
        }
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type HandlerResult = Result<Output, HandlerError>;

/// Runs jobs. Implemented for any `Fn(Job) -> impl Future<Output = HandlerResult>`.
pub trait Handler: Send + Sync + 'static {
    /// Runs one job.
    fn handle(&self, job: Job) -> BoxFuture<'static, HandlerResult>;

    /// Runs several jobs at once (dynamic batching). One result per job, in order. The
    /// default runs them concurrently through `handle`.
    fn handle_batch(&self, jobs: Vec<Job>) -> BoxFuture<'static, Vec<HandlerResult>> {
        let futs: Vec<_> = jobs.into_iter().map(|j| self.handle(j)).collect();
        Box::pin(futures::future::join_all(futs))
    }

    /// Called once when the worker stops, after every job has ended: release what the
    /// handler holds (the exec handler stops its child processes). Default: nothing.
    fn shutdown(&self) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    /// Whether a job of this handler may take the worker process down with it (a child
    /// process that kills its parent, or the OOM killer's pick). Such a handler's
    /// prefetched jobs start only once Redis has recorded their start, so a job that kills
    /// its worker always spends a stall and is dead after `max_stalls`; the others start
    /// at once, their start recorded alongside. Default: false (the job runs in a task of
    /// the worker, where a panic is caught).
    fn may_kill_the_worker(&self) -> bool {
        false
    }
}

impl<F, Fut> Handler for F
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    fn handle(&self, job: Job) -> BoxFuture<'static, HandlerResult> {
        Box::pin(self(job))
    }
}
