//! Starter: a job the claimer prefetched was only *received* (a lost lease costs it no
//! stall); once it reaches its handler Redis is told it started, so that a worker that dies
//! while running it spends its stall. For a handler whose job may take the worker down
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

use super::claimer::run_batch;
use super::handler::Job;
use super::{Outcome, Shared, StopReason, metrics};
use crate::backoff::Doubling;
use crate::job::QueueName;

/// A batch of buffered jobs and the slot it will run in.
pub(crate) type Pending = (Vec<Job>, Option<OwnedSemaphorePermit>);

/// While the last record carried at least [`BUSY`] starts, the next one waits until it
/// holds [`GATHER`] or [`LINGER`] passed (jobs that run at once only).
const BUSY: usize = 8;
const GATHER: usize = 256;
const LINGER: Duration = Duration::from_millis(1);

/// Starts to record, per queue: (ulid, attempt).
type Marks = BTreeMap<QueueName, Vec<(String, u32)>>;

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
        if self.shared.handler.may_kill_the_worker() {
            while let Some(first) = self.rx.recv().await {
                let mut batches = first;
                while let Ok(more) = self.rx.try_recv() {
                    batches.extend(more);
                }
                self.start_confirmed(batches, &stop).await;
            }
            return;
        }
        let mut last = 0;
        while let Some(first) = self.rx.recv().await {
            let mut marks = Marks::new();
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
    fn launch(&self, batches: Vec<Pending>, marks: &mut Marks) -> usize {
        let mut n = 0;
        for (batch, permit) in batches {
            n += note(&batch, marks);
            tokio::spawn(run_batch(self.shared.clone(), batch, permit));
        }
        n
    }

    /// Records the starts, retrying while Redis does not answer; after `stop` a call that
    /// fails is given up (for jobs already running, a lost lease then costs no stall).
    /// Returns whether every start was recorded.
    async fn record(&self, marks: &Marks, stop: &CancellationToken) -> bool {
        let shared = &self.shared;
        let mut backoff = Doubling::redis();
        for (queue, jobs) in marks {
            loop {
                let marked = shared
                    .broker
                    .mark_started(queue, &shared.config.id, jobs)
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
    async fn start_confirmed(&self, batches: Vec<Pending>, stop: &CancellationToken) {
        let shared = &self.shared;
        let mut marks = Marks::new();
        for (batch, _) in &batches {
            note(batch, &mut marks);
        }
        if !self.record(&marks, stop).await {
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

/// Notes the starts of a batch's jobs. Returns how many.
fn note(batch: &[Job], marks: &mut Marks) -> usize {
    for j in batch {
        marks
            .entry(j.id.queue().clone())
            .or_default()
            .push((j.id.ulid().to_string(), j.attempt));
    }
    batch.len()
}
