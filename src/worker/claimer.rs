//! Claimer: takes jobs in batches as slots free up, runs them, and blocks on the queues'
//! wake-up lists when there is nothing to do, each pop with a claim pipelined behind it, so
//! a job posted to an idle worker arrives with the pop's answer (one round trip); the claim
//! behind a pop that timed out is the idle worker's periodic claim (once a second; sooner
//! only when a scheduled job falls due). While the circuit breaker is open it claims
//! nothing, then one trial job.
//!
//! Prefetch: while jobs run fast (a recent average under [`PREFETCH_BELOW`]) and none has
//! failed since the last success, a claim also takes into a local buffer what the slots
//! would finish within [`PREFETCH_HORIZON`] at that average (at least three rounds of
//! concurrency × batch size, at most [`PREFETCH_MAX`] jobs), so each Redis call carries
//! many jobs; a buffered job waits a few milliseconds at most. Buffered jobs are
//! held like running ones (`active` in Redis): their leases are renewed and a cancel or a
//! lost lease drops them; on shutdown, or when the breaker opens, they are handed back at
//! once. They are only *received* until the starter records that they reach a handler: a
//! worker that dies holding them spends neither their stall budget nor their attempt. The
//! buffer is first in, first out, so buffered jobs start in the order of their receipts
//! (per queue), which is what lets the starter record "started up to receipt R". Slow jobs
//! (model inference, training) are never prefetched, so a job never waits in one worker's
//! buffer behind a long one.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use super::batch::run_batch;
use super::breaker::Admit;
use super::handler::Job;
use super::starter::{Receipts, Starter, Starts};
use super::{InFlight, Outcome, Shared, StopReason, metrics};
use crate::backoff::{Doubling, pause};
use crate::broker::{ClaimedJob, Waker, Woken};

/// Longest idle block before claiming again (promotion and lease recovery ride on claims).
const IDLE_BLOCK: Duration = Duration::from_secs(1);
/// Jobs are prefetched only while their average run time stays below this.
pub(crate) const PREFETCH_BELOW: Duration = Duration::from_millis(5);
/// Rounds of jobs (concurrency × batch size) a fast worker may always hold beyond its free
/// slots.
const PREFETCH_ROUNDS: usize = 3;
/// A fast worker holds what its slots finish within this time, at the recent average.
const PREFETCH_HORIZON: Duration = Duration::from_millis(20);
/// How far the lease deadlines a lost claim set may lie outside the window its call spans
/// (the worker's estimate of the Redis clock is that good, with room to spare).
const RECALL_SLACK: Duration = Duration::from_secs(2);
/// The most jobs a worker prefetches by the horizon rule (each claim call carries them all,
/// and the per-call cost in Redis is what prefetching saves).
const PREFETCH_MAX: usize = 256;

pub(crate) struct Claimer {
    shared: Arc<Shared>,
    waker: Waker,
    next_queue: usize,
    /// Prefetched jobs, claimed (leased, in the in-flight map) but not started, each with
    /// its receipt (0: claimed as started), in the order they were claimed.
    buffer: VecDeque<(Job, u64)>,
    /// Buffered jobs on their way to the starter.
    starts: mpsc::UnboundedSender<Starts>,
    starter: Option<Starter>,
    /// Claim calls failed without telling whether Redis ran them: the earliest was sent and
    /// the latest failed at these times (Redis clock, estimated, ms). The jobs they may have
    /// taken are recalled once Redis answers (see [`Claimer::recall`]).
    unsure: Option<(i64, i64)>,
}

impl Claimer {
    pub fn new(shared: Arc<Shared>) -> Self {
        let waker = shared.broker.waker();
        let (starts, rx) = mpsc::unbounded_channel();
        let shared_for_starter = shared.clone();
        Claimer {
            shared,
            waker,
            next_queue: 0,
            buffer: VecDeque::new(),
            starts,
            starter: Some(Starter::new(shared_for_starter, rx)),
            unsure: None,
        }
    }

