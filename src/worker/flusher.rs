//! Flusher: stores the chunks running jobs emit (their output streams) in batches, so a
//! handler that emits a thousand chunks a second costs a few script calls a second, not a
//! thousand round trips, and never waits on Redis itself.
//!
//! `Job::emit` (and an exec handler's stream lines) only append to this process's buffer
//! ([`Chunks`]), numbering each chunk within its attempt. The flusher wakes on the first
//! chunk, gathers for [`GATHER`] (less when [`FLUSH_BYTES`] wait, or when a finished job
//! needs its chunks stored), then sends one `stream_append` call per queue carrying up to
//! [`CALL_BYTES`] or [`CALL_CHUNKS`] of chunks, and goes again while chunks wait. A call Redis cannot take
//! now is retried with backoff (the chunks stay in order); an error reply is retried one
//! job at a time, and a job whose chunks Redis keeps refusing loses them (logged). While a
//! job's chunks wait, at most `--max-stream` bytes of them are kept (the oldest go, as the
//! store would trim them); readers see the gap as a trim.
//!
//! Order with outcomes: before a job's outcome goes to the syncer, the claimer calls
//! [`Chunks::settle`], which returns once every chunk the job emitted is stored (or
//! refused), so a reader never sees a job end before its last chunk. A job whose lease
//! was lost gets its chunks refused by the script (fenced like progress) and emits no
//! more from here.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backoff::Doubling;
use crate::broker::{Broker, ChunkBatch};
use crate::error::{Error, Result};
use crate::job::{JobId, QueueName};

/// How long the flusher gathers chunks after the first one wakes it.
const GATHER: Duration = Duration::from_millis(5);
/// Waiting bytes that start a flush at once.
const FLUSH_BYTES: usize = 256 * 1024;
/// Most chunk bytes in one script call (a larger chunk goes alone).
const CALL_BYTES: usize = 1024 * 1024;
/// Most chunks in one script call, so one call keeps Redis busy for a few ms at most.
const CALL_CHUNKS: usize = 2048;
/// How long a stopping flusher keeps trying to store what it holds.
const FINAL_FLUSH: Duration = Duration::from_secs(10);
/// Attempts remembered as finished, so a late `emit` (a handler's task that outlived it)
/// is dropped here instead of costing a refused call.
const FINISHED_KEPT: usize = 4096;

/// The chunks this worker's jobs emitted and Redis does not have yet. Cheap to share.
pub(crate) struct Chunks {
    state: Mutex<Buffers>,
    /// Wakes the flusher.
    wake: Notify,
    /// Wakes `settle` after each flush round.
    flushed: Notify,
    /// `--max-stream`: bytes kept per job (store and buffer alike).
    max_stream: u64,
}

impl Buffers {
    /// Remembers a finished attempt (a bounded number of them).
    fn finish(&mut self, id: JobId, attempt: u32) {
        if self.finished_set.insert((id.clone(), attempt)) {
            self.finished.push_back((id, attempt));
        }
        while self.finished.len() > FINISHED_KEPT {
            if let Some(old) = self.finished.pop_front() {
                self.finished_set.remove(&old);
            }
        }
    }
}

#[derive(Default)]
struct Buffers {
    jobs: HashMap<JobId, Output>,
    /// Chunk bytes waiting over every job.
    waiting: usize,
    /// A job finished: flush without gathering.
    urgent: bool,
    /// Rounds taken (which job goes first).
    turn: usize,
    /// Recently finished attempts (their output is closed), oldest first.
    finished: VecDeque<(JobId, u32)>,
    finished_set: HashSet<(JobId, u32)>,
    /// The flusher has stopped: nothing more will be stored.
    closed: bool,
}

/// One job's output on this worker.
struct Output {
    attempt: u32,
    next_seq: u64,
    pending: VecDeque<(u64, Vec<u8>)>,
    pending_bytes: u64,
    /// Chunks of it are in a call under way.
    sending: bool,
    /// The store refused its chunks (lease lost): later ones are dropped here.
    refused: bool,
}

impl Output {
    fn settled(&self) -> bool {
        self.refused || (self.pending.is_empty() && !self.sending)
    }
}

