//! The values the broker takes and gives back. No I/O.

use std::collections::HashMap;
use std::time::Duration;

use super::codec::Header;
use crate::job::{self, JobId, JobOptions, JobState, Payload};

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub id: JobId,
    pub payload: Payload,
    pub options: JobOptions,
}

/// The answer for one enqueued job.
#[derive(Clone, Debug, PartialEq)]
pub struct Enqueued {
    pub id: JobId,
    /// False when an idempotency key matched an earlier job (whose id this is).
    pub created: bool,
    pub state: JobState,
}

/// A job handed to a worker.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: JobId,
    /// Fencing token: the attempt number this lease is for.
    pub attempt: u32,
    pub header: Header,
    pub payload: Payload,
    /// For a job claimed into the worker's buffer (not straight to a handler): its receipt,
    /// the queue's running number of buffered jobs, which [`Broker::mark_started`] records
    /// once the job reaches a handler. 0 for a job that went straight to a handler.
    ///
    /// [`Broker::mark_started`]: super::Broker::mark_started
    pub receipt: u64,
}

/// What a claim brought back.
#[derive(Debug, Default)]
pub struct Claim {
    pub jobs: Vec<ClaimedJob>,
    /// Time until the next scheduled or retry job is due, if any waits (read only when
    /// no job was handed out: that is when a worker needs it, to know how long to idle).
    pub next_due: Option<Duration>,
    pub paused: bool,
    /// The queue's limits (rate, max_active) hold its jobs back: ask again after this long
    /// (a finished job of a queue with max_active wakes its idle workers sooner).
    pub held: Option<Duration>,
}

/// One successful outcome to record.
#[derive(Clone, Debug)]
pub struct Success {
    pub ulid: String,
    pub attempt: u32,
    pub result: Vec<u8>,
    pub content_type: String,
}

/// One failed attempt to record.
#[derive(Clone, Debug)]
pub struct Failure {
    pub ulid: String,
    pub attempt: u32,
    pub error: String,
    pub retryable: bool,
}

/// How a recorded outcome was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fence {
    /// Recorded; the job is now in `state`.
    Recorded(JobState),
    /// This same attempt's outcome was already recorded (a retried call).
    Duplicate,
    /// The worker no longer holds the lease; nothing was written.
    LeaseLost,
}

/// Retry backoff: `base · 2^(n−1) × [0.75, 1.25]`, capped.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
        }
    }
}

/// What cancel did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// Cancelled; the job was in this state before.
    Done(JobState),
    /// Already terminal, nothing changed.
    AlreadyFinal(JobState),
}

/// What a recovery pass did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recovered {
    pub requeued: Vec<JobId>,
    /// Jobs whose stall budget was spent: now dead ("worker lost").
    pub buried: Vec<JobId>,
}

/// What the invariant sweep's scan flags, and what a repair did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flagged {
    pub ulid: String,
    pub note: String,
}

/// Which structure a sweep scan step reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanTarget {
    Specs,
    Meta,
    Pending,
    Prio,
    Scheduled,
    Retry,
    Active,
    Dead,
}

/// Which dead jobs an operation applies to.
#[derive(Clone, Debug)]
pub enum Selection {
    All,
    Ids(Vec<String>),
}

/// A worker as the registry describes it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WorkerInfo {
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub queues: Vec<String>,
    pub concurrency: u32,
    pub in_flight: u32,
    /// `builtin:echo`, `exec`, `http`, `rust`…
    pub handler: String,
    pub version: String,
    #[serde(skip)]
    pub started_ms: i64,
    #[serde(skip)]
    pub seen_ms: i64,
    pub started_at: String,
    pub last_heartbeat: String,
}

impl WorkerInfo {
    pub(super) fn from_registry(id: String, seen_ms: i64, h: &HashMap<String, String>) -> Self {
        let get = |k: &str| h.get(k).cloned().unwrap_or_default();
        let num = |k: &str| h.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let started_ms = num("started");
        WorkerInfo {
            id,
            host: get("host"),
            pid: num("pid") as u32,
            queues: get("queues")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            concurrency: num("concurrency") as u32,
            in_flight: num("in_flight") as u32,
            handler: get("handler"),
            version: get("version"),
            started_ms,
            seen_ms,
            started_at: job::format_ms(started_ms),
            last_heartbeat: job::format_ms(seen_ms),
        }
    }
}
