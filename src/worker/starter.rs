//! Starter: a job the claimer prefetched was only *received* (a lost lease costs it no
//! stall); once it reaches its handler Redis is told it started, so that a worker that dies
//! while running it spends its stall. The starter records the starts of every buffered
//! batch waiting for it in one call per queue (while one call is under way the next starts
//! gather). For a handler whose job may take the worker down (exec: a child can kill its
//! parent) the batches run only once their start is recorded, so a job that kills its
//! worker is dead after `max_stalls`; for the others they run at once (a crash in the
//! moment before the record lands returns such a job to the front of the queue without a
//! stall, and the next claim hands it straight to a handler, started).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use super::claimer::run_batch;
use super::handler::Job;
use super::{Outcome, Shared, StopReason, metrics};
use crate::backoff::Doubling;
use crate::job::QueueName;

/// A batch of buffered jobs and the slot it will run in.
pub(crate) type Pending = (Vec<Job>, Option<OwnedSemaphorePermit>);

pub(crate) struct Starter {
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Vec<Pending>>,
}

impl Starter {
    pub fn new(shared: Arc<Shared>, rx: mpsc::UnboundedReceiver<Vec<Pending>>) -> Self {
        Starter { shared, rx }
    }

    /// Runs until the claimer is gone and every batch it sent has started (or, when Redis
    /// cannot record starts after `stop`, gone back to the queue).
    pub async fn run(mut self, stop: CancellationToken) {
        while let Some(first) = self.rx.recv().await {
            let mut batches = first;
            while let Ok(more) = self.rx.try_recv() {
                batches.extend(more);
            }
            self.start(batches, &stop).await;
        }
    }

    async fn start(&self, mut batches: Vec<Pending>, stop: &CancellationToken) {
        let shared = &self.shared;
        let confirm = shared.handler.may_kill_the_worker();
        let mut by_queue: BTreeMap<QueueName, Vec<(String, u32)>> = BTreeMap::new();
        for (batch, _) in &batches {
            for j in batch {
                by_queue
                    .entry(j.id.queue().clone())
                    .or_default()
                    .push((j.id.ulid().to_string(), j.attempt));
            }
        }
        if !confirm {
            for (batch, permit) in batches.drain(..) {
                tokio::spawn(run_batch(shared.clone(), batch, permit));
            }
        }
        let mut backoff = Doubling::redis();
        for (queue, jobs) in &by_queue {
            loop {
                let marked = shared
                    .broker
                    .mark_started(queue, &shared.config.id, jobs)
                    .await;
                let Err(e) = marked else { break };
                tracing::debug!(error = %e, queue = %queue, "cannot record job starts; retrying");
                if stop.is_cancelled() && !confirm {
                    break; // they run already; a lost lease will cost them no stall
                }
                if stop.is_cancelled() {
                    // never started: back to the queue, without a stall
                    for (batch, _) in batches {
                        for j in batch {
                            shared.stop_job(&j.id, StopReason::Shutdown);
                            metrics::in_flight(j.id.queue(), -1.0);
                            let _ = shared.outcomes.send(Outcome::HandBack(j.id, j.attempt));
                        }
                    }
                    return;
                }
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
        for (batch, permit) in batches {
            tokio::spawn(run_batch(shared.clone(), batch, permit));
        }
    }
}
