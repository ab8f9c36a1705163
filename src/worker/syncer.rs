//! Syncer: records outcomes in batches (one script call per queue and kind), retrying
//! while Redis is unreachable so no finished job's outcome is thrown away. A job that ends
//! terminal here (succeeded, dead, or cancelled while running) and has a callback URL gets
//! its callback sent, in the background.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Outcome, Shared, StopReason};
use crate::broker::{Failure, Fence, Success};
use crate::error::Result;
use crate::job::{JobId, JobState, QueueName};

/// Outcomes taken per round.
const BATCH: usize = 512;

pub(crate) struct Syncer {
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Outcome>,
    redis_down: bool,
}

impl Syncer {
    pub fn new(shared: Arc<Shared>, rx: mpsc::UnboundedReceiver<Outcome>) -> Self {
        Syncer {
            shared,
            rx,
            redis_down: false,
        }
    }

    /// Runs until `flush` fires and every outcome received by then is recorded.
    pub async fn run(mut self, flush: CancellationToken) {
        loop {
            let first = tokio::select! {
                biased;
                o = self.rx.recv() => o,
                _ = flush.cancelled() => self.rx.try_recv().ok(),
            };
            let Some(first) = first else { return };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match self.rx.try_recv() {
                    Ok(o) => batch.push(o),
                    Err(_) => break,
                }
            }
            self.record(batch).await;
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
        let worker = self.shared.config.id.clone();
        for (queue, items) in successes {
            let broker = self.shared.broker.clone();
            let fences = self
                .retry(|| broker.complete(&queue, &worker, &items))
                .await;
            let ulids: Vec<&str> = items.iter().map(|s| s.ulid.as_str()).collect();
            self.settle(&queue, &ulids, fences, "succeeded");
        }
        for (queue, items) in failures {
            let broker = self.shared.broker.clone();
            let backoff = self.shared.config.backoff;
            let fences = self
                .retry(|| broker.fail(&queue, &worker, &items, backoff))
                .await;
            for f in &items {
                tracing::info!(job = %JobId::from_parts(&queue, &f.ulid), error = %f.error, retryable = f.retryable, "job failed");
            }
            let ulids: Vec<&str> = items.iter().map(|s| s.ulid.as_str()).collect();
            self.settle(&queue, &ulids, fences, "failed");
        }
        for (queue, items) in handbacks {
            let broker = self.shared.broker.clone();
            let fences = self
                .retry(|| broker.handback(&queue, &worker, &items))
                .await;
            let ulids: Vec<&str> = items.iter().map(|s| s.0.as_str()).collect();
            self.settle(&queue, &ulids, fences, "handed_back");
        }
    }

    /// Calls until Redis answers (or answers with something other than unavailability).
    async fn retry<'a, F, Fut>(&mut self, mut call: F) -> Result<Vec<Fence>>
    where
        F: FnMut() -> Fut + 'a,
        Fut: std::future::Future<Output = Result<Vec<Fence>>> + 'a,
    {
        let mut backoff = Duration::from_millis(100);
        loop {
            match call().await {
                Err(e) if e.is_unavailable() => {
                    if !self.redis_down {
                        tracing::warn!(error = %e, "cannot record outcomes; retrying until redis answers");
                        self.redis_down = true;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                other => {
                    if self.redis_down && other.is_ok() {
                        tracing::info!("redis answers again; outcomes recorded");
                        self.redis_down = false;
                    }
                    return other;
                }
            }
        }
    }

    fn settle(
        &self,
        queue: &QueueName,
        ulids: &[&str],
        fences: Result<Vec<Fence>>,
        outcome: &'static str,
    ) {
        let fences = match fences {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(queue = %queue, error = %e, "could not record outcomes; the jobs will run again after their leases expire");
                vec![Fence::LeaseLost; ulids.len()]
            }
        };
        let mut map = self.shared.inflight();
        for (ulid, fence) in ulids.iter().zip(fences) {
            let id = JobId::from_parts(queue, ulid);
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
