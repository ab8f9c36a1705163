//! The worker: claims jobs, runs them through a handler, renews their leases and records
//! their outcomes.
//!
//! Duties, one file each: `claimer` (claim batches, block on the wake-up lists when idle
//! with a claim riding behind each pop, run jobs), `starter` (record that prefetched jobs
//! reach their handlers, in batches), `lease` (renew every in-flight lease in one call per queue), `canceller`
//! (stop handlers of cancelled jobs), `flusher` (store the chunks jobs emit, in batches,
//! before their outcomes), `syncer` (record outcomes in batches, retrying while Redis is
//! unavailable), `heartbeat` (the worker registry). Beside them: `breaker`
//! (stop claiming while the handler keeps failing), `metrics` (the worker's Prometheus
//! metrics and `/metrics`),
//! `protocol` (the exec handler's JSON Lines) and `handler` (builtin, exec, http).
//!
//! Shutdown order (SIGTERM/SIGINT):
//! 1. the claimer stops claiming;
//! 2. in-flight jobs run on, up to the drain timeout;
//! 3. jobs still running are stopped and handed back (no retry used);
//! 4. the syncer records every outcome it holds (each job's output chunks were stored
//!    before its outcome reached the syncer); then the flusher stores any chunk left;
//! 5. the handler releases what it holds (exec children get EOF, then SIGTERM), and
//!    callbacks under way get a few seconds to be delivered;
//! 6. lease renewal, the cancel listener and the heartbeat stop last, so no lease lapses
//!    while an outcome is still on its way; the worker then leaves the registry.

mod batch;
mod breaker;
mod canceller;
mod claimer;
mod flusher;
pub mod handler;
mod heartbeat;
mod lease;
pub mod metrics;
pub mod protocol;
mod starter;
mod syncer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::broker::{Backoff, Broker};
pub use crate::callback::CallbackSender;
use crate::error::{Error, Result};
use crate::job::{JobId, QueueName};
pub use handler::builtin::Builtin;
pub use handler::exec::{ExecConfig, ExecHandler};
pub use handler::http::HttpHandler;
pub use handler::{Handler, HandlerError, HandlerResult, Job, Output};

/// Default `--max-stream`: bytes of output kept per job.
pub const DEFAULT_MAX_STREAM: u64 = 16 * 1024 * 1024;

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Unique id, shown in job history and the worker registry.
    pub id: String,
    pub queues: Vec<QueueName>,
    /// Jobs (or batches) run at once.
    pub concurrency: usize,
    /// Lease length; renewed every third of it.
    pub lease: Duration,
    /// Execution limit for jobs that do not set their own.
    pub timeout: Option<Duration>,
    /// How long a draining worker lets running jobs finish before handing them back.
    pub drain_timeout: Duration,
    /// How long a stopped (cancelled) handler may take to return before it is dropped.
    pub cancel_grace: Duration,
    /// Jobs per handler call (dynamic batching); 1 = no batching.
    pub batch_size: usize,
    /// With batching: how long to wait for a batch to fill.
    pub batch_wait: Duration,
    pub backoff: Backoff,
    /// Largest result a handler may return; a larger one fails the job.
    pub max_result: u64,
    /// How often the worker proves it is alive in the registry.
    pub heartbeat: Duration,
    /// What runs the jobs, for the registry (`builtin:echo`, `exec`, `http`, `rust`).
    pub handler_name: String,
    /// Retryable failures in a row that stop claiming for `breaker_cooldown`; 0 = never.
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    /// Signs callbacks (`X-Mlqd-Signature`) when set.
    pub callback_secret: Option<String>,
    /// Bytes of output (`Job::emit`) kept per job; beyond it the oldest chunks are trimmed.
    pub max_stream: u64,
}

