//! Redis behind Sentinel: a connection that follows the master the sentinels name.
//!
//! Why more than "ask the sentinels once": after `SENTINEL FAILOVER` the old master keeps
//! accepting writes for about ten seconds, until the sentinels turn it into a replica, and
//! every write it takes in that time is thrown away when it does. So:
//! - every write is followed by `WAIT 1` while the master has a replica: a write no replica
//!   acknowledged is reported as "unavailable" (the caller retries), never as done. The old
//!   master loses its replica the moment the failover promotes it, so nothing it takes from
//!   then on is acknowledged;
//! - a monitor asks the sentinels every second (and at once after a failure that smells of a
//!   failover: a lost connection, `READONLY`, `MASTERDOWN`, a write without acknowledgement)
//!   and switches to the master with the highest config epoch; blocking pops and
//!   subscriptions see the switch through [`SentinelConn::changes`] and reconnect;
//! - a master without any replica (the new master until the old one has rejoined, or a
//!   setup that lost its replicas) takes writes without `WAIT`, unless a sentinel reports a
//!   failover in progress: that is exactly the window in which an old master must not be
//!   trusted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::FutureExt;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use tokio::sync::{Notify, watch};

use super::target::{Node, RedisTarget};

/// How often the monitor asks the sentinels when nothing went wrong.
const MONITOR_PERIOD: Duration = Duration::from_secs(1);
/// Longest wait for one sentinel's answer.
const SENTINEL_TIMEOUT: Duration = Duration::from_millis(800);
/// Longest wait for a replica to acknowledge a write. A `WAIT` holds up everything queued
/// behind it on the shared connection, so it stays short; a write that times out is only
/// reported as unavailable and retried by the caller.
const WAIT_MS: u64 = 500;

/// Commands mlqd sends that never write: no `WAIT` after them.
const READS: &[&str] = &[
    "GET",
    "MGET",
    "STRLEN",
    "GETRANGE",
    "HGET",
    "HMGET",
    "HGETALL",
    "HLEN",
    "HEXISTS",
    "HKEYS",
    "HVALS",
    "HSCAN",
    "LLEN",
    "LRANGE",
    "LINDEX",
    "ZCARD",
    "ZCOUNT",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGE",
    "ZREVRANGEBYSCORE",
    "ZRANK",
    "ZSCORE",
    "ZMSCORE",
    "ZSCAN",
    "SMEMBERS",
    "SCARD",
    "SISMEMBER",
    "SMISMEMBER",
    "SSCAN",
    "EXISTS",
    "TYPE",
    "TTL",
    "PTTL",
    "SCAN",
    "KEYS",
    "INFO",
    "TIME",
    "PING",
    "ECHO",
    "CONFIG",
    "ROLE",
    "CLIENT",
    "DBSIZE",
    "XRANGE",
    "XREVRANGE",
    "XLEN",
    "XREAD",
    "EVALSHA_RO",
    "EVAL_RO",
    "WAIT",
    "MEMORY",
    "OBJECT",
];

/// The master in use.
#[derive(Clone)]
struct Master {
    node: Node,
    client: redis::Client,
    conn: ConnectionManager,
    /// Writes wait for one replica's acknowledgement.
    replicated: bool,
}

/// What one sentinel says about the master.
#[derive(Clone, Debug, PartialEq)]
struct View {
    node: Node,
    epoch: u64,
    failover: bool,
    down: bool,
}

struct Shared {
    target: RedisTarget,
    name: String,
    cm_config: ConnectionManagerConfig,
    master: Mutex<Option<Master>>,
    /// One check at a time; a second caller waits and reuses the outcome.
    checking: tokio::sync::Mutex<()>,
    /// Bumped on every switch of master.
    generation: watch::Sender<u64>,
    nudge: Notify,
    monitor_started: AtomicBool,
    /// Set when a write went unacknowledged: writes fail at once (instead of queueing up
    /// behind `WAIT`s that time out one after the other) until the next check clears it.
    suspect: AtomicBool,
    sentinels: tokio::sync::Mutex<Vec<Option<MultiplexedConnection>>>,
    /// A connection of its own to the master for `ROLE`, so a check never queues behind
    /// the data connection's `WAIT`s.
    control: tokio::sync::Mutex<Option<(Node, MultiplexedConnection)>>,
}

/// A multiplexed connection to whichever server the sentinels name as master. Cheap to
/// clone; connects on first use.
#[derive(Clone)]
pub(crate) struct SentinelConn {
    shared: Arc<Shared>,
}

