//! Syncer: records outcomes in batches (one script call per queue and kind), retrying
//! while Redis is unavailable so no finished job's outcome is thrown away. An error reply
//! is not retried: the batch is sent again one job at a time, so one outcome Redis refuses
//! (a result too large for it, a damaged key) fails only its own job and never holds up
//! the others. A job that ends
//! terminal here (succeeded, dead, or cancelled while running) and has a callback URL gets
//! its callback sent, in the background.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Outcome, Shared, StopReason};
use crate::backoff::Doubling;
use crate::broker::{Failure, Fence, Success};
use crate::error::{Error, Result};
use crate::job::{JobId, JobState, QueueName};

/// Outcomes taken per round.
const BATCH: usize = 512;
/// While outcomes come fast (the last round carried at least [`BUSY`]), a round waits
/// until it holds [`GATHER`] of them or [`LINGER`] passed: each script call's fixed cost
/// in Redis is then spread over more jobs. A lone outcome is never held back.
const BUSY: usize = 8;
const GATHER: usize = 64;
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);

/// Results from this size on are recorded alone, after a check of the server's limit
/// (Redis accepts no `proto-max-bulk-len` under 1 MiB, so smaller ones always fit).
const SOLO: usize = 1024 * 1024 - 4096;

pub(crate) struct Syncer {
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Outcome>,
    redis_down: bool,
    /// Redis answered after being down; logged once the answer is settled.
    came_back: bool,
}

impl Syncer {
    pub fn new(shared: Arc<Shared>, rx: mpsc::UnboundedReceiver<Outcome>) -> Self {
        Syncer {
            shared,
            rx,
            redis_down: false,
            came_back: false,
        }
    }

    /// Runs until `flush` fires and every outcome received by then is recorded; then, every
    /// job of the worker being settled, drops its start records (see the starter).
    pub async fn run(mut self, flush: CancellationToken) {
        self.rounds(flush).await;
        let shared = &self.shared;
        for queue in &shared.config.queues {
            if let Err(e) = shared.broker.forget_starts(queue, &shared.config.id).await {
                tracing::debug!(error = %e, queue = %queue, "cannot drop the worker's start record");
            }
        }
    }

    async fn rounds(&mut self, flush: CancellationToken) {
        let mut last = 0;
        loop {
            let first = tokio::select! {
                biased;
                o = self.rx.recv() => o,
                _ = flush.cancelled() => self.rx.try_recv().ok(),
            };
            let Some(first) = first else { return };
            let mut batch = vec![first];
            self.take_queued(&mut batch);
            if last >= BUSY && batch.len() < GATHER && !flush.is_cancelled() {
                let until = tokio::time::Instant::now() + LINGER;
                while batch.len() < GATHER {
                    tokio::select! {
                        biased;
                        o = self.rx.recv() => match o {
                            Some(o) => batch.push(o),
                            None => break,
                        },
                        _ = tokio::time::sleep_until(until) => break,
                        _ = flush.cancelled() => break,
                    }
                    self.take_queued(&mut batch);
                }
            }
            last = batch.len();
            self.record(batch).await;
        }
    }

    /// Adds what is queued already, up to a round's size.
    fn take_queued(&mut self, batch: &mut Vec<Outcome>) {
        while batch.len() < BATCH {
            match self.rx.try_recv() {
                Ok(o) => batch.push(o),
                Err(_) => break,
            }
        }
    }

    async fn record(&mut self, batch: Vec<Outcome>) {
        let mut successes: BTreeMap<QueueName, Vec<Success>> = BTreeMap::new();
        let mut failures: BTreeMap<QueueName, Vec<Failure>> = BTreeMap::new();
        let mut handbacks: BTreeMap<QueueName, Vec<(String, u32)>> = BTreeMap::new();
        for o in batch {
            match o {
                Outcome::Success(id, attempt, out) => successes
                    .entry(id.queue().clone())
                    .or_default()
                    .push(Success {
                        ulid: id.ulid().to_string(),
                        attempt,
                        result: out.bytes,
                        content_type: out.content_type,
                    }),
                Outcome::Failure(id, attempt, e) => failures
                    .entry(id.queue().clone())
                    .or_default()
                    .push(Failure {
                        ulid: id.ulid().to_string(),
                        attempt,
                        error: e.message,
                        retryable: e.retryable,
                    }),
                Outcome::HandBack(id, attempt) => handbacks
                    .entry(id.queue().clone())
                    .or_default()
                    .push((id.ulid().to_string(), attempt)),
                Outcome::Drop(id) => {
                    let gone = self.shared.inflight().remove(&id);
                    if let Some(f) = gone
                        && f.reason == Some(StopReason::Cancelled)
                        && let Some(url) = f.callback
                    {
                        self.shared
                            .callbacks
                            .send_when_final(&self.shared.broker, &id, &url);
                    }
                }
            }
        }
        for (queue, items) in successes {
            self.complete(&queue, items).await;
        }
        for (queue, items) in failures {
            for f in &items {
                tracing::info!(job = %JobId::from_parts(&queue, &f.ulid), error = %f.error, retryable = f.retryable, "job failed");
            }
            self.fail(&queue, items).await;
        }
        for (queue, items) in handbacks {
            self.handback(&queue, items).await;
        }
    }

