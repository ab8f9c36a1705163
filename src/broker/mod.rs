//! The only module that talks to Redis. One method per state change, each one Lua script
//! (see `scripts/`); every key comes from `keys.rs`; replies become typed values here.
//!
//! Layout, one concern per file, each an `impl Broker` block where it calls Redis:
//! - `conn`: the connection (`Conn`): commands, pipelines, script calls, blocking pops and
//!   pub/sub, on any deployment; `target` (the URL forms), `tls` (the TLS files), `sentinel`
//!   (following the master) and `cluster` (routing, per-master reads, per-slot pops)
//!   behind it;
//! - `scripts`: each script declared once (name, KEYS by role), calls built from that;
//! - `reply`: script replies read into typed values; `codec`: job records ⇄ structs;
//! - `types`: what the methods take and give back;
//! - `enqueue` · `claim` (claim, renew, progress) · `outcomes` (complete, fail, handback) ·
//!   `jobs` (status, cancel) · `queues` (names, stats, pause) · `limits` (rate, burst,
//!   max_active) · `browse` (pages of a queue's jobs by state) · `maintenance` (recover,
//!   promote, notices, sweep) · `dead` (dead letters) · `registry` (heartbeats, workers,
//!   leader) · `schedules` (periodic jobs: specs, next runs, last runs) · `waiting` (the
//!   wake-up `Waker`, pub/sub `Subscription`; `pops`: its blocking pops, each carrying a
//!   claim) · `stream` (jobs' output chunks: append,
//!   read, the janitor's check).

mod browse;
mod claim;
mod cluster;
pub mod codec;
mod conn;
mod dead;
mod enqueue;
pub mod info;
mod jobs;
pub mod keys;
mod limits;
mod maintenance;
pub use maintenance::{Seen, SweepCheck};
mod outcomes;
mod payload;
mod pops;
mod queues;
mod recall;
mod registry;
mod reply;
mod schedules;
pub(crate) mod scripts;
mod sentinel;
mod stream;
mod target;
mod tls;
mod types;
mod waiting;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use browse::{MAX_PAGE, Page};
pub use codec::Header;
pub use keys::{JobKeys, Keys, QueueKeys, ScheduleKeys, WorkerKeys};
pub use schedules::StoredSchedule;
pub use stream::{ChunkBatch, STREAM_CHECK, StoredChunk, StreamCheck, StreamPage};
pub use target::redact;
pub use tls::TlsFiles;
pub use types::{
    Backoff, Cancelled, Claim, ClaimedJob, Enqueued, Failure, Fence, Flagged, NewJob, Recovered,
    ScanTarget, Selection, Success, WorkerInfo,
};
pub use waiting::{Message, Subscription, Waker, Woken};

use crate::error::Result;
use crate::job::QueueName;
use conn::Conn;

/// Finished jobs per queue and state that browsing can list, by default (`--recent`).
pub const DEFAULT_RECENT: u64 = 1000;

/// Dead jobs kept per queue unless `--dead-max` says otherwise.
pub const DEFAULT_DEAD_MAX: u64 = 10_000;

/// How a Broker connects.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    pub redis_url: String,
    pub namespace: String,
    /// Longest wait for one Redis answer before the call fails as unavailable.
    pub op_timeout: Duration,
    /// Most dead jobs kept per queue (`--dead-max`; 0: no cap); the oldest go first,
    /// counted as `trimmed`.
    pub dead_cap: u64,
    /// For the TLS URL forms: a private CA to trust, a client certificate to present.
    pub tls: TlsFiles,
    /// Most succeeded and most cancelled jobs kept per queue in the index that browsing
    /// lists them from (`--recent`); 0 keeps none. Their records expire on their own.
    pub recent_cap: u64,
}

impl BrokerConfig {
    pub fn new(redis_url: impl Into<String>, namespace: impl Into<String>) -> Self {
        BrokerConfig {
            redis_url: redis_url.into(),
            namespace: namespace.into(),
            op_timeout: Duration::from_secs(5),
            dead_cap: DEFAULT_DEAD_MAX,
            tls: TlsFiles::default(),
            recent_cap: DEFAULT_RECENT,
        }
    }
}

/// The Redis side of mlqd, cheap to clone (one multiplexed connection, reconnecting).
/// Clones share everything behind `Arc`s: a broker is cloned per request in `serve` (axum
/// clones the state for each extractor and middleware) and per task in a worker, and the
/// connection's settings and the config hold strings.
#[derive(Clone)]
pub struct Broker {
    conn: Arc<Conn>,
    keys: Arc<Keys>,
    config: Arc<BrokerConfig>,
    /// Queues this process already put in the queue set.
    registered: Arc<Mutex<HashSet<QueueName>>>,
}