impl Chunks {
    pub fn new(max_stream: u64) -> Self {
        Chunks {
            state: Mutex::default(),
            wake: Notify::new(),
            flushed: Notify::new(),
            max_stream: max_stream.max(1),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Buffers> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Buffers one chunk of a running job's output (empty chunks are skipped).
    pub fn emit(&self, id: &JobId, attempt: u32, data: Vec<u8>) {
        if data.is_empty() {
            return;
        }
        let mut st = self.state();
        if st.closed || st.finished_set.contains(&(id.clone(), attempt)) {
            return;
        }
        let out = st.jobs.entry(id.clone()).or_insert_with(|| Output {
            attempt,
            next_seq: 0,
            pending: VecDeque::new(),
            pending_bytes: 0,
            sending: false,
            refused: false,
        });
        if out.attempt != attempt || out.refused {
            // a stale handle of an attempt this worker no longer runs
            return;
        }
        let len = data.len();
        out.pending.push_back((out.next_seq, data));
        out.next_seq += 1;
        out.pending_bytes += len as u64;
        let mut freed = 0;
        while out.pending_bytes > self.max_stream && out.pending.len() > 1 {
            if let Some((_, old)) = out.pending.pop_front() {
                out.pending_bytes -= old.len() as u64;
                freed += old.len();
                metrics::counter!("mlqd_stream_chunks_total", "queue" => id.queue().to_string(), "outcome" => "dropped").increment(1);
            }
        }
        st.waiting = (st.waiting + len).saturating_sub(freed);
        drop(st);
        self.wake.notify_one();
    }

    /// Returns once every chunk the jobs emitted is stored or refused, and forgets them
    /// (their attempts are over on this worker).
    pub async fn settle(&self, ids: &[JobId]) {
        {
            let mut st = self.state();
            if st.closed || !ids.iter().any(|id| st.jobs.contains_key(id)) {
                return;
            }
            st.urgent = true;
        }
        self.wake.notify_one();
        loop {
            let flushed = self.flushed.notified();
            tokio::pin!(flushed);
            flushed.as_mut().enable();
            {
                let mut st = self.state();
                let done = st.closed
                    || ids
                        .iter()
                        .all(|id| st.jobs.get(id).is_none_or(Output::settled));
                if done {
                    for id in ids {
                        if let Some(out) = st.jobs.remove(id) {
                            st.waiting = st.waiting.saturating_sub(out.pending_bytes as usize);
                            st.finish(id.clone(), out.attempt);
                        }
                    }
                    return;
                }
            }
            flushed.await;
        }
    }

    /// Takes the next round of chunks: up to [`CALL_BYTES`] and [`CALL_CHUNKS`] per queue.
    fn take(&self) -> BTreeMap<QueueName, Vec<(JobId, ChunkBatch)>> {
        let mut st = self.state();
        st.urgent = false;
        type Call = (usize, usize, Vec<(JobId, ChunkBatch)>);
        let mut per_queue: BTreeMap<QueueName, Call> = BTreeMap::new();
        let mut taken = 0;
        // a different job goes first each round, so a prolific one cannot starve the rest
        let mut ready: Vec<JobId> = st
            .jobs
            .iter()
            .filter(|(_, o)| !o.pending.is_empty() && !o.sending && !o.refused)
            .map(|(id, _)| id.clone())
            .collect();
        if !ready.is_empty() {
            let turn = st.turn % ready.len();
            ready.rotate_left(turn);
            st.turn = st.turn.wrapping_add(1);
        }
        for id in ready {
            let Some(out) = st.jobs.get_mut(&id) else {
                continue;
            };
            let (bytes, count, batches) = per_queue.entry(id.queue().clone()).or_default();
            let mut chunks = Vec::new();
            while let Some((_, data)) = out.pending.front() {
                if *count >= CALL_CHUNKS || (*bytes > 0 && *bytes + data.len() > CALL_BYTES) {
                    break;
                }
                let Some((seq, data)) = out.pending.pop_front() else {
                    break;
                };
                *bytes += data.len();
                *count += 1;
                taken += data.len();
                out.pending_bytes -= data.len() as u64;
                chunks.push((seq, data));
            }
            if !chunks.is_empty() {
                out.sending = true;
                batches.push((
                    id.clone(),
                    ChunkBatch {
                        ulid: id.ulid().to_string(),
                        attempt: out.attempt,
                        chunks,
                    },
                ));
            }
        }
        st.waiting = st.waiting.saturating_sub(taken);
        per_queue
            .into_iter()
            .filter(|(_, (_, _, b))| !b.is_empty())
            .map(|(q, (_, _, b))| (q, b))
            .collect()
    }

    /// Settles a round: stored jobs may send again, refused ones emit no more.
    fn done(&self, queue: &QueueName, results: Vec<(JobId, usize, bool)>) {
        let mut st = self.state();
        let mut dropped_bytes = 0;
        for (id, n, stored) in results {
            let outcome = if stored { "stored" } else { "refused" };
            metrics::counter!("mlqd_stream_chunks_total", "queue" => queue.to_string(), "outcome" => outcome).increment(n as u64);
            if let Some(out) = st.jobs.get_mut(&id) {
                out.sending = false;
                if !stored {
                    if !out.refused {
                        tracing::debug!(job = %id, "chunks refused: the lease is no longer held");
                    }
                    out.refused = true;
                    dropped_bytes += out.pending_bytes as usize;
                    out.pending.clear();
                    out.pending_bytes = 0;
                }
            }
        }
        st.waiting = st.waiting.saturating_sub(dropped_bytes);
    }

    fn waiting(&self) -> (usize, bool) {
        let st = self.state();
        (st.waiting, st.urgent)
    }

    fn has_pending(&self) -> bool {
        let st = self.state();
        st.jobs
            .values()
            .any(|o| !o.pending.is_empty() && !o.refused)
    }
}

pub(crate) struct Flusher {
    broker: Broker,
    worker: String,
    chunks: Arc<Chunks>,
    redis_down: bool,
}

impl Flusher {
    pub fn new(broker: Broker, worker: String, chunks: Arc<Chunks>) -> Self {
        Flusher {
            broker,
            worker,
            chunks,
            redis_down: false,
        }
    }

    /// Runs until `stop` fires, then stores what it holds (for a bounded time).
    pub async fn run(mut self, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.chunks.wake.notified() => {}
            }
            self.gather(&stop).await;
            while self.chunks.has_pending() {
                self.round().await;
            }
        }
        let last = async {
            while self.chunks.has_pending() {
                self.round().await;
            }
        };
        if tokio::time::timeout(FINAL_FLUSH, last).await.is_err() {
            tracing::warn!("could not store every chunk of output before exit");
        }
        self.chunks.state().closed = true;
        self.chunks.flushed.notify_waiters();
    }

