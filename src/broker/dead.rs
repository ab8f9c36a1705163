//! Dead letters: list, requeue with a fresh retry budget, purge, trim by age.

use std::time::Duration;

use super::codec::{self, RawStatus};
use super::scripts::{DLQ_LIST, DLQ_PURGE, DLQ_REQUEUE};
use super::{Broker, QueueKeys, Selection, reply};
use crate::error::Result;
use crate::job::{JobId, JobState, JobStatus, QueueName};

/// Dead jobs requeued or purged per script call when the selection is "all": a call
/// makes a handful of Redis calls per job, so a page stays near a millisecond.
const CHUNK: usize = 200;

impl Broker {
    /// The newest dead jobs of a queue (and how many there are).
    pub async fn dlq_list(
        &self,
        queue: &QueueName,
        offset: usize,
        limit: usize,
    ) -> Result<(u64, Vec<JobStatus>)> {
        let k = self.keys.queue(queue);
        let mut call = DLQ_LIST.call(&k);
        // Lua writes numbers past 1e14 as 1e+17, which ZREVRANGE refuses; no set is that big
        let bound = 1usize << 40;
        call.arg(offset.min(bound)).arg(limit.min(bound));
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?.into_iter();
        let total = reply::int(&reply::next(&mut it, "total")?)? as u64;
        let mut out = Vec::new();
        while let Some(ulid) = it.next() {
            let ulid = reply::string(ulid)?;
            let header = reply::bytes(reply::next(&mut it, "header")?)?;
            let meta = reply::bytes(reply::next(&mut it, "meta")?)?;
            out.push(codec::status(
                &JobId::from_parts(queue, &ulid),
                RawStatus {
                    state: JobState::Dead,
                    header: &header,
                    meta: Some(&meta),
                    due_ms: None,
                    result_content_type: None,
                },
            )?);
        }
        Ok((total, out))
    }

    /// Requeues dead jobs with a fresh retry budget. Returns their ids. "All" is the jobs
    /// dead when the call starts: one requeued here that dies again meanwhile stays dead.
    pub async fn dlq_requeue(&self, queue: &QueueName, which: &Selection) -> Result<Vec<JobId>> {
        let k = self.keys.queue(queue);
        let cutoff = self.dead_cutoff(&k, which).await?;
        let mut all = Vec::new();
        loop {
            let mut call = DLQ_REQUEUE.call(&k);
            call.arg(queue.as_str()).arg(self.keys.events_channel());
            match which {
                Selection::All => {
                    call.arg("all").arg(CHUNK).arg(cutoff);
                }
                Selection::Ids(ids) => {
                    call.arg("ids").arg(0).arg("");
                    for id in ids {
                        call.arg(id.as_str());
                    }
                }
            }
            let back: Vec<String> = reply::array(self.conn.invoke(call.invocation()).await?)?
                .into_iter()
                .map(reply::string)
                .collect::<Result<_>>()?;
            let n = back.len();
            all.extend(back.iter().map(|u| JobId::from_parts(queue, u)));
            if matches!(which, Selection::Ids(_)) || n == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// Deletes dead jobs for good. Returns how many. "All" is the jobs dead when the call
    /// starts, a page per script call: jobs that die meanwhile stay (a purge ends however
    /// fast jobs die).
    pub async fn dlq_purge(&self, queue: &QueueName, which: &Selection) -> Result<u64> {
        let k = self.keys.queue(queue);
        let cutoff = self.dead_cutoff(&k, which).await?;
        let mut total = 0;
        loop {
            let mut call = DLQ_PURGE.call(&k);
            match which {
                Selection::All => {
                    call.arg("all").arg(CHUNK).arg(cutoff);
                }
                Selection::Ids(ids) => {
                    call.arg("ids");
                    for id in ids {
                        call.arg(id.as_str());
                    }
                }
            }
            let n = reply::int(&self.conn.invoke(call.invocation()).await?)? as u64;
            total += n;
            if matches!(which, Selection::Ids(_)) || n == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// Where "all" of the dead set ends: Redis's clock now (ms; the dead set's scores are
    /// when each job died). 0 for a selection of ids.
    async fn dead_cutoff(&self, k: &QueueKeys, which: &Selection) -> Result<i64> {
        Ok(match which {
            Selection::All => {
                let t: Vec<i64> = self.conn.query_near(&k.dead(), &redis::cmd("TIME")).await?;
                t.first().copied().unwrap_or(0) * 1000 + t.get(1).copied().unwrap_or(0) / 1000
            }
            Selection::Ids(_) => 0,
        })
    }

    /// Deletes dead jobs that died more than `age` ago (at most `limit`).
    pub async fn trim_dead(&self, queue: &QueueName, age: Duration, limit: usize) -> Result<u64> {
        let k = self.keys.queue(queue);
        let mut call = DLQ_PURGE.call(&k);
        call.arg("before").arg(age.as_millis() as u64).arg(limit);
        Ok(reply::int(&self.conn.invoke(call.invocation()).await?)? as u64)
    }
}
