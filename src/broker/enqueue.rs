//! Enqueue: jobs into one queue, all or none.

use time::OffsetDateTime;

use super::reply::{self, EnqueueStatus};
use super::scripts::ENQUEUE;
use super::{Broker, Enqueued, Header, NewJob};
use crate::error::{Error, Result};
use crate::job::{self, JobId, JobState, QueueName};

/// Payloads larger than this are kept out of the spec, so status reads stay small.
const INLINE_PAYLOAD: usize = 512;

impl Broker {
    /// Adds jobs to one queue in one atomic step (all or none). `max_waiting` bounds
    /// pending + scheduled + retry.
    pub async fn enqueue(
        &self,
        queue: &QueueName,
        jobs: &[NewJob],
        max_waiting: Option<u64>,
    ) -> Result<Vec<Enqueued>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut call = ENQUEUE.call(&k);
        for j in jobs {
            if let Some(key) = &j.options.idempotency_key {
                call.tail(key);
            }
        }
        call.arg(max_waiting.unwrap_or(0))
            .arg(jobs.len())
            .arg(INLINE_PAYLOAD);
        let now = OffsetDateTime::now_utc();
        for j in jobs {
            let o = &j.options;
            let delay_ms: i64 = o.delay.map(|d| d.as_millis() as i64).unwrap_or(-1);
            let run_at_ms: i64 = o
                .run_at
                .map(|t| ((t - OffsetDateTime::UNIX_EPOCH).whole_milliseconds()).max(0) as i64)
                .unwrap_or(-1);
            let idem_ttl: u64 = if o.idempotency_key.is_some() {
                job::IDEMPOTENCY_TTL.as_millis() as u64
            } else {
                0
            };
            let header = Header::new(o, &j.payload.content_type).to_json();
            call.arg(j.id.ulid())
                .arg(o.priority)
                .arg(delay_ms)
                .arg(run_at_ms)
                .arg(idem_ttl)
                .arg(header)
                .arg(j.payload.bytes.as_slice());
        }
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?.into_iter();
        if EnqueueStatus::parse(reply::next(&mut it, "status")?)? == EnqueueStatus::Full {
            return Err(Error::QueueFull {
                queue: queue.to_string(),
                limit: max_waiting.unwrap_or(0),
            });
        }
        let mut out = Vec::with_capacity(jobs.len());
        for j in jobs {
            let ulid = reply::string(reply::next(&mut it, "ulid")?)?;
            let created = reply::flag(&reply::next(&mut it, "created")?)?;
            let delayed = j.options.delay.is_some_and(|d| !d.is_zero())
                || j.options.run_at.is_some_and(|t| t > now);
            let state = if created && delayed {
                JobState::Scheduled
            } else {
                // a repeat's state is refined by the caller if it cares
                JobState::Pending
            };
            out.push(Enqueued {
                id: JobId::from_parts(queue, &ulid),
                created,
                state,
            });
        }
        self.register_queue(queue).await;
        Ok(out)
    }
}
