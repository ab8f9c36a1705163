//! Jobs' output streams: append a worker's chunks (fenced), read them after a position
//! together with the job's status, and the janitor's check that makes them expire with
//! their job.

use std::time::Duration;

use super::jobs::status_head;
use super::scripts::{STREAM_APPEND, STREAM_READ, STREAM_TIDY};
use super::{Broker, reply};
use crate::error::{Error, Result};
use crate::job::{JobId, JobStatus, QueueName};
use crate::stream::ChunkId;

/// How often the janitor looks at the stream of a job that still lives.
pub const STREAM_CHECK: Duration = Duration::from_secs(60);
/// Most chunks one read returns.
const READ_CHUNKS: usize = 64;
/// One read stops after the chunk that brings its bytes to this.
const READ_BYTES: usize = 1024 * 1024;

/// One job's chunks to append, in emit order.
#[derive(Clone, Debug)]
pub struct ChunkBatch {
    pub ulid: String,
    /// The attempt (lease) the chunks belong to.
    pub attempt: u32,
    /// (seq, bytes); seq counts from 0 within the attempt.
    pub chunks: Vec<(u64, Vec<u8>)>,
}

/// A chunk as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChunk {
    pub id: ChunkId,
    pub data: Vec<u8>,
    /// For the first chunk an attempt stored: the chunk it follows in the job's output
    /// (`Some(None)`: it is the job's first). `None`: it follows `seq - 1` of its attempt.
    pub follows: Option<Option<ChunkId>>,
}

impl StoredChunk {
    /// Whether this chunk comes right after `prev` in the job's output (None: the start),
    /// with nothing trimmed or dropped between them.
    pub fn continues(&self, prev: Option<ChunkId>) -> bool {
        match self.follows {
            Some(p) => self.id.seq == 0 && p == prev,
            None => {
                self.id.seq > 0
                    && prev
                        == Some(ChunkId {
                            attempt: self.id.attempt,
                            seq: self.id.seq - 1,
                        })
            }
        }
    }
}

/// A job's status and the chunks after a position, read at one instant.
#[derive(Clone, Debug)]
pub struct StreamPage {
    pub status: JobStatus,
    pub chunks: Vec<StoredChunk>,
    /// The read stopped at its limits: more chunks may follow at once.
    pub more: bool,
}

/// What the janitor's check did with a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamCheck {
    /// Not due (another leader checked it meanwhile).
    Early,
    /// The job lives: checked again later.
    Live,
    /// The job is done: the stream expires with its record.
    Expiring,
    /// The job is gone: so is the stream.
    Deleted,
}

