//! The connection to Redis, behind one small type. Every command, pipeline and script call
//! of the broker goes through [`Conn`], and so do the blocking pops and pub/sub; nothing
//! else in the broker names a redis-rs connection type.
//!
//! One `Conn` reaches any deployment the URL names ([`RedisTarget`]):
//! - one server (`redis://`, `rediss://`): a `ConnectionManager` (one multiplexed
//!   connection that reconnects by itself), plus fresh connections from the same client for
//!   what blocks;
//! - Sentinel: [`SentinelConn`] follows the master the sentinels name (see `sentinel.rs`);
//!   blocking pops and subscriptions reconnect when it switches;
//! - Cluster: [`ClusterConn`] routes each call by its first key (every call's keys share a
//!   slot); blocking pops get one connection per slot ([`SlotWaiter`]), subscriptions sit on
//!   any node (published messages reach every node), and what is read per server (INFO,
//!   CONFIG, SCAN) is read on every master.
//!
//! Every failure leaves here classified (`Error::Unavailable` / `OutOfMemory` /
//! `RedisReply`) and naming the URL without its password.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use redis::aio::{
    ConnectionLike, ConnectionManager, MultiplexedConnection, PubSubSink, PubSubStream,
};
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, Value};
use tokio::sync::watch;

use super::cluster::ClusterConn;
use super::info::merge_info;
use super::pops::{Blocking, Pops};
use super::scripts::Invocation;
use super::sentinel::SentinelConn;
use super::target::{Node, RedisTarget, Topology};
use super::tls::TlsFiles;
use crate::error::{Error, Result};

/// Longest wait for a new connection before the call fails as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The shared connection to Redis, cheap to clone.
#[derive(Clone)]
pub(crate) struct Conn {
    target: Arc<RedisTarget>,
    shared: Shared,
    /// The URL without its password, for messages.
    url: Arc<str>,
    op_timeout: Duration,
    /// Which seed a cluster subscription tries first (moves on after a failure).
    next_seed: Arc<AtomicUsize>,
}

/// The multiplexed connection of each deployment.
#[derive(Clone)]
enum Shared {
    Single {
        /// Shared: this enum is cloned for every call.
        client: Arc<redis::Client>,
        cm: ConnectionManager,
    },
    Sentinel(SentinelConn),
    Cluster(ClusterConn),
}

impl Conn {
    /// Prepares the connection; it is made on first use, so a process can start while
    /// Redis is down and carry on when it returns. A URL or TLS file that is wrong is an
    /// `Error::Invalid` here, before anything is tried.
    pub fn open(url: &str, tls: &TlsFiles, op_timeout: Duration) -> Result<Conn> {
        // Installing twice is harmless: the first provider stays.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let target = RedisTarget::parse(url, tls)?;
        let shown: Arc<str> = target.to_string().into();
        let shared = match &target.topology {
            Topology::Single => {
                let client = target.single_client()?;
                // no response timeout of its own: `run` bounds every exchange (the wait for
                // a reconnection too), and a second timer per call cost a timer-wheel entry
                // made and cleared on every request; a connection's handshake stays bounded
                // by the connection timeout
                let cm = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(None)
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                let cm = ConnectionManager::new_lazy_with_config(client.clone(), cm)
                    .map_err(|e| Error::from_redis(&e, &shown))?;
                Shared::Single {
                    client: Arc::new(client),
                    cm,
                }
            }
            Topology::Sentinel { .. } => {
                Shared::Sentinel(SentinelConn::new(target.clone(), op_timeout))
            }
            Topology::Cluster => Shared::Cluster(ClusterConn::new(
                target.cluster_client(CONNECT_TIMEOUT, op_timeout)?,
            )),
        };
        Ok(Conn {
            target: Arc::new(target),
            shared,
            url: shown,
            op_timeout,
            next_seed: Arc::default(),
        })
    }