    /// Lets chunks gather for [`GATHER`], unless enough wait or a finished job needs them.
    async fn gather(&self, stop: &CancellationToken) {
        let until = Instant::now() + GATHER;
        loop {
            let (waiting, urgent) = self.chunks.waiting();
            if urgent || waiting >= FLUSH_BYTES {
                return;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep_until(until) => return,
                _ = self.chunks.wake.notified() => {}
            }
        }
    }

    /// One round: one call per queue.
    async fn round(&mut self) {
        for (queue, batches) in self.chunks.take() {
            let results = self.send(&queue, batches).await;
            self.chunks.done(&queue, results);
        }
        self.chunks.flushed.notify_waiters();
    }

    /// Stores one queue's batches; returns (job, chunks, stored) for each.
    async fn send(
        &mut self,
        queue: &QueueName,
        batches: Vec<(JobId, ChunkBatch)>,
    ) -> Vec<(JobId, usize, bool)> {
        let (ids, batches): (Vec<JobId>, Vec<ChunkBatch>) = batches.into_iter().unzip();
        let counts: Vec<usize> = batches.iter().map(|b| b.chunks.len()).collect();
        let stored = match self.call(queue, &batches).await {
            Ok(flags) => flags,
            Err(e) if batches.len() == 1 => {
                self.refused(queue, &ids[0], &e);
                vec![false]
            }
            Err(e) => {
                tracing::warn!(queue = %queue, jobs = batches.len(), error = %e, "redis refused a batch of output chunks; storing them one job at a time");
                let mut flags = Vec::with_capacity(batches.len());
                for (id, batch) in ids.iter().zip(&batches) {
                    match self.call(queue, std::slice::from_ref(batch)).await {
                        Ok(f) => flags.push(f.first().copied().unwrap_or(false)),
                        Err(e) => {
                            self.refused(queue, id, &e);
                            flags.push(false);
                        }
                    }
                }
                flags
            }
        };
        ids.into_iter()
            .zip(counts)
            .zip(stored)
            .map(|((id, n), s)| (id, n, s))
            .collect()
    }