impl WorkerConfig {
    pub fn new(queues: Vec<QueueName>) -> Self {
        WorkerConfig {
            id: default_worker_id(),
            queues,
            concurrency: 1,
            lease: Duration::from_secs(30),
            timeout: None,
            drain_timeout: Duration::from_secs(30),
            cancel_grace: Duration::from_secs(5),
            batch_size: 1,
            batch_wait: Duration::ZERO,
            backoff: Backoff::default(),
            max_result: 64 * 1024 * 1024,
            heartbeat: Duration::from_secs(2),
            handler_name: "rust".to_string(),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            callback_secret: None,
            max_stream: DEFAULT_MAX_STREAM,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.queues.is_empty() {
            return Err(Error::invalid("a worker needs at least one queue"));
        }
        if self.concurrency == 0 || self.concurrency > 10_000 {
            return Err(Error::invalid("concurrency must be 1 to 10000"));
        }
        if self.batch_size == 0 || self.batch_size > 1000 {
            return Err(Error::invalid("batch size must be 1 to 1000"));
        }
        if self.lease < Duration::from_millis(100) {
            return Err(Error::invalid("lease must be at least 100ms"));
        }
        if self.max_stream == 0 {
            return Err(Error::invalid("--max-stream must be at least 1 byte"));
        }
        Ok(())
    }
}

/// `host-pid-xxxx`: readable, and unique across restarts of the same pid.
pub fn default_worker_id() -> String {
    let host = gethostname::gethostname()
        .to_string_lossy()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(40)
        .collect::<String>();
    let host = if host.is_empty() { "host".into() } else { host };
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

/// Why a running job was told to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// Someone cancelled it: its record is already written.
    Cancelled,
    /// Another worker owns it now: write nothing.
    LeaseLost,
    /// The worker is draining: hand it back.
    Shutdown,
}

/// A job this worker holds a lease on.
pub(crate) struct InFlight {
    pub attempt: u32,
    pub cancel: CancellationToken,
    pub reason: Option<StopReason>,
    /// Where to POST the status once the job is terminal.
    #[allow(dead_code)] // read by the callback sender (handlers issue)
    pub callback: Option<String>,
}

impl InFlight {
    /// Tells the job to stop, remembering why (the first reason wins).
    fn stop(&mut self, reason: StopReason) {
        if self.reason.is_none() {
            self.reason = Some(reason);
        }
        self.cancel.cancel();
    }
}

/// An attempt's end, on its way to Redis.
#[derive(Debug)]
pub(crate) enum Outcome {
    Success(JobId, u32, Output),
    Failure(JobId, u32, HandlerError),
    HandBack(JobId, u32),
    /// Nothing to write (cancelled, or the lease was lost): just forget the job.
    Drop(JobId),
}

/// State the duties share.
pub(crate) struct Shared {
    pub broker: Broker,
    pub config: WorkerConfig,
    pub handler: Arc<dyn Handler>,
    pub inflight: Mutex<HashMap<JobId, InFlight>>,
    pub outcomes: mpsc::UnboundedSender<Outcome>,
    pub slots: Arc<Semaphore>,
    pub reporter: Arc<handler::ProgressReporter>,
    /// Output chunks waiting to be stored (`Job::emit`), and the flusher's signals.
    pub chunks: Arc<flusher::Chunks>,
    pub breaker: breaker::Breaker,
    pub callbacks: CallbackSender,
    /// Redis clock minus this machine's, in ms (for queue-wait metrics only).
    pub clock_offset_ms: AtomicI64,
    /// Moving average of handler run time, µs (u64::MAX until a job ran): the claimer
    /// prefetches only while jobs are fast.
    pub run_avg_us: AtomicU64,
    /// Renew every lease now, not at the next third of a lease: the cancel subscription
    /// came (back) up, and a cancel sent while it was down was not heard.
    pub renew_now: tokio::sync::Notify,
    /// Cancels heard for jobs this worker did not hold, and when: a job's cancel can
    /// arrive before the answer of the claim that took it (they come over different
    /// connections), so [`Shared::take_early_cancels`] stops such a job as it registers.
    /// Locked after `inflight`, never before.
    pub early_cancels: Mutex<HashMap<JobId, std::time::Instant>>,
}

/// How long a cancel heard for a job this worker did not hold is kept, and how many.
const EARLY_CANCEL_KEEP: Duration = Duration::from_secs(60);
const EARLY_CANCEL_CAP: usize = 1024;

impl Shared {
    pub fn inflight(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, InFlight>> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now on the Redis clock, estimated (for metrics, never for leases).
    pub fn redis_now_ms(&self) -> i64 {
        let local = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        local + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Folds one handler call's run time into the moving average (weight 1/8).
    pub fn record_run_time(&self, took: Duration) {
        let us = took.as_micros().min(u64::MAX as u128 / 16) as u64;
        let _ = self
            .run_avg_us
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |avg| {
                Some(if avg == u64::MAX {
                    us
                } else {
                    (avg * 7 + us) / 8
                })
            });
    }

    /// Tells a running job to stop, remembering why (the first reason wins).
    pub fn stop_job(&self, id: &JobId, reason: StopReason) -> bool {
        let mut map = self.inflight();
        match map.get_mut(id) {
            Some(f) => {
                f.stop(reason);
                true
            }
            None => false,
        }
    }

    /// Stops a job someone cancelled. A job this worker does not hold is remembered for a
    /// while: the claim that took it may be on its way (see [`Shared::take_early_cancels`]).
    /// Returns whether the job was held.
    pub fn cancelled(&self, id: JobId) -> bool {
        let mut map = self.inflight();
        if let Some(f) = map.get_mut(&id) {
            f.stop(StopReason::Cancelled);
            return true;
        }
        let mut early = self.early_cancels.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        if early.len() >= EARLY_CANCEL_CAP {
            early.retain(|_, at| now.duration_since(*at) < EARLY_CANCEL_KEEP);
            if early.len() >= EARLY_CANCEL_CAP {
                early.clear();
            }
        }
        early.insert(id, now);
        false
    }

    /// Stops those of `map`'s jobs (just registered, with the in-flight map locked) whose
    /// cancel came before them.
    pub fn take_early_cancels<'a>(
        &self,
        map: &mut HashMap<JobId, InFlight>,
        ids: impl Iterator<Item = &'a JobId>,
    ) {
        let mut early = self.early_cancels.lock().unwrap_or_else(|p| p.into_inner());
        if early.is_empty() {
            return;
        }
        for id in ids {
            if early.remove(id).is_some()
                && let Some(f) = map.get_mut(id)
            {
                f.stop(StopReason::Cancelled);
            }
        }
    }
}

/// How long a starting worker waits for its cancel subscription before it claims anyway.
const CANCELS_HEARD_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What a worker did, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub handed_back: usize,
}