    pub async fn run(mut self, stop: CancellationToken) {
        if let Some(starter) = self.starter.take() {
            tokio::spawn(starter.run(stop.clone()));
        }
        self.claim_loop(stop).await;
        // never started: back to the queue without using a retry
        self.hand_back_buffer();
    }

    /// How many jobs to prefetch beyond the free slots: up to `PREFETCH_ROUNDS` rounds while
    /// jobs are fast.
    fn prefetch_room(&self) -> usize {
        let avg = self.shared.run_avg_us.load(Ordering::Relaxed);
        if avg < PREFETCH_BELOW.as_micros() as u64 && self.shared.breaker.clean() {
            let round = self.shared.config.concurrency * self.shared.config.batch_size;
            prefetch_target(round, avg).saturating_sub(self.buffer.len())
        } else {
            0
        }
    }

    /// Hands every buffered job back (shutdown, breaker open).
    fn hand_back_buffer(&mut self) {
        for (job, _) in self.buffer.drain(..) {
            self.shared.stop_job(&job.id, StopReason::Shutdown);
            let _ = self
                .shared
                .outcomes
                .send(Outcome::HandBack(job.id, job.attempt));
        }
    }

    /// Up to `n` buffered jobs that may still run, and the highest receipt per queue
    /// among them; the others (cancelled, lease lost) are settled on the way.
    fn take_buffered(&mut self, n: usize) -> (Vec<Job>, Receipts) {
        let mut out = Vec::new();
        let mut upto = Receipts::new();
        while out.len() < n {
            let Some((job, receipt)) = self.buffer.pop_front() else {
                break;
            };
            if job.is_cancelled() {
                let _ = self.shared.outcomes.send(Outcome::Drop(job.id));
            } else {
                if receipt > 0 {
                    // first in, first out: each receipt of a queue is above the last (the
                    // highest is kept all the same: recalled jobs join at the front)
                    let at = upto.entry(job.id.queue().clone()).or_insert(0);
                    *at = (*at).max(receipt);
                }
                out.push(job);
            }
        }
        (out, upto)
    }

