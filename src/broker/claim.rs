//! The worker's side of a lease: claim jobs, renew their leases, report progress.

use std::time::Duration;

use redis::Value;

use super::scripts::{CLAIM, Call, PROGRESS, RENEW};
use super::{Broker, Claim, ClaimedJob, QueueKeys, codec, reply, truncate};
use crate::error::Result;
use crate::job::{JobId, QueueName};

/// Due jobs and expired leases handled per claim call.
const HOUSEKEEPING_LIMIT: usize = 100;
/// A busy queue's claims promote due jobs and recover expired leases at most this often
/// (a claim that finds nothing to hand out always does).
const HOUSEKEEPING_PERIOD: Duration = Duration::from_millis(100);

impl Broker {
    /// Takes up to `max` jobs under a lease of `lease`, promoting due jobs and recovering
    /// expired leases on the way (when nothing waits, else at most every 100 ms per queue).
    /// The queue's limits may hand out fewer, or none (`held` then says when to ask again).
    /// `next_due` is only known when no job was handed out. Every job handed out counts
    /// as started (see [`Broker::claim_buffering`]).
    pub async fn claim(
        &self,
        queue: &QueueName,
        worker: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Claim> {
        self.claim_buffering(queue, worker, max, max, lease).await
    }

    /// [`Broker::claim`], where only the first `run_now` jobs handed out go straight to a
    /// handler; the others are only received, for the worker's buffer, each with a receipt
    /// ([`ClaimedJob::receipt`]): until [`Broker::mark_started`] says they reached a
    /// handler, a lost lease costs them no stall and no attempt.
    pub async fn claim_buffering(
        &self,
        queue: &QueueName,
        worker: &str,
        max: usize,
        run_now: usize,
        lease: Duration,
    ) -> Result<Claim> {
        let k = self.keys.queue(queue);
        let mut call = self.claim_call(&k, queue, worker, max, run_now, lease);
        parse_claim(queue, self.conn.invoke(call.invocation()).await?)
    }

    /// The claim script's call.
    pub(super) fn claim_call<'k>(
        &self,
        k: &'k QueueKeys,
        queue: &QueueName,
        worker: &str,
        max: usize,
        run_now: usize,
        lease: Duration,
    ) -> Call<'k, QueueKeys> {
        let mut call = CLAIM.call(k);
        call.arg(worker)
            .arg(max)
            .arg(lease.as_millis() as u64)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(HOUSEKEEPING_LIMIT)
            .arg(self.config.dead_cap)
            .arg(HOUSEKEEPING_PERIOD.as_millis() as u64)
            .arg(run_now.min(max));
        call
    }

    /// Records that the jobs this worker received from `queue` (claimed into its buffer)
    /// reach a handler now, up to the one with receipt `upto`: from here on a lost lease of
    /// any of them counts as a stall. One command whatever the number of jobs: a worker
    /// starts its buffered jobs of a queue in the order of their receipts, so recording
    /// the last one covers those before it. The record only ever grows (`ZADD GT`), so a
    /// late or repeated call never makes a started job look unstarted.
    pub async fn mark_started(&self, queue: &QueueName, worker: &str, upto: u64) -> Result<()> {
        if upto == 0 {
            return Ok(());
        }
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(self.keys.queue(queue).starts())
            .arg("GT")
            .arg(upto)
            .arg(worker);
        let _: i64 = self.conn.query(&cmd).await?;
        Ok(())
    }

    /// Forgets a worker's start record on `queue` (it stops for good): any job of it still
    /// held then counts as started should its lease be lost, the safe way.
    pub async fn forget_starts(&self, queue: &QueueName, worker: &str) -> Result<()> {
        let mut cmd = redis::cmd("ZREM");
        cmd.arg(self.keys.queue(queue).starts()).arg(worker);
        let _: i64 = self.conn.query(&cmd).await?;
        Ok(())
    }

    /// Extends the leases of a worker's in-flight jobs; returns the ulids it lost.
    pub async fn renew(
        &self,
        queue: &QueueName,
        worker: &str,
        lease: Duration,
        jobs: &[(String, u32)],
    ) -> Result<Vec<String>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut call = RENEW.call(&k);
        call.arg(worker).arg(lease.as_millis() as u64);
        for (ulid, attempt) in jobs {
            call.arg(ulid.as_str()).arg(*attempt);
        }
        reply::array(self.conn.invoke(call.invocation()).await?)?
            .into_iter()
            .map(reply::string)
            .collect()
    }

    /// Stores progress of a running job (fenced). False when the lease is gone.
    pub async fn progress(
        &self,
        id: &JobId,
        attempt: u32,
        worker: &str,
        percent: u8,
        message: Option<&str>,
    ) -> Result<bool> {
        let k = self.keys.queue(id.queue());
        let mut call = PROGRESS.call(&k);
        call.arg(id.ulid())
            .arg(attempt)
            .arg(worker)
            .arg(percent.min(100))
            .arg(truncate(message.unwrap_or(""), 1024))
            .arg(id.queue().as_str())
            .arg(self.keys.events_channel());
        reply::flag(&self.conn.invoke(call.invocation()).await?)
    }
}

/// Reads a claim script's reply.
pub(super) fn parse_claim(queue: &QueueName, reply: Value) -> Result<Claim> {
    let mut it = reply::array(reply)?.into_iter();
    let next_due = reply::int(&reply::next(&mut it, "next due")?)?;
    let paused = reply::flag(&reply::next(&mut it, "paused")?)?;
    let held = reply::int(&reply::next(&mut it, "held")?)?;
    let mut jobs = Vec::new();
    while let Some(ulid) = it.next() {
        let ulid = reply::string(ulid)?;
        let attempt = reply::int(&reply::next(&mut it, "attempt")?)? as u32;
        let spec = reply::bytes(reply::next(&mut it, "spec")?)?;
        let external = reply::opt_bytes(reply::next(&mut it, "payload")?)?;
        let receipt = reply::int(&reply::next(&mut it, "receipt")?)?;
        let (header, payload) = codec::decode_spec(&spec, external)?;
        jobs.push(ClaimedJob {
            id: JobId::from_parts(queue, &ulid),
            attempt,
            header,
            payload,
            receipt: receipt.max(0) as u64,
        });
    }
    Ok(Claim {
        jobs,
        next_due: (next_due >= 0).then(|| Duration::from_millis(next_due as u64)),
        paused,
        held: (held >= 0).then(|| Duration::from_millis(held as u64)),
    })
}