    /// Records successes in one call. A call that gets an error reply is repeated one job at
    /// a time, so only a job whose outcome Redis keeps refusing is affected: that job is
    /// failed for good, with the reason.
    ///
    /// A result Redis may refuse for its size (over [`SOLO`]) is sent alone, after the
    /// others: Redis answers an oversized argument by closing the connection, which looks
    /// like an outage and would hold up every outcome sent with it. Its size is checked
    /// against the server's limit first.
    async fn complete(&mut self, queue: &QueueName, items: Vec<Success>) {
        let broker = self.shared.broker.clone();
        let worker = self.shared.config.id.clone();
        let (small, big): (Vec<Success>, Vec<Success>) =
            items.into_iter().partition(|s| s.result.len() < SOLO);
        let mut refused: Vec<(Success, Error)> = Vec::new();
        let mut taken = self
            .each(queue, &small, "succeeded", |some| {
                broker.complete(queue, &worker, some)
            })
            .await;
        // highest index first, so each removal leaves the others' indexes alone
        taken.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
        let mut small = small;
        for (i, e) in taken {
            refused.push((small.swap_remove(i), e));
        }
        for s in big {
            let limit = match self.retry_value(|| broker.max_bulk_len(queue)).await {
                Ok(limit) => limit,
                Err(e) => {
                    refused.push((s, e));
                    continue;
                }
            };
            if let Some(limit) = limit
                && s.result.len() as u64 > limit
            {
                let e = Error::invalid(format!(
                    "result of {} bytes is larger than Redis accepts (its proto-max-bulk-len is {limit})",
                    s.result.len()
                ));
                refused.push((s, e));
                continue;
            }
            let one = std::slice::from_ref(&s);
            let mut r = self
                .each(queue, one, "succeeded", |some| {
                    broker.complete(queue, &worker, some)
                })
                .await;
            if let Some((_, e)) = r.pop() {
                refused.push((s, e));
            }
        }
        let failures: Vec<Failure> = refused
            .into_iter()
            .map(|(s, e)| {
                tracing::error!(job = %JobId::from_parts(queue, &s.ulid), error = %e, "redis refused the job's result; failing the job");
                Failure {
                    error: unrecordable(&s, &e),
                    ulid: s.ulid,
                    attempt: s.attempt,
                    retryable: false,
                }
            })
            .collect();
        if !failures.is_empty() {
            self.fail(queue, failures).await;
        }
    }

    /// Records failed attempts; a job whose failure Redis keeps refusing is dropped (its
    /// lease expires and the reaper takes it back).
    async fn fail(&mut self, queue: &QueueName, items: Vec<Failure>) {
        let broker = self.shared.broker.clone();
        let worker = self.shared.config.id.clone();
        let backoff = self.shared.config.backoff;
        let refused = self
            .each(queue, &items, "failed", |some| {
                broker.fail(queue, &worker, some, backoff)
            })
            .await;
        self.drop_refused(queue, refused.iter().map(|(i, e)| (items[*i].ulid(), e)));
    }

    async fn handback(&mut self, queue: &QueueName, items: Vec<(String, u32)>) {
        let broker = self.shared.broker.clone();
        let worker = self.shared.config.id.clone();
        let refused = self
            .each(queue, &items, "handed_back", |some| {
                broker.handback(queue, &worker, some)
            })
            .await;
        self.drop_refused(queue, refused.iter().map(|(i, e)| (items[*i].ulid(), e)));
    }