    async fn claim_loop(&mut self, stop: CancellationToken) {
        let mut backoff = Doubling::redis();
        let mut redis_down = false;
        loop {
            if self.unsure.is_some() {
                self.recall().await;
            }
            let first = tokio::select! {
                _ = stop.cancelled() => return,
                p = self.shared.slots.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let admit = self.shared.breaker.admit();
            if let Admit::Wait(until) = admit {
                drop(first);
                self.hand_back_buffer();
                let breaker = &self.shared.breaker;
                let wait = async {
                    match until {
                        Some(t) => tokio::time::sleep_until(t).await,
                        None => breaker.changed(Duration::from_millis(500)).await,
                    }
                };
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = wait => {}
                }
                continue;
            }
            let mut permits = vec![first];
            if admit == Admit::All {
                while let Ok(p) = self.shared.slots.clone().try_acquire_owned() {
                    permits.push(p);
                }
            }
            let want = if admit == Admit::One {
                1
            } else {
                permits.len() * self.shared.config.batch_size
            };
            let (mut jobs, upto) = self.take_buffered(want);
            // jobs from the buffer were only received: they run once Redis knows they started
            let received = jobs.len();
            let (mut next_due, mut failed) = (None, None);
            if jobs.len() < want {
                let extra = if admit == Admit::All {
                    self.prefetch_room()
                } else {
                    0
                };
                let run_now = want - jobs.len();
                let (claimed, due, err) = self.claim(run_now + extra, run_now).await;
                let mut claimed = self.register(claimed);
                let run_now = claimed.len().min(run_now);
                self.buffer.extend(claimed.drain(run_now..));
                jobs.extend(claimed.into_iter().map(|(j, _)| j));
                (next_due, failed) = (due, err);
            }
            if admit == Admit::One && !jobs.is_empty() {
                self.shared.breaker.probing();
            }
            if let Some(e) = &failed
                && jobs.is_empty()
            {
                if !redis_down {
                    tracing::warn!(error = %e, "cannot claim jobs; retrying until redis answers");
                    redis_down = true;
                }
                drop(permits);
                if !pause(&stop, backoff.next_delay()).await {
                    return;
                }
                continue;
            }
            if redis_down {
                tracing::info!("redis answers again; claiming");
                redis_down = false;
                backoff.reset();
            }
            if jobs.is_empty() {
                // idle: block on the queues, the claim riding behind each pop
                let mut wait = next_due.map_or(IDLE_BLOCK, |d| d.min(IDLE_BLOCK));
                let claimed = loop {
                    if self.unsure.is_some() {
                        self.recall().await;
                        if !self.buffer.is_empty() {
                            // recalled jobs: the next round runs them
                            break Vec::new();
                        }
                    }
                    if admit == Admit::All {
                        // slots freed meanwhile join the wait's claim
                        while let Ok(p) = self.shared.slots.clone().try_acquire_owned() {
                            permits.push(p);
                        }
                    }
                    let max = if admit == Admit::One {
                        1
                    } else {
                        permits.len() * self.shared.config.batch_size
                    };
                    match self.wait_for_jobs(max, wait, &stop).await {
                        Ok(w) if !w.jobs.is_empty() => break w.jobs,
                        // the claims behind the pops were the periodic claim: wait again
                        Ok(w) if w.claimed_all && !stop.is_cancelled() => {
                            wait = w.next_due.map_or(IDLE_BLOCK, |d| d.min(IDLE_BLOCK));
                        }
                        Ok(_) => break Vec::new(),
                        Err(e) => {
                            tracing::debug!(error = %e, "wake-up wait failed");
                            if !pause(&stop, backoff.next_delay()).await {
                                return;
                            }
                            break Vec::new();
                        }
                    }
                };
                if claimed.is_empty() {
                    drop(permits);
                } else {
                    if admit == Admit::One {
                        self.shared.breaker.probing();
                    }
                    let mut claimed = self.register(claimed);
                    if stop.is_cancelled() {
                        // claimed as the worker stopped: back to the queue at once
                        self.buffer.extend(claimed);
                        return;
                    }
                    let run_now = claimed
                        .len()
                        .min(permits.len() * self.shared.config.batch_size);
                    // a claim that raced a release may bring more than the slots take
                    self.buffer.extend(claimed.drain(run_now..));
                    let claimed = claimed.into_iter().map(|(j, _)| j).collect();
                    self.dispatch(claimed, 0, Receipts::new(), permits);
                }
                if stop.is_cancelled() {
                    return;
                }
                continue;
            }
            // Dynamic batching: give a batch a moment to fill.
            let wait = self.shared.config.batch_wait;
            if want > 1 && jobs.len() < want && !wait.is_zero() {
                let until = tokio::time::Instant::now() + wait;
                while jobs.len() < want && tokio::time::Instant::now() < until {
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_millis(1).min(wait)) => {}
                    }
                    let n = want - jobs.len();
                    let (more, _, _) = self.claim(n, n).await;
                    jobs.extend(self.register(more).into_iter().map(|(j, _)| j));
                }
            }
            self.dispatch(jobs, received, upto, permits);
        }
    }

    /// The idle wait: blocks on the queues' wake-up lists, each pop carrying a claim of up
    /// to `max` jobs (one round trip from a post to its job here).
    async fn wait_for_jobs(
        &mut self,
        max: usize,
        wait: Duration,
        stop: &CancellationToken,
    ) -> crate::Result<Woken> {
        let config = &self.shared.config;
        let sent = self.shared.redis_now_ms();
        let woken = self
            .waker
            .wait(&config.queues, &config.id, max, config.lease, wait, stop)
            .await;
        let woken = match woken {
            Ok(w) => {
                if let Some(e) = &w.failed {
                    self.note_unsure(e, sent);
                }
                w
            }
            Err(e) => {
                self.note_unsure(&e, sent);
                return Err(e);
            }
        };
        if woken.woken {
            metrics::woken();
        }
        if !woken.jobs.is_empty() {
            metrics::blocking_claim();
        }
        Ok(woken)
    }

    /// Claims up to `want` jobs across the queues, starting with a different queue each
    /// round so none starves. The first `run_now` go straight to handlers; the rest are
    /// for the buffer.
    async fn claim(
        &mut self,
        want: usize,
        run_now: usize,
    ) -> (Vec<ClaimedJob>, Option<Duration>, Option<crate::Error>) {
        let shared = self.shared.clone();
        let queues = &shared.config.queues;
        let n = queues.len();
        let start = self.next_queue;
        self.next_queue = (self.next_queue + 1) % n;
        let mut jobs = Vec::new();
        let mut next_due: Option<Duration> = None;
        let mut failed = None;
        let sent = self.shared.redis_now_ms();
        for i in 0..n {
            if jobs.len() >= want {
                break;
            }
            let q = &queues[(start + i) % n];
            match self
                .shared
                .broker
                .claim_buffering(
                    q,
                    &self.shared.config.id,
                    want - jobs.len(),
                    run_now.saturating_sub(jobs.len()),
                    self.shared.config.lease,
                )
                .await
            {
                Ok(c) => {
                    if !c.jobs.is_empty() {
                        metrics::claim_call();
                    }
                    jobs.extend(c.jobs);
                    // held back by a limit: idle until it may let a job start (a finished
                    // job of the queue, or a post, wakes the wait sooner)
                    if c.held.is_some() {
                        metrics::limit_held(q);
                    }
                    for d in [c.next_due, c.held].into_iter().flatten() {
                        next_due = Some(next_due.map_or(d, |x| x.min(d)));
                    }
                }
                Err(e) => {
                    self.note_unsure(&e, sent);
                    failed = Some(e);
                }
            }
        }
        (jobs, next_due, failed)
    }

    /// Notes a claim call (sent at `sent`) that failed without telling whether Redis ran it.
    fn note_unsure(&mut self, e: &crate::Error, sent: i64) {
        if !e.maybe_applied() {
            return;
        }
        let now = self.shared.redis_now_ms();
        self.unsure = Some(match self.unsure {
            Some((from, to)) => (from.min(sent), to.max(now)),
            None => (sent, now),
        });
    }

    /// Takes back the jobs that claims whose answers were lost took: Redis ran them, and the
    /// jobs are leased to this worker, which never saw them. They join the front of the
    /// buffer (and start like received jobs), in the attempt the lost claim began, instead
    /// of waiting out their lease. While Redis does not answer, the recall waits for the
    /// next round.
    async fn recall(&mut self) {
        let Some((sent, failed)) = self.unsure else {
            return;
        };
        let config = &self.shared.config;
        let lease = config.lease.as_millis() as i64;
        let slack = RECALL_SLACK.as_millis() as i64;
        let (from, to) = (sent + lease - slack, failed + lease + slack);
        let mut taken = 0;
        for q in &config.queues {
            let found = self
                .shared
                .broker
                .recall(q, &config.id, from, to, config.lease)
                .await;
            let mut found = match found {
                Ok(found) => found,
                Err(e) => {
                    // the next round asks again
                    tracing::debug!(error = %e, queue = %q, "cannot recall lost claims yet");
                    return;
                }
            };
            {
                let known = self.shared.inflight();
                found.retain(|j| !known.contains_key(&j.id));
            }
            taken += found.len();
            // ahead of the buffer: a lost claim came before the claims whose jobs wait
            // there, so its receipts are the lower ones
            for job in self.register(found).into_iter().rev() {
                self.buffer.push_front(job);
            }
        }
        self.unsure = None;
        if taken > 0 {
            tracing::info!(
                jobs = taken,
                "took back jobs whose claim went through while its answer was lost"
            );
        }
    }

    /// Takes claimed jobs into the in-flight map (from here on their leases are renewed
    /// and a cancel reaches them) and prepares them to run. Each comes with its receipt.
    fn register(&self, jobs: Vec<ClaimedJob>) -> Vec<(Job, u64)> {
        let mut prepared = Vec::with_capacity(jobs.len());
        let mut map = self.shared.inflight();
        for j in jobs {
            let cancel = tokio_util::sync::CancellationToken::new();
            map.insert(
                j.id.clone(),
                InFlight {
                    attempt: j.attempt,
                    cancel: cancel.clone(),
                    reason: None,
                    callback: j.header.callback.clone(),
                },
            );
            let timeout = j
                .header
                .timeout_ms
                .map(Duration::from_millis)
                .or(self.shared.config.timeout);
            prepared.push((
                Job {
                    id: j.id,
                    attempt: j.attempt,
                    payload: j.payload,
                    header: j.header,
                    timeout,
                    cancel,
                    reporter: Some(self.shared.reporter.clone()),
                    output: Some(self.shared.chunks.clone()),
                },
                j.receipt,
            ));
        }
        // a cancel heard before this claim's answer stops its job now
        self.shared
            .take_early_cancels(&mut map, prepared.iter().map(|(j, _)| &j.id));
        prepared
    }

    /// Runs `jobs`, one batch per permit. The first `received` came from the buffer (their
    /// highest receipts per queue: `upto`): they start once Redis has recorded that they
    /// did (so a crash before that costs them no stall), the others at once.
    fn dispatch(
        &self,
        jobs: Vec<Job>,
        received: usize,
        upto: Receipts,
        mut permits: Vec<OwnedSemaphorePermit>,
    ) {
        // fresh jobs cancelled before they came (see `register`) never start
        let mut jobs = jobs;
        let from = received.min(jobs.len());
        if jobs[from..].iter().any(Job::is_cancelled) {
            let mut fresh = jobs.split_off(from);
            fresh.retain(|j| {
                if j.is_cancelled() {
                    let _ = self.shared.outcomes.send(Outcome::Drop(j.id.clone()));
                }
                !j.is_cancelled()
            });
            jobs.extend(fresh);
        }
        let now_ms = self.shared.redis_now_ms();
        for j in &jobs {
            metrics::in_flight(j.id.queue(), 1.0);
            if j.attempt == 1 && j.header.created_ms > 0 {
                // a delayed job waits from its due time, not from its posting
                let since = j.header.created_ms.max(j.header.due_ms.unwrap_or(0));
                let waited = (now_ms - since).max(0) as u64;
                metrics::queue_wait(j.id.queue(), Duration::from_millis(waited));
            }
        }
        let size = self.shared.config.batch_size;
        let mut rest = jobs;
        let fresh = rest.split_off(received.min(rest.len()));
        let mut later = Vec::new();
        for (mut list, started) in [(rest, false), (fresh, true)] {
            while !list.is_empty() {
                let tail = list.split_off(list.len().min(size));
                let batch = std::mem::replace(&mut list, tail);
                let permit = permits.pop();
                if started {
                    tokio::spawn(run_batch(self.shared.clone(), batch, permit));
                } else {
                    later.push((batch, permit));
                }
            }
        }
        if !later.is_empty() {
            // the starter runs them once their start is recorded; it ends after the
            // claimer, so nothing sent here is left behind
            let _ = self.starts.send((later, upto));
        }
    }
}

