//! The only module that talks to Redis. One method per state change, each one Lua script
//! (see `scripts/`); every key comes from `keys.rs`; replies become typed values here.

pub mod codec;
pub mod keys;
mod reply;
pub(crate) mod scripts;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Value};

pub use codec::Header;
pub use keys::{Keys, QueueKeys};

use crate::error::{Error, Result};
use crate::job::{
    self, JobId, JobOptions, JobResult, JobState, JobStatus, Payload, QueueName, QueueStats,
    QueueTotals,
};
use codec::RawStatus;
use scripts::SCRIPTS;

/// Payloads larger than this are kept out of the spec, so status reads stay small.
const INLINE_PAYLOAD: usize = 512;
/// Due jobs and expired leases handled per claim call.
const HOUSEKEEPING_LIMIT: usize = 100;
/// A busy queue's claims promote due jobs and recover expired leases at most this often
/// (a claim that finds nothing to hand out always does).
const HOUSEKEEPING_PERIOD: Duration = Duration::from_millis(100);

/// How a Broker connects.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    pub redis_url: String,
    pub namespace: String,
    /// Longest wait for one Redis answer before the call fails as unavailable.
    pub op_timeout: Duration,
    /// Most dead jobs kept per queue; the oldest go first.
    pub dead_cap: u64,
}

impl BrokerConfig {
    pub fn new(redis_url: impl Into<String>, namespace: impl Into<String>) -> Self {
        BrokerConfig {
            redis_url: redis_url.into(),
            namespace: namespace.into(),
            op_timeout: Duration::from_secs(5),
            dead_cap: 10_000,
        }
    }
}

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
}