    /// The URL without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(super) fn error(&self, e: &redis::RedisError) -> Error {
        Error::from_redis(e, &self.url)
    }

    /// Runs one exchange under the operation timeout, so nothing hangs on a dead server.
    async fn run<T>(&self, fut: impl Future<Output = redis::RedisResult<T>>) -> Result<T> {
        match tokio::time::timeout(self.op_timeout, fut).await {
            Ok(r) => r.map_err(|e| self.error(&e)),
            Err(_) => Err(Error::no_answer(&self.url, self.op_timeout)),
        }
    }

    /// One command.
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let mut c = self.shared.clone();
        self.run(async move { cmd.query_async(&mut c).await }).await
    }

    /// A pipeline. Its keys must share one hash slot (every queue's keys do; so do the
    /// registry's), so it stays one round trip on any deployment.
    pub async fn pipe<T: FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T> {
        let mut c = self.shared.clone();
        self.run(async move { pipe.query_async(&mut c).await })
            .await
    }

    /// One script call (EVALSHA, loading the script on NOSCRIPT).
    pub async fn invoke(&self, inv: &Invocation) -> Result<Value> {
        let mut c = self.shared.clone();
        self.run(async move {
            match inv.cmd.query_async::<Value>(&mut c).await {
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    inv.script.load_async(&mut c).await?;
                    inv.cmd.query_async(&mut c).await
                }
                other => other,
            }
        })
        .await
    }

    /// A keyless command sent to the server that holds `key` (on a cluster, the master of
    /// its slot; elsewhere the one server), e.g. `TIME` from the clock the key's scripts
    /// read.
    pub async fn query_near<T: FromRedisValue>(&self, key: &str, cmd: &redis::Cmd) -> Result<T> {
        match &self.shared {
            Shared::Cluster(c) => {
                let v = self.run(c.near(key, cmd.clone())).await?;
                T::from_redis_value(v).map_err(|e| self.error(&e.into()))
            }
            _ => self.query(cmd).await,
        }
    }

    /// A command sent to every server that holds data (the masters of a cluster; the one
    /// server otherwise), each answer in turn.
    pub async fn query_each<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<Vec<T>> {
        match &self.shared {
            Shared::Cluster(c) => {
                let answers = self.run(c.each_master(cmd.clone())).await?;
                answers
                    .into_iter()
                    .map(|(_, v)| T::from_redis_value(v).map_err(|e| self.error(&e.into())))
                    .collect()
            }
            _ => Ok(vec![self.query(cmd).await?]),
        }
    }

    /// `INFO <section>` of the whole deployment: a cluster's masters summed (see
    /// [`merge_info`]).
    pub async fn info(&self, section: &str) -> Result<String> {
        let mut cmd = redis::cmd("INFO");
        cmd.arg(section);
        let texts: Vec<String> = self.query_each(&cmd).await?;
        Ok(match texts.len() {
            1 => texts.into_iter().next().unwrap_or_default(),
            _ => merge_info(&texts),
        })
    }

    /// Every key matching `pattern` (SCAN, on every master of a cluster).
    pub async fn scan(&self, pattern: &str) -> Result<Vec<String>> {
        let nodes: Vec<Option<Node>> = match &self.shared {
            Shared::Cluster(c) => self.run(c.masters()).await?.into_iter().map(Some).collect(),
            _ => vec![None],
        };
        let mut found = Vec::new();
        for node in nodes {
            let mut cursor: u64 = 0;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000);
                let (next, keys): (u64, Vec<String>) = match (&node, &self.shared) {
                    (Some(n), Shared::Cluster(c)) => {
                        let v = self.run(c.on_node(n, scan)).await?;
                        redis::from_redis_value(v).map_err(|e| self.error(&e.into()))?
                    }
                    _ => self.query(&scan).await?,
                };
                found.extend(keys);
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(found)
    }

    /// A check for long-running roles at start: Ok unless the TLS setup is wrong (a
    /// certificate that does not verify is not an outage to wait out). Any other failure
    /// is left to the retries of the role.
    pub async fn check_tls(&self) -> Result<()> {
        if !self.target.is_tls() {
            return Ok(());
        }
        let mut c = self.shared.clone();
        let ping = tokio::time::timeout(
            self.op_timeout,
            redis::cmd("PING").query_async::<Value>(&mut c),
        )
        .await;
        match ping {
            Ok(Err(e)) if crate::error::is_tls_setup(&e) => Err(self.error(&e)),
            _ => Ok(()),
        }
    }

    /// The blocking pops of one waiter (a worker's idle wait on its queues).
    pub fn pops(&self) -> Pops {
        Pops::new(self.clone())
    }

    /// Where the `i`-th blocking connection of a waiter starts out: on a cluster a seed
    /// (a `MOVED` then names the slot's master), elsewhere the one server (None).
    pub(super) fn seed(&self, i: usize) -> Option<Node> {
        match &self.shared {
            Shared::Cluster(_) => {
                let seeds = &self.target.nodes;
                seeds.get(i % seeds.len().max(1)).cloned()
            }
            _ => None,
        }
    }

    /// Behind Sentinel, the generation of the master followed now.
    pub(super) fn generation(&self) -> Option<u64> {
        match &self.shared {
            Shared::Sentinel(s) => Some(s.generation()),
            _ => None,
        }
    }

    /// Tells the Sentinel follower about an error seen on a connection of its own.
    pub(super) fn suspect(&self, e: &redis::RedisError) {
        if let Shared::Sentinel(s) = &self.shared {
            s.suspect(e);
        }
    }

    /// A connection of its own for blocking calls, with its client id: to `node` on a
    /// cluster, else to the server (the current master behind Sentinel).
    pub(super) async fn blocking(&self, node: Option<&Node>) -> Result<Blocking> {
        let (client, generation) = match node {
            Some(n) => (self.target.client(&n.host, n.port)?, None),
            None => self.dedicated_client().await?,
        };
        let mut conn = connect_blocking(self, &client).await?;
        let id: i64 = self
            .run(redis::cmd("CLIENT").arg("ID").query_async(&mut conn))
            .await?;
        Ok(Blocking {
            conn,
            id,
            generation,
        })
    }

    /// Ends a blocking call of the connection `id` (on `node` of a cluster) as if it had
    /// timed out.
    pub(super) async fn unblock(&self, node: Option<&Node>, id: i64) -> Result<()> {
        let mut cmd = redis::cmd("CLIENT");
        cmd.arg("UNBLOCK").arg(id);
        match (node, &self.shared) {
            (Some(n), Shared::Cluster(c)) => {
                self.run(c.on_node(n, cmd)).await?;
            }
            _ => {
                let _: Value = self.query(&cmd).await?;
            }
        }
        Ok(())
    }

    /// A connection of its own for what blocks: on one server a fresh one, behind Sentinel
    /// one to the current master (with the generation it belongs to).
    async fn dedicated_client(&self) -> Result<(redis::Client, Option<u64>)> {
        match &self.shared {
            Shared::Single { client, .. } => Ok(((**client).clone(), None)),
            Shared::Sentinel(s) => {
                let (client, generation) = self.run(s.master_client()).await?;
                Ok((client, Some(generation)))
            }
            Shared::Cluster(_) => {
                let seeds = &self.target.nodes;
                let i = self.next_seed.load(Ordering::Relaxed) % seeds.len();
                let node = &seeds[i];
                Ok((self.target.client(&node.host, node.port)?, None))
            }
        }
    }

    /// A fresh connection subscribed to `channels`. Behind Sentinel it ends when the
    /// master changes (the caller subscribes again, to the new one); on a cluster it sits
    /// on one node and moves to the next seed after a failure.
    pub async fn subscribe(&self, channels: &[String]) -> Result<PubSub> {
        let (client, generation) = self.dedicated_client().await?;
        let follow = match (&self.shared, generation) {
            (Shared::Sentinel(s), Some(g)) => {
                let mut rx = s.changes();
                rx.mark_unchanged();
                // a switch between our lookup and now: end at once
                let same = *rx.borrow() == g;
                same.then_some(rx)
            }
            _ => None,
        };
        if matches!(self.shared, Shared::Sentinel(_)) && follow.is_none() {
            return Err(Error::Unavailable {
                url: self.url.to_string(),
                cause: "the redis master changed while subscribing".into(),
                maybe_applied: false,
            });
        }
        let subscribed = self
            .run(async move {
                let mut ps = client.get_async_pubsub().await?;
                for c in channels {
                    ps.subscribe(c).await?;
                }
                Ok(ps)
            })
            .await;
        let pubsub = match subscribed {
            Ok(ps) => ps,
            Err(e) => {
                self.next_seed.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        let (sink, stream) = pubsub.split();
        Ok(PubSub {
            sink,
            stream,
            url: self.url.clone(),
            op_timeout: self.op_timeout,
            follow,
        })
    }
}

impl ConnectionLike for Shared {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Shared::Single { cm, .. } => cm.req_packed_command(cmd),
            Shared::Sentinel(s) => s.req_packed_command(cmd),
            Shared::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Shared::Single { cm, .. } => cm.req_packed_commands(pipeline, offset, count),
            Shared::Sentinel(s) => s.req_packed_commands(pipeline, offset, count),
            Shared::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Shared::Single { cm, .. } => cm.get_db(),
            Shared::Sentinel(s) => s.get_db(),
            Shared::Cluster(c) => c.get_db(),
        }
    }
}

