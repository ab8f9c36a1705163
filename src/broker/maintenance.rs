//! Maintenance the reaper does: recover lost leases, promote due jobs, take callback
//! notices, and the invariant sweep.

use std::time::Duration;

use super::reply::{self, RecoveredTo};
use super::scripts::{PROMOTE, RECOVER, SWEEP, SWEEP_SCAN};
use super::{Broker, Flagged, Recovered, ScanTarget};

/// One job for [`Broker::sweep`] to re-check, and what the scan saw of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepCheck {
    pub ulid: String,
    pub seen: Seen,
}

/// What the sweep's scan saw of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// In no ZSET, and not in the pending list (walked after the scan): lost, unless it
    /// moved meanwhile, which its meta's fingerprint (from the scan) tells.
    Nowhere(String),
    /// Flagged by a scan of a ZSET, of the specs or of the meta.
    Flagged,
    /// In the pending list at this (negative) index, and in a ZSET too.
    AlsoPending(i64),
}
use crate::error::Result;
use crate::job::{JobId, QueueName};

impl Broker {
    /// Requeues (or buries) jobs with expired leases and the active jobs of `gone`
    /// workers.
    pub async fn recover(
        &self,
        queue: &QueueName,
        gone_workers: &[String],
        limit: usize,
    ) -> Result<Recovered> {
        let k = self.keys.queue(queue);
        let mut call = RECOVER.call(&k);
        call.arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(limit)
            .arg(self.config.dead_cap);
        for w in gone_workers {
            call.arg(w.as_str());
        }
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?
            .into_iter()
            .skip(2);
        let mut out = Recovered::default();
        while let Some(ulid) = it.next() {
            let id = JobId::from_parts(queue, &reply::string(ulid)?);
            match RecoveredTo::parse(reply::next(&mut it, "state")?)? {
                RecoveredTo::Dead => out.buried.push(id),
                RecoveredTo::Pending => out.requeued.push(id),
            }
        }
        Ok(out)
    }

    /// Takes up to `n` jobs whose callback no worker will send (cancelled before they ran,
    /// buried after losing their worker), oldest first.
    pub async fn take_notices(&self, queue: &QueueName, n: usize) -> Result<Vec<JobId>> {
        let mut cmd = redis::cmd("LPOP");
        cmd.arg(self.keys.queue(queue).notify()).arg(n.max(1));
        let taken: Option<Vec<String>> = self.conn.query(&cmd).await?;
        Ok(taken
            .unwrap_or_default()
            .iter()
            .map(|u| JobId::from_parts(queue, u))
            .collect())
    }

    /// Moves due scheduled/retry jobs to pending. Returns (moved, time to the next due).
    pub async fn promote(
        &self,
        queue: &QueueName,
        limit: usize,
    ) -> Result<(u64, Option<Duration>)> {
        let k = self.keys.queue(queue);
        let mut call = PROMOTE.call(&k);
        call.arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(limit);
        let items = reply::array(self.conn.invoke(call.invocation()).await?)?;
        let moved = items.first().map(reply::int).transpose()?.unwrap_or(0);
        let next = items.get(1).map(reply::int).transpose()?.unwrap_or(-1);
        Ok((
            moved as u64,
            (next >= 0).then(|| Duration::from_millis(next as u64)),
        ))
    }

    /// One step of the sweep's scan: at most `count` entries, fewer once the step has
    /// run for `time` in Redis. Returns the next cursor (None when done) and the flagged
    /// ulids.
    pub async fn sweep_scan(
        &self,
        queue: &QueueName,
        target: ScanTarget,
        cursor: &str,
        count: usize,
        time: Duration,
    ) -> Result<(Option<String>, Vec<Flagged>)> {
        let (mode, zset) = match target {
            ScanTarget::Specs => ("specs", 0),
            ScanTarget::Meta => ("meta", 0),
            ScanTarget::Pending => ("list", 0),
            ScanTarget::Prio => ("zset", 2),
            ScanTarget::Scheduled => ("zset", 3),
            ScanTarget::Retry => ("zset", 4),
            ScanTarget::Active => ("zset", 5),
            ScanTarget::Dead => ("zset", 6),
        };
        let k = self.keys.queue(queue);
        let mut call = SWEEP_SCAN.call(&k);
        call.arg(mode)
            .arg(cursor)
            .arg(count.max(1))
            .arg(zset)
            .arg(time.as_micros().max(1) as u64);
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?.into_iter();
        let next = reply::string(reply::next(&mut it, "cursor")?)?;
        let mut flagged = Vec::new();
        while let Some(ulid) = it.next() {
            flagged.push(Flagged {
                ulid: reply::string(ulid)?,
                note: reply::string(reply::next(&mut it, "note")?)?,
            });
        }
        let done = next == "0" || next == "-1";
        Ok(((!done).then_some(next), flagged))
    }

    /// Re-checks the given jobs (each with what the scan saw, see [`SweepCheck`]) and
    /// repairs any that break an invariant. Returns the repairs made.
    pub async fn sweep(&self, queue: &QueueName, checks: &[SweepCheck]) -> Result<Vec<Flagged>> {
        if checks.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut call = SWEEP.call(&k);
        for c in checks {
            let (kind, extra) = match &c.seen {
                Seen::Nowhere(fingerprint) => ("none", fingerprint.clone()),
                Seen::Flagged => ("check", String::new()),
                Seen::AlsoPending(index) => ("listdup", index.to_string()),
            };
            call.arg(c.ulid.as_str()).arg(kind).arg(extra);
        }
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?
            .into_iter()
            .skip(1);
        let mut out = Vec::new();
        while let Some(ulid) = it.next() {
            out.push(Flagged {
                ulid: reply::string(ulid)?,
                note: reply::string(reply::next(&mut it, "repair")?)?,
            });
        }
        Ok(out)
    }
}