impl Broker {
    /// Prepares a broker; the connection is made on first use, so a process can start
    /// while Redis is down and recover when it returns.
    pub fn new(config: BrokerConfig) -> Result<Self> {
        let keys = Keys::new(&config.namespace)?;
        let conn = Conn::open(&config.redis_url, &config.tls, config.op_timeout)?;
        Ok(Broker {
            conn: Arc::new(conn),
            keys: Arc::new(keys),
            config: Arc::new(config),
            registered: Arc::default(),
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The Redis URL without its password, for messages.
    pub fn url(&self) -> &str {
        self.conn.url()
    }

    pub async fn ping(&self) -> Result<()> {
        let _: String = self.conn.query(&redis::cmd("PING")).await?;
        Ok(())
    }

    /// For long-running roles at start: fails only when the TLS setup is wrong (a
    /// certificate that does not verify), which no retry would cure.
    pub async fn check_tls(&self) -> Result<()> {
        self.conn.check_tls().await
    }

    /// For long-running roles at start: [`Self::check_tls`], then the server's version
    /// (Redis 7 or newer: the scripts carry its flags). A server that does not answer
    /// yet is not an error here: the role waits for it like for any outage.
    pub async fn check_server(&self) -> Result<()> {
        self.check_tls().await?;
        let mut cmd = redis::cmd("INFO");
        cmd.arg("server");
        let Ok(texts) = self.conn.query_each::<String>(&cmd).await else {
            return Ok(());
        };
        for text in texts {
            if let Some(version) = info::info_field(&text, "redis_version")
                && !info::supported_version(&version)
            {
                return Err(crate::Error::RedisTooOld {
                    url: self.url().to_string(),
                    version,
                });
            }
        }
        Ok(())
    }

    /// A warning when Redis may evict keys (any `maxmemory-policy` but `noeviction`, on
    /// any master of a cluster).
    pub async fn eviction_warning(&self) -> Option<String> {
        let mut cmd = redis::cmd("CONFIG");
        cmd.arg("GET").arg("maxmemory-policy");
        let reply: Result<Vec<Vec<String>>> = self.conn.query_each(&cmd).await;
        let lost = "Redis may evict job keys under memory pressure and jobs will be LOST; set `maxmemory-policy noeviction`";
        match reply {
            Ok(answers) => {
                let policies: Vec<Option<&str>> = answers
                    .iter()
                    .map(|v| v.get(1).map(String::as_str))
                    .collect();
                if policies.contains(&None) {
                    return Some("could not read redis maxmemory-policy; make sure it is noeviction or jobs may be lost".into());
                }
                let evicting: Vec<&str> = policies
                    .into_iter()
                    .flatten()
                    .filter(|p| *p != "noeviction")
                    .collect();
                match (evicting.first(), answers.len()) {
                    (None, _) => None,
                    (Some(policy), 1) => {
                        Some(format!("redis maxmemory-policy is {policy:?}: {lost}"))
                    }
                    (Some(policy), n) => Some(format!(
                        "redis maxmemory-policy is {policy:?} on {} of {n} masters: {lost}",
                        evicting.len()
                    )),
                }
            }
            Err(e) => Some(format!(
                "could not check redis maxmemory-policy ({e}); make sure it is noeviction or jobs may be lost"
            )),
        }
    }

    /// The current time of the Redis server (ms); on a cluster, the clock of the master
    /// that keeps the worker registry (heartbeats are stamped by it).
    pub async fn time_ms(&self) -> Result<i64> {
        let (secs, micros): (i64, i64) = self
            .conn
            .query_near(&self.keys.workers(), &redis::cmd("TIME"))
            .await?;
        Ok(secs * 1000 + micros / 1000)
    }

    /// Raw INFO text of one section (bench and top read memory and CPU from it); on a
    /// cluster the masters' numbers are summed.
    pub async fn info(&self, section: &str) -> Result<String> {
        self.conn.info(section).await
    }

    /// Deletes every key of the namespace (bench cleanup, tests). SCAN-based, on every
    /// master of a cluster.
    pub async fn delete_namespace(&self) -> Result<u64> {
        let pattern = format!("{}:*", self.keys.namespace());
        let keys = self.conn.scan(&pattern).await?;
        let mut deleted = 0u64;
        // a cluster splits a many-key UNLINK by slot and sums the answers
        for batch in keys.chunks(1000) {
            deleted += self
                .conn
                .query::<u64>(redis::cmd("UNLINK").arg(batch))
                .await?;
        }
        Ok(deleted)
    }
}

/// Cuts text to at most `max` bytes on a character boundary.
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