/// What a claim brought back.
#[derive(Debug, Default)]
pub struct Claim {
    pub jobs: Vec<ClaimedJob>,
    /// Time until the next scheduled or retry job is due, if any waits (read only when
    /// no job was handed out: that is when a worker needs it, to know how long to idle).
    pub next_due: Option<Duration>,
    pub paused: bool,
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
    fn from_registry(
        id: String,
        seen_ms: i64,
        h: &std::collections::HashMap<String, String>,
    ) -> Self {
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

/// A message from a pub/sub channel.
#[derive(Clone, Debug)]
pub struct Message {
    pub channel: String,
    pub payload: String,
}

/// The Redis side of mlqd, cheap to clone (one multiplexed connection, reconnecting).
#[derive(Clone)]
pub struct Broker {
    client: redis::Client,
    conn: ConnectionManager,
    keys: Keys,
    config: BrokerConfig,
    /// The URL without its password, for messages.
    url: String,
    registered: Arc<Mutex<HashSet<QueueName>>>,
}

impl Broker {
    /// Prepares a broker; the connection is made on first use, so a process can start
    /// while Redis is down and recover when it returns.
    pub fn new(config: BrokerConfig) -> Result<Self> {
        let keys = Keys::new(&config.namespace)?;
        let client = redis::Client::open(config.redis_url.as_str()).map_err(|e| {
            Error::invalid(format!(
                "invalid Redis URL {:?}: {e}",
                redact(&config.redis_url)
            ))
        })?;
        let cm = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(config.op_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), cm)
            .map_err(|e| Error::from_redis(&e, &redact(&config.redis_url)))?;
        Ok(Broker {
            client,
            conn,
            keys,
            url: redact(&config.redis_url),
            config,
            registered: Arc::default(),
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// Runs one Redis exchange under the operation timeout, so nothing hangs on a dead
    /// server.
    async fn run<T>(
        &self,
        fut: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.config.op_timeout, fut).await {
            Ok(r) => r.map_err(|e| Error::from_redis(&e, &self.url)),
            Err(_) => Err(Error::no_answer(&self.url, self.config.op_timeout)),
        }
    }

    async fn invoke(&self, inv: redis::ScriptInvocation<'_>) -> Result<Value> {
        let mut conn = self.conn.clone();
        self.run(async move { inv.invoke_async::<Value>(&mut conn).await })
            .await
    }

    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.conn.clone();
        let _: String = self
            .run(async move { redis::cmd("PING").query_async(&mut conn).await })
            .await?;
        Ok(())
    }

    /// A warning when Redis may evict keys (any `maxmemory-policy` but `noeviction`).
    pub async fn eviction_warning(&self) -> Option<String> {
        let mut conn = self.conn.clone();
        let reply: Result<Vec<String>> = self
            .run(async move {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg("maxmemory-policy")
                    .query_async(&mut conn)
                    .await
            })
            .await;
        match reply {
            Ok(v) => match v.get(1).map(String::as_str) {
                Some("noeviction") => None,
                Some(policy) => Some(format!(
                    "redis maxmemory-policy is {policy:?}: Redis may evict job keys under memory pressure and jobs will be LOST; set `maxmemory-policy noeviction`"
                )),
                None => Some("could not read redis maxmemory-policy; make sure it is noeviction or jobs may be lost".into()),
            },
            Err(e) => Some(format!(
                "could not check redis maxmemory-policy ({e}); make sure it is noeviction or jobs may be lost"
            )),
        }
    }

    // ---- enqueue -------------------------------------------------------------------

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
        let mut inv = SCRIPTS.enqueue.prepare_invoke();
        inv.key(k.pending())
            .key(k.prio())
            .key(k.seq())
            .key(k.scheduled())
            .key(k.retry())
            .key(k.specs())
            .key(k.payloads())
            .key(k.stats())
            .key(k.wake());
        for j in jobs {
            if let Some(key) = &j.options.idempotency_key {
                inv.key(k.idem(key));
            }
        }
        inv.arg(max_waiting.unwrap_or(0))
            .arg(jobs.len())
            .arg(INLINE_PAYLOAD);
        let now = time::OffsetDateTime::now_utc();
        for j in jobs {
            let o = &j.options;
            let delay_ms: i64 = o.delay.map(|d| d.as_millis() as i64).unwrap_or(-1);
            let run_at_ms: i64 = o
                .run_at
                .map(|t| {
                    ((t - time::OffsetDateTime::UNIX_EPOCH).whole_milliseconds()).max(0) as i64
                })
                .unwrap_or(-1);
            let idem_ttl: u64 = if o.idempotency_key.is_some() {
                job::IDEMPOTENCY_TTL.as_millis() as u64
            } else {
                0
            };
            let header = Header::new(o, &j.payload.content_type).to_json();
            inv.arg(j.id.ulid())
                .arg(o.priority)
                .arg(delay_ms)
                .arg(run_at_ms)
                .arg(idem_ttl)
                .arg(header)
                .arg(j.payload.bytes.as_slice());
        }
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter();
        let tag = reply::string(reply::next(&mut it, "status")?)?;
        if tag == "full" {
            return Err(Error::QueueFull {
                queue: queue.to_string(),
                limit: max_waiting.unwrap_or(0),
            });
        }
        let mut out = Vec::with_capacity(jobs.len());
        for j in jobs {
            let ulid = reply::string(reply::next(&mut it, "ulid")?)?;
            let created = reply::int(&reply::next(&mut it, "created")?)? == 1;
            let delayed = j.options.delay.is_some_and(|d| !d.is_zero())
                || j.options.run_at.is_some_and(|t| t > now);
            let state = if !created {
                JobState::Pending // refined by the caller if it cares
            } else if delayed {
                JobState::Scheduled
            } else {
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

    /// Records the queue name in the namespace's queue set (once per process).
    async fn register_queue(&self, queue: &QueueName) {
        let fresh = self
            .registered
            .lock()
            .map(|mut set| set.insert(queue.clone()))
            .unwrap_or(true);
        if fresh {
            let mut conn = self.conn.clone();
            let key = self.keys.queues();
            let name = queue.to_string();
            let r: Result<i64> = self.run(async move { conn.sadd(key, name).await }).await;
            if let Err(e) = r {
                tracing::warn!(error = %e, queue = %queue, "could not register queue");
                if let Ok(mut set) = self.registered.lock() {
                    set.remove(queue);
                }
            }
        }
    }

    // ---- worker side ---------------------------------------------------------------

    /// Takes up to `max` jobs under a lease of `lease`, promoting due jobs and recovering
    /// expired leases on the way (when nothing waits, else at most every 100 ms per queue).
    /// `next_due` is only known when no job was handed out.
    pub async fn claim(
        &self,
        queue: &QueueName,
        worker: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Claim> {
        let k = self.keys.queue(queue);
        let mut inv = SCRIPTS.claim.prepare_invoke();
        inv.key(k.pending())
            .key(k.prio())
            .key(k.seq())
            .key(k.scheduled())
            .key(k.retry())
            .key(k.active())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta())
            .key(k.dead())
            .key(k.stats())
            .key(k.paused())
            .key(k.wake())
            .key(k.tidied())
            .key(k.notify())
            .arg(worker)
            .arg(max)
            .arg(lease.as_millis() as u64)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(HOUSEKEEPING_LIMIT)
            .arg(self.config.dead_cap)
            .arg(HOUSEKEEPING_PERIOD.as_millis() as u64);
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter();
        let next_due = reply::int(&reply::next(&mut it, "next due")?)?;
        let paused = reply::int(&reply::next(&mut it, "paused")?)? == 1;
        let mut jobs = Vec::new();
        while let Some(ulid) = it.next() {
            let ulid = reply::string(ulid)?;
            let attempt = reply::int(&reply::next(&mut it, "attempt")?)? as u32;
            let spec = reply::bytes(reply::next(&mut it, "spec")?)?;
            let external = reply::opt_bytes(reply::next(&mut it, "payload")?)?;
            let (header, payload) = codec::decode_spec(&spec, external)?;
            jobs.push(ClaimedJob {
                id: JobId::from_parts(queue, &ulid),
                attempt,
                header,
                payload,
            });
        }
        Ok(Claim {
            jobs,
            next_due: (next_due >= 0).then(|| Duration::from_millis(next_due as u64)),
            paused,
        })
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
        let mut inv = SCRIPTS.renew.prepare_invoke();
        inv.key(k.active())
            .key(k.meta())
            .arg(worker)
            .arg(lease.as_millis() as u64);
        for (ulid, attempt) in jobs {
            inv.arg(ulid.as_str()).arg(*attempt);
        }
        reply::array(self.invoke(inv).await?)?
            .into_iter()
            .map(reply::string)
            .collect()
    }

    /// Records successes (fenced by lease). One code per item, in order.
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
        let mut inv = SCRIPTS.complete.prepare_invoke();
        inv.key(k.active())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta())
            .key(k.stats());
        for s in items {
            inv.key(k.done(&s.ulid));
        }
        inv.arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(job::DEFAULT_RESULT_TTL.as_millis() as u64);
        for s in items {
            inv.arg(s.ulid.as_str())
                .arg(s.attempt)
                .arg(s.result.as_slice())
                .arg(s.content_type.as_str());
        }
        fences(self.invoke(inv).await?, |code| match code {
            1 => Some(Fence::Recorded(JobState::Succeeded)),
            2 => Some(Fence::Duplicate),
            0 => Some(Fence::LeaseLost),
            _ => None,
        })
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
        let mut inv = SCRIPTS.fail.prepare_invoke();
        inv.key(k.active())
            .key(k.retry())
            .key(k.dead())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta())
            .key(k.stats())
            .key(k.wake())
            .arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(backoff.base.as_millis() as u64)
            .arg(backoff.cap.as_millis() as u64)
            .arg(self.config.dead_cap);
        for f in items {
            let jitter: f64 = 0.75 + rand::random::<f64>() * 0.5;
            inv.arg(f.ulid.as_str())
                .arg(f.attempt)
                .arg(truncate(&f.error, 4096))
                .arg(if f.retryable { 1 } else { 0 })
                .arg(format!("{jitter:.4}"));
        }
        fences(self.invoke(inv).await?, |code| match code {
            1 => Some(Fence::Recorded(JobState::Retry)),
            3 => Some(Fence::Recorded(JobState::Dead)),
            2 => Some(Fence::Duplicate),
            0 => Some(Fence::LeaseLost),
            _ => None,
        })
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
        let mut inv = SCRIPTS.handback.prepare_invoke();
        inv.key(k.active())
            .key(k.pending())
            .key(k.prio())
            .key(k.seq())
            .key(k.specs())
            .key(k.meta())
            .key(k.wake())
            .arg(worker)
            .arg(queue.as_str())
            .arg(self.keys.events_channel());
        for (ulid, attempt) in jobs {
            inv.arg(ulid.as_str()).arg(*attempt);
        }
        fences(self.invoke(inv).await?, |code| match code {
            1 => Some(Fence::Recorded(JobState::Pending)),
            0 => Some(Fence::LeaseLost),
            _ => None,
        })
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
        let mut inv = SCRIPTS.progress.prepare_invoke();
        inv.key(k.active())
            .key(k.meta())
            .arg(id.ulid())
            .arg(attempt)
            .arg(worker)
            .arg(percent.min(100))
            .arg(truncate(message.unwrap_or(""), 1024))
            .arg(id.queue().as_str())
            .arg(self.keys.events_channel());
        Ok(reply::int(&self.invoke(inv).await?)? == 1)
    }

    // ---- reading -------------------------------------------------------------------

    /// The status of a job, or None when it is unknown (or expired).
    pub async fn status(&self, id: &JobId) -> Result<Option<JobStatus>> {
        Ok(self.read(id, false).await?.map(|(s, _)| s))
    }

    /// The status and, when it succeeded, the result of a job.
    pub async fn status_with_result(
        &self,
        id: &JobId,
    ) -> Result<Option<(JobStatus, Option<JobResult>)>> {
        self.read(id, true).await
    }

    async fn read(
        &self,
        id: &JobId,
        with_result: bool,
    ) -> Result<Option<(JobStatus, Option<JobResult>)>> {
        let k = self.keys.queue(id.queue());
        let mut inv = SCRIPTS.status.prepare_invoke();
        inv.key(k.done(id.ulid()))
            .key(k.specs())
            .key(k.meta())
            .key(k.active())
            .key(k.scheduled())
            .key(k.retry())
            .key(k.dead())
            .arg(id.ulid())
            .arg(if with_result { 1 } else { 0 });
        let items = reply::array(self.invoke(inv).await?)?;
        if items.is_empty() {
            return Ok(None);
        }
        let mut it = items.into_iter();
        let state: JobState = reply::string(reply::next(&mut it, "state")?)?.parse()?;
        let header = reply::bytes(reply::next(&mut it, "header")?)?;
        let meta = reply::opt_bytes(reply::next(&mut it, "meta")?)?;
        let due = reply::opt_int(&reply::next(&mut it, "due")?)?;
        let result_ct = reply::opt_string(reply::next(&mut it, "result type")?)?;
        let result = reply::opt_bytes(reply::next(&mut it, "result")?)?;
        let status = codec::status(
            id,
            RawStatus {
                state,
                header: &header,
                meta: meta.as_deref(),
                due_ms: due,
                result_content_type: result_ct.clone(),
            },
        )?;
        let result = match (state, result) {
            (JobState::Succeeded, Some(bytes)) if with_result => Some(JobResult {
                bytes,
                content_type: result_ct.unwrap_or_else(|| job::JSON.to_string()),
            }),
            _ => None,
        };
        Ok(Some((status, result)))
    }

    /// Cancels a job that has not finished.
    pub async fn cancel(&self, id: &JobId) -> Result<Cancelled> {
        let k = self.keys.queue(id.queue());
        let mut inv = SCRIPTS.cancel.prepare_invoke();
        inv.key(k.pending())
            .key(k.prio())
            .key(k.scheduled())
            .key(k.retry())
            .key(k.active())
            .key(k.dead())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta())
            .key(k.stats())
            .key(k.done(id.ulid()))
            .key(k.notify())
            .arg(id.ulid())
            .arg(id.queue().as_str())
            .arg(self.keys.events_channel())
            .arg(self.keys.cancel_channel())
            .arg(job::DEFAULT_RESULT_TTL.as_millis() as u64);
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter();
        let tag = reply::string(reply::next(&mut it, "outcome")?)?;
        match tag.as_str() {
            "unknown" => Err(Error::NotFound(id.to_string())),
            "cancelled" => Ok(Cancelled::Done(
                reply::string(reply::next(&mut it, "state")?)?.parse()?,
            )),
            "final" => Ok(Cancelled::AlreadyFinal(
                reply::string(reply::next(&mut it, "state")?)?.parse()?,
            )),
            other => Err(Error::Protocol(format!("cancel answered {other:?}"))),
        }
    }