async fn connect_blocking(conn: &Conn, client: &redis::Client) -> Result<MultiplexedConnection> {
    let cfg = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(None);
    let limit = CONNECT_TIMEOUT * 2;
    tokio::time::timeout(
        limit,
        client.get_multiplexed_async_connection_with_config(&cfg),
    )
    .await
    .map_err(|_| Error::no_answer(&conn.url, limit))?
    .map_err(|e| conn.error(&e))
}

/// A subscribed pub/sub connection.
pub(crate) struct PubSub {
    sink: PubSubSink,
    stream: PubSubStream,
    url: Arc<str>,
    op_timeout: Duration,
    /// Behind Sentinel: ticks when the master changes, which ends this subscription.
    follow: Option<watch::Receiver<u64>>,
}

impl PubSub {
    /// The next (channel, payload); None when the connection is gone (or, behind Sentinel,
    /// the master changed).
    pub async fn next(&mut self) -> Option<(String, String)> {
        let msg = match self.follow.as_mut() {
            None => self.stream.next().await?,
            Some(rx) => {
                let switched = rx.changed().map(|_| ());
                tokio::select! {
                    m = self.stream.next() => m?,
                    _ = switched => return None,
                }
            }
        };
        Some((
            msg.get_channel_name().to_string(),
            msg.get_payload::<String>().unwrap_or_default(),
        ))
    }

    /// Checks that the connection still answers.
    pub async fn ping(&mut self) -> Result<()> {
        match tokio::time::timeout(self.op_timeout, self.sink.ping::<Value>()).await {
            Ok(r) => r.map(|_| ()).map_err(|e| Error::from_redis(&e, &self.url)),
            Err(_) => Err(Error::no_answer(&self.url, self.op_timeout)),
        }
    }
}
