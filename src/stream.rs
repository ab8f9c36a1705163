//! A job's streamed output (tokens, log lines, partial results), read in order and live.
//!
//! A running job emits chunks (`Job::emit`, or an exec handler's `{"id","stream":…}`
//! lines); the worker stores them in Redis under the queue's tag, one Redis Stream per job
//! (`broker/stream.rs`), each chunk named by its attempt and its sequence number in that
//! attempt ([`ChunkId`], `<attempt>-<seq>`). [`OutputStream`] is the reader every consumer
//! shares: the SSE route `GET /v1/jobs/{id}/stream`, `mlqd post --stream` and
//! `mlqd result --follow`.
//!
//! How a reader loses nothing and repeats nothing: it registers with the process's event
//! hub first, then reads the job's status and the chunks after its position in one script
//! call, and reads again on every event that names the job (a worker announces `chunk`
//! after each flush) or after the subscription was remade. Its position is the last chunk
//! it delivered, so a read never repeats one; a chunk that does not follow that position
//! (trimmed by the byte cap, or dropped by a worker) is reported as [`StreamItem::Trimmed`].
//! Because a worker stores every chunk of an attempt before that attempt's outcome, and a
//! lost lease refuses further chunks, the status read with the chunks tells when an attempt
//! can grow no more: a new attempt is announced only after the chunks of the one before,
//! and the end only after the last chunk.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use crate::broker::StoredChunk;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::events::Watcher;
use crate::job::{JobId, JobStatus};

/// Names one chunk of a job's output: `<attempt>-<seq>` (the SSE event id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChunkId {
    /// The attempt that emitted it (1-based).
    pub attempt: u32,
    /// Its place within the attempt, from 0.
    pub seq: u64,
}

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.attempt, self.seq)
    }
}

impl FromStr for ChunkId {
    type Err = Error;

    /// Parses `<attempt>-<seq>`: decimal digits only, attempt from 1.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(format!(
                "invalid chunk id {:?}: expected <attempt>-<seq>, like 1-24",
                s.chars().take(40).collect::<String>()
            ))
        };
        let (a, q) = s.split_once('-').ok_or_else(bad)?;
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(a) || !digits(q) {
            return Err(bad());
        }
        let attempt: u32 = a.parse().map_err(|_| bad())?;
        let seq: u64 = q.parse().map_err(|_| bad())?;
        if attempt == 0 {
            return Err(bad());
        }
        Ok(ChunkId { attempt, seq })
    }
}

/// What a reader of a job's output gets, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    /// A chunk of output.
    Chunk { id: ChunkId, data: Vec<u8> },
    /// A new attempt started (a retry, or its worker was lost): the output of the attempts
    /// before it is superseded. Never sent for attempt 1.
    Attempt(u32),
    /// Output before `first` (the first chunk still kept) is gone: trimmed to keep the job
    /// under the worker's `--max-stream`, or dropped by a worker that could not store it.
    Trimmed { first: ChunkId },
    /// The job is terminal (this is its status); nothing follows.
    End(Box<JobStatus>),
}

/// A job's output, from a position on. Get one from [`Client::stream`].
pub struct OutputStream {
    client: Client,
    id: JobId,
    watcher: Watcher,
    /// The last chunk delivered (None: none yet, the next read starts at the first).
    pos: Option<ChunkId>,
    /// The newest attempt announced (or resumed in).
    attempt: u32,
    queued: VecDeque<StreamItem>,
    /// A read stopped at its limits: read again before waiting.
    more: bool,
    ended: bool,
}

impl Client {
    /// Follows a job's output: every retained chunk after `after` (None: from the first),
    /// then live ones as they are stored, then the end. `NotFound` for an unknown job.
    pub async fn stream(&self, id: &JobId, after: Option<ChunkId>) -> Result<OutputStream> {
        // watch first, then read: nothing stored after the read goes unnoticed
        let watcher = self.events().watch(id);
        let mut out = OutputStream {
            client: self.clone(),
            id: id.clone(),
            watcher,
            pos: after,
            attempt: after.map_or(0, |a| a.attempt),
            queued: VecDeque::new(),
            more: false,
            ended: false,
        };
        out.read().await?;
        Ok(out)
    }
}

impl OutputStream {
    /// The job followed.
    pub fn id(&self) -> &JobId {
        &self.id
    }

    /// The next item; None after [`StreamItem::End`]. An error (Redis unavailable, the
    /// job expired meanwhile) leaves the position as it was: calling again goes on from it.
    pub async fn next(&mut self) -> Option<Result<StreamItem>> {
        loop {
            if let Some(item) = self.queued.pop_front() {
                return Some(Ok(item));
            }
            if self.ended {
                return None;
            }
            if !self.more {
                self.watcher.next().await;
            }
            if let Err(e) = self.read().await {
                // read again at once next time: the wake that led here is spent
                self.more = true;
                return Some(Err(e));
            }
        }
    }

    /// Reads the status and the chunks after the position; queues what they say.
    async fn read(&mut self) -> Result<()> {
        let page = self
            .client
            .broker()
            .read_stream(&self.id, self.pos)
            .await?
            .ok_or_else(|| Error::NotFound(self.id.to_string()))?;
        for chunk in page.chunks {
            self.deliver(chunk);
        }
        self.more = page.more;
        if !self.more {
            self.announce(page.status.attempts);
            if page.status.state.is_terminal() {
                self.queued
                    .push_back(StreamItem::End(Box::new(page.status)));
                self.ended = true;
            }
        }
        Ok(())
    }

    fn deliver(&mut self, chunk: StoredChunk) {
        self.announce(chunk.id.attempt);
        if !chunk.continues(self.pos) {
            self.queued
                .push_back(StreamItem::Trimmed { first: chunk.id });
        }
        self.pos = Some(chunk.id);
        self.queued.push_back(StreamItem::Chunk {
            id: chunk.id,
            data: chunk.data,
        });
    }

    /// Announces `attempt` when it is newer than the last one announced (attempt 1 is
    /// the start, not news).
    fn announce(&mut self, attempt: u32) {
        if attempt > self.attempt {
            if attempt > 1 {
                self.queued.push_back(StreamItem::Attempt(attempt));
            }
            self.attempt = attempt;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ids_read_and_print_as_attempt_dash_seq() {
        let id: ChunkId = "2-17".parse().unwrap();
        assert_eq!(
            id,
            ChunkId {
                attempt: 2,
                seq: 17
            }
        );
        assert_eq!(id.to_string(), "2-17");
        assert!("1-0".parse::<ChunkId>().is_ok());
        for bad in [
            "",
            "1",
            "1-",
            "-1",
            "0-3",
            "a-1",
            "1-b",
            "1--2",
            "+1-2",
            "1-2-3",
            " 1-2",
            "99999999999-1",
            "1-99999999999999999999999",
        ] {
            let e = bad.parse::<ChunkId>().unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{bad:?}: {e}");
        }
        let order = ["1-9", "1-10", "2-0"].map(|s| s.parse::<ChunkId>().unwrap());
        assert!(order[0] < order[1] && order[1] < order[2]);
    }
}