/// A worker: `Worker::new(broker, config).handler(h).run(shutdown)`.
pub struct Worker {
    broker: Broker,
    config: WorkerConfig,
    handler: Option<Arc<dyn Handler>>,
}

impl Worker {
    pub fn new(broker: Broker, config: WorkerConfig) -> Self {
        Worker {
            broker,
            config,
            handler: None,
        }
    }

    /// Sets the handler: anything implementing `Handler`, including an async closure
    /// `|job: Job| async move { Ok(Output::json(&value)) }`.
    pub fn handler(mut self, handler: impl Handler) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }

    /// Sets a shared handler.
    pub fn handler_arc(mut self, handler: Arc<dyn Handler>) -> Self {
        self.handler = Some(handler);
        self
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// Runs until `shutdown` fires, then drains in the documented order.
    pub async fn run(self, shutdown: CancellationToken) -> Result<WorkerReport> {
        self.config.validate()?;
        let handler = self
            .handler
            .ok_or_else(|| Error::invalid("a worker needs a handler"))?;
        let callbacks = CallbackSender::new(self.config.callback_secret.as_deref())?;
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            breaker: breaker::Breaker::new(
                self.config.breaker_threshold,
                self.config.breaker_cooldown,
            ),
            callbacks,
            clock_offset_ms: AtomicI64::new(0),
            run_avg_us: AtomicU64::new(u64::MAX),
            renew_now: tokio::sync::Notify::new(),
            early_cancels: Mutex::new(HashMap::new()),
            chunks: Arc::new(flusher::Chunks::new(self.config.max_stream)),
            reporter: Arc::new(handler::ProgressReporter {
                broker: self.broker.clone(),
                worker_id: self.config.id.clone(),
            }),
            broker: self.broker,
            slots: Arc::new(Semaphore::new(self.config.concurrency)),
            config: self.config,
            handler,
            inflight: Mutex::new(HashMap::new()),
            outcomes: tx,
        });
        if let Ok(redis_ms) = shared.broker.time_ms().await {
            let local = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
            shared
                .clock_offset_ms
                .store(redis_ms - local, Ordering::Relaxed);
        }
        tracing::info!(
            worker = %shared.config.id,
            queues = %shared.config.queues.iter().map(|q| q.as_str()).collect::<Vec<_>>().join(","),
            concurrency = shared.config.concurrency,
            "worker started"
        );

        let background = CancellationToken::new();
        let flush = CancellationToken::new();
        let syncer = tokio::spawn(syncer::Syncer::new(shared.clone(), rx).run(flush.clone()));
        let flush_chunks = CancellationToken::new();
        let flusher = tokio::spawn(
            flusher::Flusher::new(
                shared.broker.clone(),
                shared.config.id.clone(),
                shared.chunks.clone(),
            )
            .run(flush_chunks.clone()),
        );
        let renewer =
            tokio::spawn(lease::LeaseRenewer::new(shared.clone()).run(background.clone()));
        let (subscribed, cancels_heard) = tokio::sync::oneshot::channel();
        let canceller = tokio::spawn(
            canceller::Canceller::new(shared.clone(), subscribed).run(background.clone()),
        );
        let heartbeater =
            tokio::spawn(heartbeat::Heartbeater::new(shared.clone()).run(background.clone()));
        // cancels are heard before the first job is taken (Redis down: claim anyway after a
        // moment; the claimer waits for Redis on its own and lease renewal is the backstop)
        tokio::select! {
            _ = cancels_heard => {}
            _ = tokio::time::sleep(CANCELS_HEARD_WAIT) => {}
            _ = shutdown.cancelled() => {}
        }

        // 1. claim until told to stop
        claimer::Claimer::new(shared.clone()).run(shutdown).await;
        tracing::info!(worker = %shared.config.id, "draining");

        // 2. let running jobs finish, up to the drain timeout
        let all = shared.config.concurrency as u32;
        let drained =
            tokio::time::timeout(shared.config.drain_timeout, shared.slots.acquire_many(all)).await;
        let mut report = WorkerReport::default();
        if drained.is_err() {
            // 3. stop what still runs; those jobs report a hand-back
            let ids: Vec<JobId> = shared.inflight().keys().cloned().collect();
            for id in &ids {
                if shared.stop_job(id, StopReason::Shutdown) {
                    report.handed_back += 1;
                }
            }
            tracing::info!(jobs = ids.len(), "drain timeout passed; handing jobs back");
            let grace = shared.config.cancel_grace + Duration::from_secs(1);
            let _ = tokio::time::timeout(grace, shared.slots.acquire_many(all)).await;
        }
        // 4. record every outcome
        flush.cancel();
        if tokio::time::timeout(Duration::from_secs(30), syncer)
            .await
            .is_err()
        {
            tracing::warn!(
                "could not record every outcome before exit; their leases will expire and the jobs will be retried"
            );
        }
        flush_chunks.cancel();
        let flusher_abort = flusher.abort_handle();
        if tokio::time::timeout(Duration::from_secs(15), flusher)
            .await
            .is_err()
        {
            flusher_abort.abort();
        }
        // 5. release the handler; let callbacks under way go out
        shared.handler.shutdown().await;
        shared.callbacks.flush(Duration::from_secs(10)).await;
        // 6. stop renewing leases and listening for cancels
        background.cancel();
        let _ = renewer.await;
        let _ = canceller.await;
        let _ = heartbeater.await;
        tracing::info!(worker = %shared.config.id, "worker stopped");
        Ok(report)
    }
}