impl Broker {
    /// Appends chunks of running jobs of one queue, fenced by each job's lease, keeping
    /// each stream within `cap` bytes. One flag per job: false when its lease is lost
    /// (nothing of it stored).
    pub async fn append_chunks(
        &self,
        queue: &QueueName,
        worker: &str,
        cap: u64,
        jobs: &[ChunkBatch],
    ) -> Result<Vec<bool>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut call = STREAM_APPEND.call(&k);
        call.arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(cap)
            .arg(STREAM_CHECK.as_millis() as u64);
        for job in jobs {
            call.tail(&job.ulid)
                .arg(job.ulid.as_str())
                .arg(job.attempt)
                .arg(job.chunks.len());
            for (seq, data) in &job.chunks {
                call.arg(*seq).arg(data.as_slice());
            }
        }
        let codes = reply::array(self.conn.invoke(call.invocation()).await?)?;
        if codes.len() != jobs.len() {
            return Err(Error::Protocol(format!(
                "stream_append answered {} codes for {} jobs",
                codes.len(),
                jobs.len()
            )));
        }
        codes.iter().map(reply::flag).collect()
    }

    /// The job's status and the next chunks after `after` (None: from the first retained
    /// one), a page at a time, or None for an unknown job.
    pub async fn read_stream(
        &self,
        id: &JobId,
        after: Option<ChunkId>,
    ) -> Result<Option<StreamPage>> {
        let k = self.keys.queue(id.queue()).job(id.ulid());
        let mut call = STREAM_READ.call(&k);
        call.arg(id.ulid())
            .arg(after.map_or_else(|| "-".to_string(), |a| a.to_string()))
            .arg(READ_CHUNKS)
            .arg(READ_BYTES);
        let items = reply::array(self.conn.invoke(call.invocation()).await?)?;
        if items.is_empty() {
            return Ok(None);
        }
        let mut it = items.into_iter();
        let (status, _) = status_head(id, &mut it)?;
        let mut chunks = Vec::new();
        while let Some(cid) = it.next() {
            let cid: ChunkId = reply::string(cid)?.parse()?;
            let data = reply::bytes(reply::next(&mut it, "chunk")?)?;
            let follows = match reply::opt_string(reply::next(&mut it, "follows")?)? {
                None => None,
                Some(p) if p.is_empty() => Some(None),
                Some(p) => Some(Some(p.parse()?)),
            };
            chunks.push(StoredChunk {
                id: cid,
                data,
                follows,
            });
        }
        let bytes: usize = chunks.iter().map(|c| c.data.len()).sum();
        let more = chunks.len() >= READ_CHUNKS || bytes >= READ_BYTES;
        Ok(Some(StreamPage {
            status,
            chunks,
            more,
        }))
    }

    /// Ulids of a queue's jobs whose stream the janitor should check now (up to `limit`).
    pub async fn due_streams(&self, queue: &QueueName, limit: usize) -> Result<Vec<String>> {
        let now = self.time_ms().await?;
        let mut cmd = redis::cmd("ZRANGEBYSCORE");
        cmd.arg(self.keys.queue(queue).streams())
            .arg("-inf")
            .arg(now)
            .arg("LIMIT")
            .arg(0)
            .arg(limit.max(1));
        self.conn.query(&cmd).await
    }

    /// The janitor's check of one job's stream (see `stream_tidy.lua`).
    pub async fn check_stream(&self, id: &JobId) -> Result<StreamCheck> {
        let k = self.keys.queue(id.queue()).job(id.ulid());
        let mut call = STREAM_TIDY.call(&k);
        call.arg(id.ulid()).arg(STREAM_CHECK.as_millis() as u64);
        let verdict = reply::string(self.conn.invoke(call.invocation()).await?)?;
        Ok(match verdict.as_str() {
            "early" => StreamCheck::Early,
            "live" => StreamCheck::Live,
            "expiring" => StreamCheck::Expiring,
            "deleted" => StreamCheck::Deleted,
            other => {
                return Err(Error::Protocol(format!("stream_tidy answered {other:?}")));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(attempt: u32, seq: u64) -> ChunkId {
        ChunkId { attempt, seq }
    }

    fn chunk(a: u32, s: u64, follows: Option<Option<ChunkId>>) -> StoredChunk {
        StoredChunk {
            id: id(a, s),
            data: b"x".to_vec(),
            follows,
        }
    }

    #[test]
    fn a_chunk_continues_only_what_it_follows() {
        // the job's first chunk
        assert!(chunk(1, 0, Some(None)).continues(None));
        assert!(!chunk(1, 0, Some(None)).continues(Some(id(1, 0))));
        // the next of its attempt
        assert!(chunk(1, 5, None).continues(Some(id(1, 4))));
        assert!(
            !chunk(1, 5, None).continues(Some(id(1, 3))),
            "1-4 is missing"
        );
        assert!(!chunk(1, 5, None).continues(None), "1-0..1-4 are missing");
        // a new attempt's first chunk names the one before it
        assert!(chunk(2, 0, Some(Some(id(1, 9)))).continues(Some(id(1, 9))));
        assert!(!chunk(2, 0, Some(Some(id(1, 9)))).continues(Some(id(1, 8))));
        // an attempt whose first chunks were dropped before they were stored
        assert!(!chunk(2, 3, Some(Some(id(1, 9)))).continues(Some(id(1, 9))));
    }
}