    /// Sends `items` in one call (retried while Redis is unavailable) and settles them.
    /// When the call gets a non-transient error, sends them one by one; returns the items
    /// that still got one (by index), with it, unsettled.
    async fn each<'a, T, F, Fut>(
        &mut self,
        queue: &QueueName,
        items: &'a [T],
        outcome: &'static str,
        call: F,
    ) -> Vec<(usize, Error)>
    where
        T: Ulid,
        F: Fn(&'a [T]) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Fence>>>,
    {
        let e = match self.retry(|| call(items)).await {
            Ok(fences) => {
                self.settle(queue, items, fences, outcome);
                self.announce_return();
                return Vec::new();
            }
            Err(e) => e,
        };
        if items.len() == 1 {
            return vec![(0, e)];
        }
        tracing::warn!(queue = %queue, jobs = items.len(), error = %e, "redis refused a batch of outcomes; recording them one by one");
        let mut refused = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let one = std::slice::from_ref(item);
            match self.retry(|| call(one)).await {
                Ok(fences) => self.settle(queue, one, fences, outcome),
                Err(e) => refused.push((i, e)),
            }
        }
        self.announce_return();
        refused
    }

    /// Logs that Redis takes outcomes again, after the outcomes it answered are settled.
    fn announce_return(&mut self) {
        if std::mem::take(&mut self.came_back) {
            tracing::info!("redis takes outcomes again");
        }
    }

    /// Calls until Redis answers (or answers with something other than unavailability).
    async fn retry<F, Fut>(&mut self, call: F) -> Result<Vec<Fence>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Fence>>>,
    {
        self.retry_value(call).await
    }

    async fn retry_value<V, F, Fut>(&mut self, mut call: F) -> Result<V>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<V>>,
    {
        let mut backoff = Doubling::redis();
        loop {
            match call().await {
                Err(e) if e.is_transient() => {
                    if !self.redis_down {
                        tracing::warn!(error = %e, "cannot record outcomes; retrying until redis answers");
                        self.redis_down = true;
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                other => {
                    if self.redis_down && other.is_ok() {
                        // said once the outcomes are settled (see `each`), so the log
                        // never tells of recorded outcomes before their refusals
                        self.redis_down = false;
                        self.came_back = true;
                    }
                    return other;
                }
            }
        }
    }

    /// Forgets jobs whose outcome could not be recorded: their leases expire and the
    /// reaper takes them back, so the outcomes of other jobs never wait on them.
    fn drop_refused<'a>(
        &self,
        queue: &QueueName,
        refused: impl Iterator<Item = (&'a str, &'a Error)>,
    ) {
        let mut map = self.shared.inflight();
        for (ulid, e) in refused {
            let id = JobId::from_parts(queue, ulid);
            tracing::error!(job = %id, error = %e, "could not record the job's outcome; it will run again after its lease expires");
            map.remove(&id);
            metrics::counter!("mlqd_jobs_completed_total", "queue" => queue.to_string(), "outcome" => "unrecorded").increment(1);
        }
    }

    fn settle<T: Ulid>(
        &self,
        queue: &QueueName,
        items: &[T],
        fences: Vec<Fence>,
        outcome: &'static str,
    ) {
        let mut map = self.shared.inflight();
        for (item, fence) in items.iter().zip(fences) {
            let id = JobId::from_parts(queue, item.ulid());
            let callback = map.remove(&id).and_then(|f| f.callback);
            if let Some(url) = callback
                && matches!(
                    fence,
                    Fence::Recorded(JobState::Succeeded | JobState::Dead) | Fence::Duplicate
                )
            {
                // a duplicate is our own outcome recorded by an earlier call: the status
                // read tells whether the job is terminal
                self.shared
                    .callbacks
                    .send_when_final(&self.shared.broker, &id, &url);
            }
            let label = match fence {
                Fence::Recorded(JobState::Succeeded) => "succeeded",
                Fence::Recorded(JobState::Retry) => "retry",
                Fence::Recorded(JobState::Dead) => "dead",
                Fence::Recorded(_) => outcome,
                Fence::Duplicate => "duplicate",
                Fence::LeaseLost => {
                    tracing::warn!(job = %id, outcome, "outcome refused: the lease was lost, another worker owns the job");
                    "lease_lost"
                }
            };
            metrics::counter!("mlqd_jobs_completed_total", "queue" => queue.to_string(), "outcome" => label).increment(1);
        }
    }
}

/// The job an outcome is for.
trait Ulid {
    fn ulid(&self) -> &str;
}

impl Ulid for Success {
    fn ulid(&self) -> &str {
        &self.ulid
    }
}

impl Ulid for Failure {
    fn ulid(&self) -> &str {
        &self.ulid
    }
}

impl Ulid for (String, u32) {
    fn ulid(&self) -> &str {
        &self.0
    }
}

/// Why a job's result could not be stored, for its record.
fn unrecordable(s: &Success, e: &Error) -> String {
    match e {
        Error::Invalid(msg) => msg.clone(),
        Error::RedisReply { detail, .. } if detail.contains("invalid bulk length") => format!(
            "result of {} bytes is larger than Redis accepts (its proto-max-bulk-len)",
            s.result.len()
        ),
        Error::RedisReply { detail, .. } => {
            format!("the result could not be stored: redis answered {detail}")
        }
        other => format!("the result could not be stored: {other}"),
    }
}