/// Which handler runs the jobs, as the command line names it (`--builtin`, `--exec`,
/// `--http`). `mlqd worker` and `mlqd up` both build theirs from one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandlerSpec {
    Builtin(Builtin),
    /// The command line, split like a shell would (never run through one).
    Exec(String),
    /// The model server's URL.
    Http(String),
}

impl HandlerSpec {
    /// The name the worker registry shows: `builtin:echo`, `exec`, `http`.
    pub fn name(&self) -> String {
        match self {
            HandlerSpec::Builtin(b) => format!("builtin:{}", b.name()),
            HandlerSpec::Exec(_) => "exec".into(),
            HandlerSpec::Http(_) => "http".into(),
        }
    }

    /// Builds the handler for a worker with `config` (an exec handler starts its children
    /// here, one per concurrency slot).
    pub async fn build(&self, config: &WorkerConfig) -> Result<Arc<dyn Handler>> {
        Ok(match self {
            HandlerSpec::Builtin(b) => Arc::new(*b),
            HandlerSpec::Exec(cmd) => Arc::new(
                ExecHandler::start(ExecConfig {
                    argv: handler::exec::split_command(cmd)?,
                    slots: config.concurrency,
                    max_result: config.max_result,
                    grace: config.cancel_grace,
                    batch: config.batch_size > 1,
                })
                .await?,
            ),
            HandlerSpec::Http(url) => Arc::new(HttpHandler::new(url, config.max_result)?),
        })
    }
}
