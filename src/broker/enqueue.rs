//! Enqueue: jobs into one queue, all or none.

use time::OffsetDateTime;

use super::reply::{self, EnqueueStatus};
use super::scripts::ENQUEUE;
use super::{Broker, Enqueued, Header, NewJob};
use crate::error::{Error, Result};
use crate::job::{self, JobId, JobOptions, JobState, QueueName};

/// Payloads larger than this are kept out of the spec, so status reads stay small.
const INLINE_PAYLOAD: usize = 512;

/// A job's options as enqueue.lua reads them: '' for the common job (priority 0, due now,
/// no idempotency key, payload inline), else "<priority> <delay ms|-1> <run_at ms|-1>
/// <flags>" (flags: 1 it has an idempotency key, + 2 its payload is kept out of line).
fn options_arg(o: &JobOptions, external: bool) -> String {
    let common =
        o.priority == 0 && o.delay.is_none() && o.run_at.is_none() && o.idempotency_key.is_none();
    if common && !external {
        return String::new();
    }
    let delay_ms: i64 = o.delay.map(|d| d.as_millis() as i64).unwrap_or(-1);
    let run_at_ms: i64 = o
        .run_at
        .map(|t| ((t - OffsetDateTime::UNIX_EPOCH).whole_milliseconds()).max(0) as i64)
        .unwrap_or(-1);
    let flags = u8::from(o.idempotency_key.is_some()) + 2 * u8::from(external);
    format!("{} {delay_ms} {run_at_ms} {flags}", o.priority)
}

/// The header JSON after its opening brace: the script writes `{"t":<now>` (and a delayed
/// job's due time) in front of it.
fn header_tail(json: &str) -> String {
    match json.strip_prefix('{') {
        Some("}") => "}".to_string(),
        Some(rest) => format!(",{rest}"),
        None => "}".to_string(),
    }
}

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
        let idem = jobs
            .iter()
            .filter_map(|j| j.options.idempotency_key.as_deref());
        let with_keys = idem.clone().next().is_some();
        // one common job without a limit: enqueue.lua's short path takes the 4 keys it uses
        let short = jobs.len() == 1
            && max_waiting.is_none()
            && options_arg(
                &jobs[0].options,
                jobs[0].payload.bytes.len() > INLINE_PAYLOAD,
            )
            .is_empty();
        let mut call = if short {
            ENQUEUE.call_short(&k, 4)
        } else {
            ENQUEUE.call_with(&k, idem)
        };
        call.arg(max_waiting.unwrap_or(0))
            .arg(job::IDEMPOTENCY_TTL.as_millis() as u64);
        let now = OffsetDateTime::now_utc();
        for j in jobs {
            let header = Header::new(&j.options, &j.payload.content_type);
            let header = if header == Header::default() {
                String::from("{}")
            } else {
                header.to_json()
            };
            call.arg(j.id.ulid())
                .arg(options_arg(
                    &j.options,
                    j.payload.bytes.len() > INLINE_PAYLOAD,
                ))
                .arg(header_tail(&header))
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
            // without idempotency keys every job was created under the ulid it was sent with
            let (ulid, created) = if with_keys {
                let ulid = reply::string(reply::next(&mut it, "ulid")?)?;
                (Some(ulid), reply::flag(&reply::next(&mut it, "created")?)?)
            } else {
                (None, true)
            };
            let delayed = j.options.delay.is_some_and(|d| !d.is_zero())
                || j.options.run_at.is_some_and(|t| t > now);
            let state = if created && delayed {
                JobState::Scheduled
            } else {
                // a repeat's state is refined by the caller if it cares
                JobState::Pending
            };
            out.push(Enqueued {
                id: match ulid {
                    Some(u) => JobId::from_parts(queue, &u),
                    None => j.id.clone(),
                },
                created,
                state,
            });
        }
        self.register_queue(queue).await;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn common_jobs_send_no_options_and_others_all_four() {
        assert_eq!(options_arg(&JobOptions::default(), false), "");
        assert_eq!(options_arg(&JobOptions::default(), true), "0 -1 -1 2");
        let o = JobOptions {
            priority: -5,
            delay: Some(Duration::from_millis(1500)),
            idempotency_key: Some("k".into()),
            ..Default::default()
        };
        assert_eq!(options_arg(&o, true), "-5 1500 -1 3");
        let o = JobOptions {
            run_at: Some(OffsetDateTime::UNIX_EPOCH + Duration::from_secs(2)),
            ..Default::default()
        };
        assert_eq!(options_arg(&o, false), "0 -1 2000 0");
    }

    #[test]
    fn header_tails_follow_the_stamp() {
        assert_eq!(header_tail("{}"), "}");
        assert_eq!(header_tail(r#"{"pr":5}"#), r#","pr":5}"#);
    }
}
