//! Outcomes of attempts, each fenced by the lease: success, failure, hand-back.

use super::reply::FenceCodes;
use super::scripts::{COMPLETE, FAIL, HANDBACK};
use super::{Backoff, Broker, Failure, Fence, Success, truncate};
use crate::error::Result;
use crate::job::{self, QueueName};

impl Broker {
    /// Records successes (fenced by lease). One fence per item, in order.
    pub async fn complete(
        &self,
        queue: &QueueName,
        worker: &str,
        items: &[Success],
    ) -> Result<Vec<Fence>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        // the done record keeps the content type on one line (workers check results first)
        for s in items {
            job::check_content_type(&s.content_type)?;
        }
        let k = self.keys.queue(queue);
        let mut call = COMPLETE.call_with(&k, items.iter().map(|s| s.ulid.as_str()));
        call.arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(job::DEFAULT_RESULT_TTL.as_millis() as u64)
            .arg(self.config.recent_cap);
        for s in items {
            call.arg(s.ulid.as_str())
                .arg(s.attempt)
                .arg(s.result.as_slice())
                .arg(s.content_type.as_str());
        }
        FenceCodes::Complete.parse(self.conn.invoke(call.invocation()).await?)
    }

    /// Records failed attempts (fenced by lease): retry with backoff, or dead.
    pub async fn fail(
        &self,
        queue: &QueueName,
        worker: &str,
        items: &[Failure],
        backoff: Backoff,
    ) -> Result<Vec<Fence>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut call = FAIL.call(&k);
        call.arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(backoff.base.as_millis() as u64)
            .arg(backoff.cap.as_millis() as u64)
            .arg(self.config.dead_cap);
        for f in items {
            let jitter: f64 = 0.75 + rand::random::<f64>() * 0.5;
            call.arg(f.ulid.as_str())
                .arg(f.attempt)
                .arg(truncate(&f.error, 4096))
                .arg(if f.retryable { 1 } else { 0 })
                .arg(format!("{jitter:.4}"));
        }
        FenceCodes::Fail.parse(self.conn.invoke(call.invocation()).await?)
    }

    /// Hands unfinished jobs back to pending without using a retry (worker drain).
    pub async fn handback(
        &self,
        queue: &QueueName,
        worker: &str,
        jobs: &[(String, u32)],
    ) -> Result<Vec<Fence>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut call = HANDBACK.call(&k);
        call.arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel());
        for (ulid, attempt) in jobs {
            call.arg(ulid.as_str()).arg(*attempt);
        }
        FenceCodes::Handback.parse(self.conn.invoke(call.invocation()).await?)
    }
}
