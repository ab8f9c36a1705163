//! Starter: a job the claimer prefetched was only *received* (a lost lease costs it no
//! stall); once it reaches its handler Redis is told it started, so that a worker that dies
//! while running it spends its stall. Each buffered job carries a receipt, numbered per
//! queue in the order the claims handed them out, and the claimer hands them here in that
//! order, so one number per queue says it all: "started up to receipt R" (one command per
//! queue and record, whatever the number of jobs). For a handler whose job may take the worker down
//! (exec: a child can kill its parent) the batches run only once their start is recorded,
//! so a job that kills its worker is dead after `max_stalls`: the starter records the
//! starts of every batch waiting for it in one call per queue (while one call is under
//! way the next starts gather). For the others the batches run at once, and their starts
//! are recorded alongside (a crash in the moment before the record lands returns such a
//! job to the front of the queue without a stall, and the next claim hands it straight to
//! a handler, started); while starts come fast, a record waits up to [`LINGER`] for more
//! to gather (at most [`GATHER`]), so a drain records them in few calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use super::batch::run_batch;
use super::handler::Job;
use super::{Outcome, Shared, StopReason, metrics};
use crate::backoff::Doubling;
use crate::job::QueueName;

/// A batch of buffered jobs and the slot it will run in.
pub(crate) type Pending = (Vec<Job>, Option<OwnedSemaphorePermit>);

/// Per queue, the highest receipt among some buffered jobs (see the module's note).
pub(crate) type Receipts = BTreeMap<QueueName, u64>;

/// Batches of buffered jobs on their way to their handlers, with their receipts.
pub(crate) type Starts = (Vec<Pending>, Receipts);

/// While the last record carried at least [`BUSY`] starts, the next one waits until it
/// holds [`GATHER`] or [`LINGER`] passed (jobs that run at once only).
const BUSY: usize = 8;
const GATHER: usize = 256;
const LINGER: Duration = Duration::from_millis(1);

pub(crate) struct Starter {
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Starts>,
}

impl Starter {
    pub fn new(shared: Arc<Shared>, rx: mpsc::UnboundedReceiver<Starts>) -> Self {
        Starter { shared, rx }
    }

    /// Runs until the claimer is gone and every batch it sent has started (or, when Redis
    /// cannot record starts after `stop`, gone back to the queue).
    pub async fn run(mut self, stop: CancellationToken) {
        if self.shared.handler.may_kill_the_worker() {
            while let Some((mut batches, mut upto)) = self.rx.recv().await {
                while let Ok((more, more_upto)) = self.rx.try_recv() {
                    batches.extend(more);
                    merge(&mut upto, more_upto);
                }
                self.start_confirmed(batches, upto, &stop).await;
            }
            return;
        }
        let mut last = 0;
        while let Some(first) = self.rx.recv().await {
            let mut marks = Receipts::new();
            let mut n = self.launch(first, &mut marks);
            while let Ok(more) = self.rx.try_recv() {
                n += self.launch(more, &mut marks);
            }
            if last >= BUSY && n < GATHER && !stop.is_cancelled() {
                let until = tokio::time::Instant::now() + LINGER;
                while n < GATHER {
                    tokio::select! {
                        biased;
                        more = self.rx.recv() => match more {
                            Some(more) => n += self.launch(more, &mut marks),
                            None => break,
                        },
                        _ = tokio::time::sleep_until(until) => break,
                        _ = stop.cancelled() => break,
                    }
                }
            }
            last = n;
            self.record(&marks, &stop).await;
        }
    }

    /// Runs the batches at once and notes their starts in `marks`. Returns how many jobs.
    fn launch(&self, (batches, upto): Starts, marks: &mut Receipts) -> usize {
        merge(marks, upto);
        let mut n = 0;
        for (batch, permit) in batches {
            n += batch.len();
            tokio::spawn(run_batch(self.shared.clone(), batch, permit));
        }
        n
    }

    /// Records the starts, retrying while Redis does not answer; after `stop` a call that
    /// fails is given up (for jobs already running, a lost lease then costs no stall).
    /// Returns whether every start was recorded.
    async fn record(&self, marks: &Receipts, stop: &CancellationToken) -> bool {
        let shared = &self.shared;
        let mut backoff = Doubling::redis();
        for (queue, upto) in marks {
            loop {
                let marked = shared
                    .broker
                    .mark_started(queue, &shared.config.id, *upto)
                    .await;
                let Err(e) = marked else { break };
                tracing::debug!(error = %e, queue = %queue, "cannot record job starts; retrying");
                if stop.is_cancelled() {
                    return false;
                }
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
        true
    }

    /// Records the starts, then runs the batches; after `stop`, when Redis cannot record
    /// them, the jobs go back to the queue without a stall.
    async fn start_confirmed(
        &self,
        batches: Vec<Pending>,
        upto: Receipts,
        stop: &CancellationToken,
    ) {
        let shared = &self.shared;
        if !self.record(&upto, stop).await {
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
        for (batch, permit) in batches {
            tokio::spawn(run_batch(shared.clone(), batch, permit));
        }
    }
}

/// Adds receipts to `into`, keeping the highest per queue.
pub(crate) fn merge(into: &mut Receipts, from: Receipts) {
    for (queue, r) in from {
        let at = into.entry(queue).or_insert(0);
        *at = (*at).max(r);
    }
}