impl SentinelConn {
    pub fn new(target: RedisTarget, op_timeout: Duration) -> Self {
        let name = target.master_name().unwrap_or_default().to_string();
        let sentinels = target.nodes.iter().map(|_| None).collect();
        let cm_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(op_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(300));
        SentinelConn {
            shared: Arc::new(Shared {
                target,
                name,
                cm_config,
                master: Mutex::new(None),
                checking: tokio::sync::Mutex::new(()),
                generation: watch::channel(0).0,
                nudge: Notify::new(),
                monitor_started: AtomicBool::new(false),
                suspect: AtomicBool::new(false),
                sentinels: tokio::sync::Mutex::new(sentinels),
                control: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// A client for the current master (asking the sentinels first if none is known), and
    /// the generation it belongs to; for the dedicated connections (blocking pops,
    /// subscriptions), which reconnect when [`Self::changes`] moves on.
    pub async fn master_client(&self) -> RedisResult<(redis::Client, u64)> {
        let m = self.master().await?;
        Ok((m.client, *self.shared.generation.borrow()))
    }

    /// Ticks whenever the master changes.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.shared.generation.subscribe()
    }

    /// The generation of the master in use.
    pub fn generation(&self) -> u64 {
        *self.shared.generation.borrow()
    }

    /// Tells the monitor to ask the sentinels now (a dedicated connection saw a failure).
    pub fn suspect(&self, err: &RedisError) {
        if smells_of_failover(err) {
            self.shared.nudge.notify_one();
        }
    }

    fn current(&self) -> Option<Master> {
        lock(&self.shared.master).clone()
    }

    async fn master(&self) -> RedisResult<Master> {
        if let Some(m) = self.current() {
            return Ok(m);
        }
        self.start_monitor();
        let _one = self.shared.checking.lock().await;
        // another caller may have found it while we waited
        if let Some(m) = self.current() {
            return Ok(m);
        }
        self.check_locked().await?;
        self.current()
            .ok_or_else(|| unavailable("no master known yet"))
    }

    /// Asks the sentinels and switches master (or the `WAIT` policy) when they say so.
    async fn check(&self) -> RedisResult<()> {
        self.start_monitor();
        let _one = self.shared.checking.lock().await;
        self.check_locked().await
    }

    /// [`Self::check`] for a caller that holds the `checking` lock.
    async fn check_locked(&self) -> RedisResult<()> {
        let shared = &self.shared;
        let views = self.ask_sentinels().await;
        if views.is_empty() {
            return Err(unavailable("no sentinel answered"));
        }
        let failover = views.iter().any(|v| v.failover);
        let Some(best) = views
            .iter()
            .filter(|v| !v.down)
            .max_by_key(|v| v.epoch)
            .cloned()
        else {
            return Err(unavailable("the sentinels see the master down"));
        };
        let current = self.current();
        let mut master = match current {
            Some(m) if m.node == best.node => m,
            _ => {
                let client = self
                    .shared
                    .target
                    .client(&best.node.host, best.node.port)
                    .map_err(|e| {
                        RedisError::from((ErrorKind::InvalidClientConfig, "client", e.to_string()))
                    })?;
                let conn = ConnectionManager::new_lazy_with_config(
                    client.clone(),
                    shared.cm_config.clone(),
                )?;
                Master {
                    node: best.node.clone(),
                    client,
                    conn,
                    replicated: true,
                }
            }
        };
        let replicas = match self.role_replicas(&master).await? {
            Some(n) => n,
            // The named master is no master (yet): keep what we have.
            None => {
                return Err(unavailable(
                    "the master the sentinels name is not a master yet",
                ));
            }
        };
        shared.suspect.store(false, Ordering::SeqCst);
        // Without a replica there is nothing to wait for, unless a failover is under way:
        // then this may be an old master whose writes are about to be thrown away.
        master.replicated = replicas > 0 || failover;
        let mut slot = lock(&shared.master);
        let switched = slot.as_ref().is_none_or(|m| m.node != master.node);
        let was_replicated = slot.as_ref().map(|m| m.replicated);
        if switched {
            tracing::info!(master = %master.node, "following the redis master the sentinels name");
        } else if was_replicated == Some(true) && !master.replicated {
            tracing::warn!(master = %master.node, "the redis master has no replica: writes are not replicated until one connects");
        } else if was_replicated == Some(false) && master.replicated {
            tracing::info!(master = %master.node, "a replica is connected: writes wait for it again");
        }
        *slot = Some(master);
        drop(slot);
        if switched {
            shared.generation.send_modify(|g| *g += 1);
        }
        Ok(())
    }

    /// Every sentinel's view, asked at once; the ones that do not answer are left out.
    async fn ask_sentinels(&self) -> Vec<View> {
        let shared = &self.shared;
        let mut cache = shared.sentinels.lock().await;
        let asks = shared.target.nodes.iter().zip(cache.iter_mut()).map(|(node, conn)| {
            let target = &shared.target;
            let name = shared.name.as_str();
            async move {
                let answer = tokio::time::timeout(SENTINEL_TIMEOUT, async {
                    if conn.is_none() {
                        let client = target.sentinel_client(node).map_err(|e| {
                            RedisError::from((ErrorKind::InvalidClientConfig, "sentinel", e.to_string()))
                        })?;
                        let cfg = redis::AsyncConnectionConfig::new()
                            .set_connection_timeout(Some(SENTINEL_TIMEOUT))
                            .set_response_timeout(Some(SENTINEL_TIMEOUT));
                        *conn = Some(client.get_multiplexed_async_connection_with_config(&cfg).await?);
                    }
                    let Some(c) = conn.as_mut() else {
                        return Err(unavailable("no sentinel connection"));
                    };
                    redis::cmd("SENTINEL")
                        .arg("MASTER")
                        .arg(name)
                        .query_async::<HashMap<String, String>>(c)
                        .await
                })
                .await;
                match answer {
                    Ok(Ok(fields)) => view(&fields),
                    Ok(Err(e)) => {
                        tracing::debug!(sentinel = %node, error = %e, "sentinel did not answer");
                        *conn = None;
                        None
                    }
                    Err(_) => {
                        *conn = None;
                        None
                    }
                }
            }
        });
        futures::future::join_all(asks)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// `ROLE` of the master over the control connection: its number of connected replicas,
    /// None when it is not a master.
    async fn role_replicas(&self, master: &Master) -> RedisResult<Option<usize>> {
        let mut control = self.shared.control.lock().await;
        if control.as_ref().is_none_or(|(n, _)| *n != master.node) {
            let cfg = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(SENTINEL_TIMEOUT))
                .set_response_timeout(Some(SENTINEL_TIMEOUT));
            let conn = master
                .client
                .get_multiplexed_async_connection_with_config(&cfg)
                .await?;
            *control = Some((master.node.clone(), conn));
        }
        let Some((_, conn)) = control.as_mut() else {
            return Err(unavailable("no control connection"));
        };
        let role: RedisResult<Value> = redis::cmd("ROLE").query_async(conn).await;
        let role = match role {
            Ok(r) => r,
            Err(e) => {
                *control = None;
                return Err(e);
            }
        };
        let Value::Array(parts) = role else {
            return Ok(None);
        };
        let is_master = matches!(parts.first(), Some(Value::BulkString(b)) if b == b"master");
        if !is_master {
            return Ok(None);
        }
        Ok(Some(match parts.get(2) {
            Some(Value::Array(replicas)) => replicas.len(),
            _ => 0,
        }))
    }

    fn start_monitor(&self) {
        if self.shared.monitor_started.swap(true, Ordering::SeqCst) {
            return;
        }
        tokio::spawn(monitor(Arc::downgrade(&self.shared)));
    }

    /// A write on a master whose last write went unacknowledged fails at once.
    fn refuse_write(&self) -> bool {
        if self.shared.suspect.load(Ordering::SeqCst) {
            self.shared.nudge.notify_one();
            return true;
        }
        false
    }

    fn unacknowledged(&self) -> RedisError {
        self.shared.suspect.store(true, Ordering::SeqCst);
        self.shared.nudge.notify_one();
        not_replicated()
    }

    async fn send(&self, cmd: &Cmd) -> RedisResult<Value> {
        let master = self.master().await?;
        let mut conn = master.conn.clone();
        let wait = master.replicated && writes(cmd);
        if wait && self.refuse_write() {
            return Err(not_replicated());
        }
        let result = if wait {
            let mut pipe = redis::pipe();
            pipe.add_command(cmd.clone())
                .cmd("WAIT")
                .arg(1)
                .arg(WAIT_MS);
            match conn.req_packed_commands(&pipe, 0, 2).await {
                Ok(mut values) if values.len() == 2 => {
                    let acks = values.pop();
                    let reply = values.pop().unwrap_or(Value::Nil).extract_error();
                    match (reply, acks) {
                        (Err(e), _) => Err(e),
                        (Ok(v), Some(Value::Int(n))) if n >= 1 => Ok(v),
                        (Ok(_), _) => Err(self.unacknowledged()),
                    }
                }
                Ok(_) => Err(RedisError::from((
                    ErrorKind::UnexpectedReturnType,
                    "WAIT pipeline answered the wrong number of replies",
                ))),
                Err(e) => Err(e),
            }
        } else {
            conn.req_packed_command(cmd).await
        };
        if let Err(e) = &result {
            self.suspect(e);
        }
        result
    }

    async fn send_pipeline(
        &self,
        pipeline: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        let master = self.master().await?;
        let mut conn = master.conn.clone();
        let wait = master.replicated && pipeline.cmd_iter().any(writes);
        if wait && self.refuse_write() {
            return Err(not_replicated());
        }
        let result = if wait && !pipeline.is_transaction() {
            let mut pipe = pipeline.clone();
            pipe.cmd("WAIT").arg(1).arg(WAIT_MS);
            match conn.req_packed_commands(&pipe, offset, count + 1).await {
                Ok(mut values) => match values.pop() {
                    Some(Value::Int(n)) if n >= 1 => Ok(values),
                    _ => Err(self.unacknowledged()),
                },
                Err(e) => Err(e),
            }
        } else {
            let values = conn.req_packed_commands(pipeline, offset, count).await;
            match values {
                Ok(v) if wait => {
                    // a transaction: WAIT on its own, right after it, on the same connection
                    let acks: RedisResult<i64> = redis::cmd("WAIT")
                        .arg(1)
                        .arg(WAIT_MS)
                        .query_async(&mut conn)
                        .await;
                    match acks {
                        Ok(n) if n >= 1 => Ok(v),
                        Ok(_) => Err(self.unacknowledged()),
                        Err(e) => Err(e),
                    }
                }
                other => other,
            }
        };
        if let Err(e) = &result {
            self.suspect(e);
        }
        result
    }
}

impl ConnectionLike for SentinelConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        async move {
            match self.send(cmd).await {
                // The master was turned into a replica under us: a write was refused, so it
                // is safe to ask the sentinels and send it once more.
                Err(e) if e.kind() == ErrorKind::Server(redis::ServerErrorKind::ReadOnly) => {
                    let before = self.generation();
                    if self.check().await.is_ok() && self.generation() != before {
                        self.send(cmd).await
                    } else {
                        Err(e)
                    }
                }
                other => other,
            }
        }
        .boxed()
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        async move { self.send_pipeline(pipeline, offset, count).await }.boxed()
    }

    fn get_db(&self) -> i64 {
        self.shared.target.db
    }
}

/// Asks the sentinels every second, or at once when nudged, while any connection lives
/// (it ends within a second of the last one being dropped).
async fn monitor(shared: Weak<Shared>) {
    loop {
        {
            let Some(s) = shared.upgrade() else { return };
            tokio::select! {
                _ = s.nudge.notified() => {}
                _ = tokio::time::sleep(MONITOR_PERIOD) => {}
            }
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Err(e) = (SentinelConn { shared }).check().await {
            tracing::debug!(error = %e, "sentinel check failed");
        }
    }
}

fn view(fields: &HashMap<String, String>) -> Option<View> {
    let flags = fields.get("flags")?;
    Some(View {
        node: Node {
            host: fields.get("ip")?.clone(),
            port: fields.get("port")?.parse().ok()?,
        },
        epoch: fields
            .get("config-epoch")
            .and_then(|e| e.parse().ok())
            .unwrap_or(0),
        failover: flags.contains("failover_in_progress"),
        down: flags.contains("s_down") || flags.contains("o_down"),
    })
}

/// Whether a command may write (anything but the reads mlqd sends).
fn writes(cmd: &Cmd) -> bool {
    let Some(redis::Arg::Simple(name)) = cmd.args_iter().next() else {
        return true;
    };
    !READS
        .iter()
        .any(|r| r.as_bytes().eq_ignore_ascii_case(name))
}

/// Errors after which the master may have moved.
fn smells_of_failover(e: &RedisError) -> bool {
    use redis::ServerErrorKind as S;
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || matches!(
            e.kind(),
            ErrorKind::Server(S::ReadOnly | S::MasterDown | S::BusyLoading)
        )
        || e.code() == Some("UNBLOCKED")
}

/// An I/O-kind error (what callers retry) that prints as just `why`.
fn unavailable(why: &'static str) -> RedisError {
    RedisError::from(std::io::Error::other(why))
}

fn not_replicated() -> RedisError {
    unavailable(
        "no replica acknowledged the write in time (a failover may be under way); it may not have been kept",
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests;