/// Jobs a fast worker keeps buffered: the rounds its slots finish within the horizon at
/// `avg_us` per handler call, at least [`PREFETCH_ROUNDS`], at most [`PREFETCH_MAX`] jobs
/// (unless the minimum rounds are more).
fn prefetch_target(round: usize, avg_us: u64) -> usize {
    let rounds = (PREFETCH_HORIZON.as_micros() as u64 / avg_us.max(1)) as usize;
    let min = PREFETCH_ROUNDS.saturating_mul(round);
    round
        .saturating_mul(rounds)
        .clamp(min, PREFETCH_MAX.max(min))
}

#[cfg(test)]
mod tests {
    use super::prefetch_target;

    #[test]
    fn prefetch_covers_the_horizon_within_bounds() {
        // 8 slots of 1 ms jobs: 20 rounds within 20 ms
        assert_eq!(prefetch_target(8, 1_000), 160);
        // very fast jobs: capped
        assert_eq!(prefetch_target(8, 3), 256);
        // near the prefetch limit: never fewer than three rounds
        assert_eq!(prefetch_target(8, 4_900), 32);
        assert_eq!(prefetch_target(8, 10_000), 24);
        // rounds bigger than the cap still get their three rounds
        assert_eq!(prefetch_target(128, 1), 384);
    }
}