    fn refused(&self, _queue: &QueueName, id: &JobId, e: &Error) {
        tracing::error!(job = %id, error = %e, "redis refused the job's output chunks; they are dropped");
    }

    /// One call, repeated while Redis is unavailable.
    async fn call(&mut self, queue: &QueueName, batches: &[ChunkBatch]) -> Result<Vec<bool>> {
        let mut backoff = Doubling::redis();
        loop {
            match self
                .broker
                .append_chunks(queue, &self.worker, self.chunks.max_stream, batches)
                .await
            {
                Err(e) if e.is_transient() => {
                    if !self.redis_down {
                        tracing::warn!(error = %e, "cannot store output chunks; retrying until redis answers");
                        self.redis_down = true;
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                other => {
                    if self.redis_down && other.is_ok() {
                        tracing::info!("redis answers again; output chunks stored");
                        self.redis_down = false;
                    }
                    return other;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> JobId {
        JobId::generate(&QueueName::new("q").unwrap())
    }

    #[test]
    fn chunks_are_numbered_per_attempt_and_capped_while_they_wait() {
        let c = Chunks::new(10);
        let id = job();
        c.emit(&id, 1, b"abcd".to_vec());
        c.emit(&id, 1, Vec::new());
        c.emit(&id, 1, b"efgh".to_vec());
        c.emit(&id, 1, b"ijkl".to_vec());
        // 12 bytes over a cap of 10: the oldest went
        let round = c.take();
        let batch = &round[id.queue()][0].1;
        assert_eq!(batch.attempt, 1);
        let seqs: Vec<u64> = batch.chunks.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![1, 2]);
        // a stale attempt's handle adds nothing
        c.emit(&id, 2, b"zz".to_vec());
        assert!(!c.has_pending());
        c.done(id.queue(), vec![(id.clone(), 2, true)]);
        c.emit(&id, 1, b"m".to_vec());
        assert_eq!(c.take()[id.queue()][0].1.chunks, vec![(3, b"m".to_vec())]);
        // refused: nothing more is kept
        c.done(id.queue(), vec![(id.clone(), 1, false)]);
        c.emit(&id, 1, b"n".to_vec());
        assert!(!c.has_pending());
        assert_eq!(c.waiting().0, 0);
    }

    #[test]
    fn one_call_carries_a_bounded_amount() {
        let c = Chunks::new(64 * 1024 * 1024);
        let id = job();
        for _ in 0..5 {
            c.emit(&id, 1, vec![b'x'; CALL_BYTES / 2]);
        }
        let first = c.take();
        assert_eq!(first[id.queue()][0].1.chunks.len(), 2);
        // the job is under way: the next round waits for it
        assert!(c.take().is_empty());
        c.done(id.queue(), vec![(id.clone(), 2, true)]);
        assert_eq!(c.take()[id.queue()][0].1.chunks.len(), 2);
        // many small chunks: a bounded count per call
        let other = job();
        for _ in 0..CALL_CHUNKS + 10 {
            c.emit(&other, 1, b"t".to_vec());
        }
        let round = c.take();
        let counts: usize = round[other.queue()]
            .iter()
            .map(|(_, b)| b.chunks.len())
            .sum();
        assert!(counts <= CALL_CHUNKS, "{counts}");
    }

    #[tokio::test]
    async fn settle_returns_at_once_for_jobs_that_emitted_nothing() {
        let c = Chunks::new(100);
        tokio::time::timeout(Duration::from_secs(1), c.settle(&[job()]))
            .await
            .expect("nothing to wait for");
    }

    #[tokio::test]
    async fn a_settled_attempt_takes_no_more_chunks() {
        let c = Chunks::new(100);
        let id = job();
        c.emit(&id, 1, b"a".to_vec());
        let round = c.take();
        let n = round[id.queue()][0].1.chunks.len();
        c.done(id.queue(), vec![(id.clone(), n, true)]);
        tokio::time::timeout(Duration::from_secs(1), c.settle(std::slice::from_ref(&id)))
            .await
            .expect("stored");
        c.emit(&id, 1, b"late".to_vec());
        assert!(
            !c.has_pending(),
            "a late emit of a finished attempt is dropped"
        );
        // the next attempt (a retry on this worker) starts afresh
        c.emit(&id, 2, b"b".to_vec());
        assert_eq!(c.take()[id.queue()][0].1.chunks, vec![(0, b"b".to_vec())]);
    }
}