    // ---- maintenance ---------------------------------------------------------------

    /// Requeues (or buries) jobs with expired leases and the active jobs of `gone`
    /// workers.
    pub async fn recover(
        &self,
        queue: &QueueName,
        gone_workers: &[String],
        limit: usize,
    ) -> Result<Recovered> {
        let k = self.keys.queue(queue);
        let mut inv = SCRIPTS.recover.prepare_invoke();
        inv.key(k.active())
            .key(k.pending())
            .key(k.prio())
            .key(k.seq())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta())
            .key(k.dead())
            .key(k.stats())
            .key(k.wake())
            .key(k.notify())
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(limit)
            .arg(self.config.dead_cap);
        for w in gone_workers {
            inv.arg(w.as_str());
        }
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter().skip(2);
        let mut out = Recovered::default();
        while let Some(ulid) = it.next() {
            let id = JobId::from_parts(queue, &reply::string(ulid)?);
            match reply::string(reply::next(&mut it, "state")?)?.as_str() {
                "dead" => out.buried.push(id),
                _ => out.requeued.push(id),
            }
        }
        Ok(out)
    }

    /// Takes up to `n` jobs whose callback no worker will send (cancelled before they ran,
    /// buried after losing their worker), oldest first.
    pub async fn take_notices(&self, queue: &QueueName, n: usize) -> Result<Vec<JobId>> {
        let mut conn = self.conn.clone();
        let key = self.keys.queue(queue).notify();
        let taken: Option<Vec<String>> = self
            .run(async move {
                redis::cmd("LPOP")
                    .arg(key)
                    .arg(n.max(1))
                    .query_async(&mut conn)
                    .await
            })
            .await?;
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
        let mut inv = SCRIPTS.promote.prepare_invoke();
        inv.key(k.scheduled())
            .key(k.retry())
            .key(k.pending())
            .key(k.prio())
            .key(k.seq())
            .key(k.specs())
            .key(k.wake())
            .arg(queue.as_str())
            .arg(self.keys.events_channel())
            .arg(limit);
        let items = reply::array(self.invoke(inv).await?)?;
        let moved = items.first().map(reply::int).transpose()?.unwrap_or(0);
        let next = items.get(1).map(reply::int).transpose()?.unwrap_or(-1);
        Ok((
            moved as u64,
            (next >= 0).then(|| Duration::from_millis(next as u64)),
        ))
    }

    // ---- leadership ----------------------------------------------------------------

    /// Takes (or keeps) the reaper leadership. Returns whether the caller leads, and who
    /// does.
    pub async fn leader_acquire(&self, token: &str, ttl: Duration) -> Result<(bool, String)> {
        let mut inv = SCRIPTS.leader_acquire.prepare_invoke();
        inv.key(self.keys.leader())
            .arg(token)
            .arg(ttl.as_millis() as u64);
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter();
        let leads = reply::int(&reply::next(&mut it, "flag")?)? == 1;
        let holder = reply::string(reply::next(&mut it, "holder")?)?;
        Ok((leads, holder))
    }

    /// Extends the leadership while the token still holds it. False: lost.
    pub async fn leader_renew(&self, token: &str, ttl: Duration) -> Result<bool> {
        let mut inv = SCRIPTS.leader_renew.prepare_invoke();
        inv.key(self.keys.leader())
            .arg(token)
            .arg(ttl.as_millis() as u64);
        Ok(reply::int(&self.invoke(inv).await?)? == 1)
    }

    /// Gives the leadership up if the token holds it.
    pub async fn leader_release(&self, token: &str) -> Result<bool> {
        let mut inv = SCRIPTS.leader_release.prepare_invoke();
        inv.key(self.keys.leader()).arg(token);
        Ok(reply::int(&self.invoke(inv).await?)? == 1)
    }

    /// Who leads the reapers now, if anyone.
    pub async fn leader(&self) -> Result<Option<String>> {
        let mut conn = self.conn.clone();
        let key = self.keys.leader();
        self.run(async move { conn.get(key).await }).await
    }

    /// Workers whose last heartbeat is older than `silent_for` (by the Redis clock).
    pub async fn stale_workers(&self, silent_for: Duration) -> Result<Vec<String>> {
        let now = self.time_ms().await?;
        let cutoff = now - silent_for.as_millis() as i64;
        let mut conn = self.conn.clone();
        let key = self.keys.workers();
        self.run(async move { conn.zrangebyscore(key, "-inf", format!("({cutoff}")).await })
            .await
    }

    // ---- invariant sweep -------------------------------------------------------------

    /// One step of the sweep's scan. Returns the next cursor (None when done) and the
    /// flagged ulids.
    pub async fn sweep_scan(
        &self,
        queue: &QueueName,
        target: ScanTarget,
        cursor: &str,
        count: usize,
    ) -> Result<(Option<String>, Vec<Flagged>)> {
        let k = self.keys.queue(queue);
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
        let mut inv = SCRIPTS.sweep_scan.prepare_invoke();
        inv.key(k.pending())
            .key(k.prio())
            .key(k.scheduled())
            .key(k.retry())
            .key(k.active())
            .key(k.dead())
            .key(k.specs())
            .key(k.meta())
            .arg(mode)
            .arg(cursor)
            .arg(count)
            .arg(zset);
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter();
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

    /// A slice of the pending list (priority-0 ulids), for the sweep.
    pub async fn pending_ulids(
        &self,
        queue: &QueueName,
        start: usize,
        count: usize,
    ) -> Result<Vec<String>> {
        let mut conn = self.conn.clone();
        let key = self.keys.queue(queue).pending();
        let stop = (start + count) as isize - 1;
        self.run(async move { conn.lrange(key, start as isize, stop).await })
            .await
    }

    /// Re-checks the given jobs and repairs any that break an invariant. Returns the
    /// repairs made.
    pub async fn sweep(&self, queue: &QueueName, ulids: &[String]) -> Result<Vec<Flagged>> {
        if ulids.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys.queue(queue);
        let mut inv = SCRIPTS.sweep.prepare_invoke();
        inv.key(k.pending())
            .key(k.prio())
            .key(k.seq())
            .key(k.scheduled())
            .key(k.retry())
            .key(k.active())
            .key(k.dead())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta())
            .key(k.wake());
        for u in ulids {
            inv.arg(u.as_str());
        }
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter().skip(1);
        let mut out = Vec::new();
        while let Some(ulid) = it.next() {
            out.push(Flagged {
                ulid: reply::string(ulid)?,
                note: reply::string(reply::next(&mut it, "repair")?)?,
            });
        }
        Ok(out)
    }

    // ---- dead letters --------------------------------------------------------------

    /// The newest dead jobs of a queue (and how many there are).
    pub async fn dlq_list(
        &self,
        queue: &QueueName,
        offset: usize,
        limit: usize,
    ) -> Result<(u64, Vec<JobStatus>)> {
        let k = self.keys.queue(queue);
        let mut inv = SCRIPTS.dlq_list.prepare_invoke();
        inv.key(k.dead())
            .key(k.specs())
            .key(k.meta())
            .arg(offset)
            .arg(limit);
        let mut it = reply::array(self.invoke(inv).await?)?.into_iter();
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

    /// Requeues dead jobs with a fresh retry budget. Returns their ids.
    pub async fn dlq_requeue(&self, queue: &QueueName, which: &Selection) -> Result<Vec<JobId>> {
        let k = self.keys.queue(queue);
        let mut all = Vec::new();
        loop {
            let mut inv = SCRIPTS.dlq_requeue.prepare_invoke();
            inv.key(k.dead())
                .key(k.pending())
                .key(k.prio())
                .key(k.seq())
                .key(k.specs())
                .key(k.meta())
                .key(k.stats())
                .key(k.wake())
                .arg(queue.as_str())
                .arg(self.keys.events_channel());
            match which {
                Selection::All => {
                    inv.arg("all").arg(1000);
                }
                Selection::Ids(ids) => {
                    inv.arg("ids").arg(0);
                    for id in ids {
                        inv.arg(id.as_str());
                    }
                }
            }
            let back: Vec<String> = reply::array(self.invoke(inv).await?)?
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

    /// Deletes dead jobs for good. Returns how many.
    pub async fn dlq_purge(&self, queue: &QueueName, which: &Selection) -> Result<u64> {
        let mut total = 0;
        loop {
            let mut inv = self.purge_invocation(queue);
            match which {
                Selection::All => {
                    inv.arg("all").arg(1000);
                }
                Selection::Ids(ids) => {
                    inv.arg("ids");
                    for id in ids {
                        inv.arg(id.as_str());
                    }
                }
            }
            let n = reply::int(&self.invoke(inv).await?)? as u64;
            total += n;
            if matches!(which, Selection::Ids(_)) || n == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// Deletes dead jobs that died more than `age` ago (at most `limit`).
    pub async fn trim_dead(&self, queue: &QueueName, age: Duration, limit: usize) -> Result<u64> {
        let mut inv = self.purge_invocation(queue);
        inv.arg("before").arg(age.as_millis() as u64).arg(limit);
        Ok(reply::int(&self.invoke(inv).await?)? as u64)
    }

    fn purge_invocation(&self, queue: &QueueName) -> redis::ScriptInvocation<'static> {
        let k = self.keys.queue(queue);
        let mut inv = SCRIPTS.dlq_purge.prepare_invoke();
        inv.key(k.dead())
            .key(k.specs())
            .key(k.payloads())
            .key(k.meta());
        inv
    }

    // ---- queues --------------------------------------------------------------------

    /// Every queue that has seen a job, sorted.
    pub async fn queue_names(&self) -> Result<Vec<QueueName>> {
        let mut conn = self.conn.clone();
        let key = self.keys.queues();
        let names: Vec<String> = self.run(async move { conn.smembers(key).await }).await?;
        let mut out: Vec<QueueName> = names
            .iter()
            .filter_map(|n| QueueName::new(n).ok())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Counts per state and totals of one queue.
    pub async fn queue_stats(&self, queue: &QueueName) -> Result<QueueStats> {
        let k = self.keys.queue(queue);
        let mut pipe = redis::pipe();
        pipe.llen(k.pending())
            .zcard(k.prio())
            .zcard(k.scheduled())
            .zcard(k.retry())
            .zcard(k.active())
            .zcard(k.dead())
            .exists(k.paused())
            .hgetall(k.stats());
        let mut conn = self.conn.clone();
        #[allow(clippy::type_complexity)]
        let (p, pr, sc, rt, ac, de, paused, totals): (
            u64,
            u64,
            u64,
            u64,
            u64,
            u64,
            bool,
            std::collections::HashMap<String, u64>,
        ) = self
            .run(async move { pipe.query_async(&mut conn).await })
            .await?;
        let t = |name: &str| totals.get(name).copied().unwrap_or(0);
        Ok(QueueStats {
            queue: queue.to_string(),
            pending: p + pr,
            scheduled: sc,
            active: ac,
            retry: rt,
            dead: de,
            paused,
            totals: QueueTotals {
                enqueued: t("enqueued"),
                succeeded: t("succeeded"),
                failed: t("failed"),
                dead: t("dead"),
                cancelled: t("cancelled"),
                stalled: t("stalled"),
                requeued: t("requeued"),
            },
        })
    }

    /// Stops handing out the queue's jobs (running ones finish).
    pub async fn pause(&self, queue: &QueueName) -> Result<()> {
        let mut conn = self.conn.clone();
        let key = self.keys.queue(queue).paused();
        let _: () = self.run(async move { conn.set(key, 1).await }).await?;
        self.register_queue(queue).await;
        Ok(())
    }

    /// Hands out the queue's jobs again, and wakes an idle worker.
    pub async fn resume(&self, queue: &QueueName) -> Result<()> {
        let k = self.keys.queue(queue);
        let mut pipe = redis::pipe();
        pipe.del(k.paused())
            .ignore()
            .rpush(k.wake(), 1)
            .ignore()
            .ltrim(k.wake(), 0, 0)
            .ignore();
        let mut conn = self.conn.clone();
        let _: () = self
            .run(async move { pipe.query_async(&mut conn).await })
            .await?;
        Ok(())
    }

    // ---- worker registry -----------------------------------------------------------

    /// Records a worker's heartbeat and description; the description expires after `ttl`
    /// unless renewed.
    pub async fn heartbeat(&self, info: &WorkerInfo, ttl: Duration) -> Result<()> {
        let mut inv = SCRIPTS.heartbeat.prepare_invoke();
        inv.key(self.keys.workers())
            .key(self.keys.worker(&info.id))
            .arg(info.id.as_str())
            .arg(ttl.as_millis() as u64);
        let queues = info.queues.join(",");
        for (k, v) in [
            ("host", info.host.as_str()),
            ("queues", queues.as_str()),
            ("handler", info.handler.as_str()),
            ("version", info.version.as_str()),
        ] {
            inv.arg(k).arg(v);
        }
        inv.arg("pid")
            .arg(info.pid)
            .arg("concurrency")
            .arg(info.concurrency)
            .arg("in_flight")
            .arg(info.in_flight)
            .arg("started")
            .arg(info.started_ms);
        self.invoke(inv).await?;
        Ok(())
    }

    /// Takes workers out of the registry.
    pub async fn worker_leave(&self, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut inv = SCRIPTS.worker_leave.prepare_invoke();
        inv.key(self.keys.workers());
        for id in ids {
            inv.key(self.keys.worker(id));
        }
        for id in ids {
            inv.arg(id.as_str());
        }
        Ok(reply::int(&self.invoke(inv).await?)? as u64)
    }

    /// Registered workers with their last heartbeat, oldest heartbeat first. A worker
    /// whose description expired is listed with what the registry still knows.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let mut conn = self.conn.clone();
        let key = self.keys.workers();
        let seen: Vec<(String, f64)> = self
            .run(async move { conn.zrange_withscores(key, 0, -1).await })
            .await?;
        if seen.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (id, _) in &seen {
            pipe.hgetall(self.keys.worker(id));
        }
        let mut conn = self.conn.clone();
        let hashes: Vec<std::collections::HashMap<String, String>> = self
            .run(async move { pipe.query_async(&mut conn).await })
            .await?;
        Ok(seen
            .into_iter()
            .zip(hashes)
            .map(|((id, score), h)| WorkerInfo::from_registry(id, score as i64, &h))
            .collect())
    }

    /// The current time of the Redis server (ms).
    pub async fn time_ms(&self) -> Result<i64> {
        let mut conn = self.conn.clone();
        let (secs, micros): (i64, i64) = self
            .run(async move { redis::cmd("TIME").query_async(&mut conn).await })
            .await?;
        Ok(secs * 1000 + micros / 1000)
    }

    // ---- waiting -------------------------------------------------------------------

    /// A dedicated connection for blocking on the wake-up lists.
    pub fn waker(&self) -> Waker {
        Waker {
            client: self.client.clone(),
            keys: self.keys.clone(),
            url: self.url.clone(),
            conn: None,
        }
    }

    /// Subscribes to channels on a fresh connection.
    pub async fn subscribe(&self, channels: &[String]) -> Result<Subscription> {
        let client = self.client.clone();
        let channels = channels.to_vec();
        let pubsub = self
            .run(async move {
                let mut ps = client.get_async_pubsub().await?;
                for c in &channels {
                    ps.subscribe(c).await?;
                }
                Ok(ps)
            })
            .await?;
        let (sink, stream) = pubsub.split();
        Ok(Subscription {
            sink,
            stream,
            op_timeout: self.config.op_timeout,
            url: self.url.clone(),
        })
    }

    /// Raw INFO text of one section (bench and top read memory and CPU from it).
    pub async fn info(&self, section: &str) -> Result<String> {
        let mut conn = self.conn.clone();
        let section = section.to_string();
        self.run(async move { redis::cmd("INFO").arg(section).query_async(&mut conn).await })
            .await
    }

    /// Deletes every key of the namespace (bench cleanup, tests). SCAN-based.
    pub async fn delete_namespace(&self) -> Result<u64> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}:*", self.keys.namespace());
        self.run(async move {
            let mut deleted = 0u64;
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await?;
                if !batch.is_empty() {
                    let n: u64 = conn.unlink(&batch).await?;
                    deleted += n;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
            Ok(deleted)
        })
        .await
    }
}

/// A live pub/sub subscription.
pub struct Subscription {
    sink: redis::aio::PubSubSink,
    stream: redis::aio::PubSubStream,
    op_timeout: Duration,
    url: String,
}

impl Subscription {
    /// The next message; None when the connection is gone.
    pub async fn next(&mut self) -> Option<Message> {
        let msg = self.stream.next().await?;
        Some(Message {
            channel: msg.get_channel_name().to_string(),
            payload: msg.get_payload::<String>().unwrap_or_default(),
        })
    }

    /// Checks that the connection still answers.
    pub async fn ping(&mut self) -> Result<()> {
        match tokio::time::timeout(self.op_timeout, self.sink.ping::<Value>()).await {
            Ok(r) => r.map(|_| ()).map_err(|e| Error::from_redis(&e, &self.url)),
            Err(_) => Err(Error::no_answer(&self.url, self.op_timeout)),
        }
    }
}

/// A connection used only for BLPOP on wake-up lists (a blocking call would stall a shared
/// multiplexed connection). Reconnects on the next wait after an error.
pub struct Waker {
    client: redis::Client,
    keys: Keys,
    url: String,
    conn: Option<redis::aio::MultiplexedConnection>,
}

impl Waker {
    /// Blocks until a wake-up token arrives on one of the queues or `timeout` passes.
    /// Returns true when woken by a token.
    pub async fn wait(&mut self, queues: &[QueueName], timeout: Duration) -> Result<bool> {
        if self.conn.is_none() {
            let cfg = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(1)))
                .set_response_timeout(None);
            let limit = Duration::from_secs(2);
            let conn = tokio::time::timeout(
                limit,
                self.client
                    .get_multiplexed_async_connection_with_config(&cfg),
            )
            .await
            .map_err(|_| Error::no_answer(&self.url, limit))?
            .map_err(|e| Error::from_redis(&e, &self.url))?;
            self.conn = Some(conn);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Ok(false);
        };
        let keys: Vec<String> = queues.iter().map(|q| self.keys.queue(q).wake()).collect();
        let secs = timeout.as_secs_f64().max(0.01);
        let mut cmd = redis::cmd("BLPOP");
        cmd.arg(&keys).arg(format!("{secs:.3}"));
        // A guard beyond the server-side timeout catches a connection that died silently.
        let guard = timeout + Duration::from_secs(2);
        match tokio::time::timeout(guard, cmd.query_async::<Value>(conn)).await {
            Ok(Ok(Value::Nil)) => Ok(false),
            Ok(Ok(_)) => Ok(true),
            Ok(Err(e)) => {
                self.conn = None;
                Err(Error::from_redis(&e, &self.url))
            }
            Err(_) => {
                self.conn = None;
                Ok(false)
            }
        }
    }
}

fn fences(reply: Value, map: impl Fn(i64) -> Option<Fence>) -> Result<Vec<Fence>> {
    reply::array(reply)?
        .iter()
        .map(|v| {
            let code = reply::int(v)?;
            map(code).ok_or_else(|| Error::Protocol(format!("unknown fence code {code}")))
        })
        .collect()
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("redis://user:secret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(super::redact("redis://127.0.0.1"), "redis://127.0.0.1");
    }
}
