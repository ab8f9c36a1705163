//! Redis Cluster: the routed connection, what is read from every master (INFO, CONFIG,
//! SCAN), and blocking pops that cannot span slots.
//!
//! Design notes:
//! - Scripts and pipelines route by their first key; every key of one call shares the
//!   queue's (or the registry's) hash tag, so no call is ever CROSSSLOT.
//! - Events and cancels stay plain `PUBLISH` from the scripts: a Redis Cluster forwards every
//!   published message over the cluster bus to every node, so one subscription on any node
//!   hears the messages of every queue, and the events code is the same as on one server.
//!   Sharded pub/sub (`SPUBLISH`) would spare the bus the fan-out but would need one
//!   subscription per slot owner and a hub that tracks queues and slot moves; the broadcast
//!   costs one message per state change per node, which is small next to the scripts.
//! - Idle workers block on the queues' wake-up lists with `BLPOP`, which takes keys of one
//!   slot only: [`SlotWaiter`] keeps one dedicated connection per slot (found by following
//!   `MOVED`), blocks on all at once, and when one wakes unblocks the others with
//!   `CLIENT UNBLOCK` so no stale `BLPOP` swallows a token meant for another worker.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, Route, RoutingInfo, SingleNodeRoutingInfo, Slot, SlotAddr,
};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::target::{Node, RedisTarget};

/// A connection to a Redis Cluster, made on first use (so a process can start while the
/// cluster is down). Cheap to clone.
#[derive(Clone)]
pub(crate) struct ClusterConn {
    client: Arc<ClusterClient>,
    conn: Arc<tokio::sync::Mutex<Option<ClusterConnection>>>,
}

impl ClusterConn {
    pub fn new(client: ClusterClient) -> Self {
        ClusterConn {
            client: Arc::new(client),
            conn: Arc::default(),
        }
    }

    async fn get(&self) -> RedisResult<ClusterConnection> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = self.client.get_async_connection().await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Sends `cmd` to every master; the answers by node address ("host:port").
    pub async fn each_master(&self, cmd: Cmd) -> RedisResult<Vec<(String, Value)>> {
        let mut c = self.get().await?;
        let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
        by_node(c.route_command(cmd, routing).await?)
    }

    /// Sends a keyless `cmd` to the master of `key`'s slot.
    pub async fn near(&self, key: &str, cmd: Cmd) -> RedisResult<Value> {
        let mut c = self.get().await?;
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(
            Route::with_key(key, SlotAddr::Master),
        ));
        c.route_command(cmd, routing).await?.extract_error()
    }

    /// Sends `cmd` to one node.
    pub async fn on_node(&self, node: &Node, cmd: Cmd) -> RedisResult<Value> {
        let mut c = self.get().await?;
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
            host: node.host.clone(),
            port: node.port,
        });
        c.route_command(cmd, routing).await?.extract_error()
    }

    /// The masters' addresses, from `CLUSTER SLOTS`.
    pub async fn masters(&self) -> RedisResult<Vec<Node>> {
        let mut c = self.get().await?;
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SLOTS");
        masters_of(&c.route_command(cmd, routing).await?)
    }
}

impl ConnectionLike for ClusterConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        async move { self.get().await?.req_packed_command(cmd).await }.boxed()
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        async move {
            self.get()
                .await?
                .req_packed_commands(pipeline, offset, count)
                .await
        }
        .boxed()
    }

    fn get_db(&self) -> i64 {
        0
    }
}

/// The answer of a command sent to several nodes, as (address, value) pairs.
fn by_node(v: Value) -> RedisResult<Vec<(String, Value)>> {
    let pairs = match v {
        Value::Map(pairs) => pairs,
        other => return Ok(vec![(String::new(), other)]),
    };
    pairs
        .into_iter()
        .map(|(k, v)| Ok((redis::from_redis_value::<String>(k)?, v.extract_error()?)))
        .collect()
}

/// The distinct master addresses of a `CLUSTER SLOTS` answer.
fn masters_of(slots: &Value) -> RedisResult<Vec<Node>> {
    let bad = || RedisError::from((ErrorKind::UnexpectedReturnType, "odd CLUSTER SLOTS answer"));
    let Value::Array(ranges) = slots else {
        return Err(bad());
    };
    let mut out: Vec<Node> = Vec::new();
    for range in ranges {
        let Value::Array(parts) = range else {
            return Err(bad());
        };
        let Some(Value::Array(master)) = parts.get(2) else {
            return Err(bad());
        };
        let host: String = master
            .first()
            .cloned()
            .map(redis::from_redis_value)
            .transpose()?
            .ok_or_else(bad)?;
        let port: u16 = master
            .get(1)
            .cloned()
            .map(redis::from_redis_value)
            .transpose()?
            .ok_or_else(bad)?;
        let node = Node { host, port };
        if !out.contains(&node) {
            out.push(node);
        }
    }
    Ok(out)
}

/// One blocking connection for the wake-up lists of one slot.
struct Group {
    keys: Vec<String>,
    /// Where the slot was last found (learned from `MOVED`); a seed until then.
    node: Node,
    conn: Option<(MultiplexedConnection, i64)>,
}

/// A pop in flight: its group and its answer.
type PopFuture = BoxFuture<'static, PopAnswer>;
type PopAnswer = (usize, RedisResult<Value>);

/// Pops being released in the background after a wait returned.
struct Releasing {
    /// The pop that answered (its connection is free).
    first: usize,
    /// The answers, or None when some pop was still blocked after the grace.
    task: tokio::task::JoinHandle<Option<Vec<PopAnswer>>>,
}

/// Blocks on wake-up lists spread over a cluster's slots.
pub(crate) struct SlotWaiter {
    target: RedisTarget,
    cluster: ClusterConn,
    keys: Vec<String>,
    groups: Vec<Group>,
    /// A wait was dropped while its pops were in flight: their connections are not to be
    /// trusted (a late reply would land in the next wait).
    interrupted: bool,
    releasing: Option<Releasing>,
}

/// How long a dropped pop may take to come back after `CLIENT UNBLOCK`.
const UNBLOCK_GRACE: Duration = Duration::from_secs(1);

impl SlotWaiter {
    pub fn new(target: RedisTarget, cluster: ClusterConn) -> Self {
        SlotWaiter {
            target,
            cluster,
            keys: Vec::new(),
            groups: Vec::new(),
            interrupted: false,
            releasing: None,
        }
    }

    fn regroup(&mut self, keys: &[String]) {
        if self.keys == keys {
            return;
        }
        let mut by_slot: Vec<(Slot, Vec<String>)> = Vec::new();
        for k in keys {
            let slot = Slot::for_key(k);
            match by_slot.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, ks)) => ks.push(k.clone()),
                None => by_slot.push((slot, vec![k.clone()])),
            }
        }
        let seeds = &self.target.nodes;
        self.groups = by_slot
            .into_iter()
            .map(|(_, keys)| keys)
            .enumerate()
            .map(|(i, keys)| Group {
                keys,
                node: seeds[i % seeds.len()].clone(),
                conn: None,
            })
            .collect();
        self.keys = keys.to_vec();
    }

    /// Blocks until a token arrives on one of `keys` or `timeout` passes; true when woken.
    pub async fn wait(&mut self, keys: &[String], timeout: Duration) -> RedisResult<bool> {
        self.collect_released().await;
        if std::mem::replace(&mut self.interrupted, true) {
            for g in &mut self.groups {
                g.conn = None;
            }
        }
        self.regroup(keys);
        // A `MOVED` (the slot lives elsewhere, learned on first use or after a reshard)
        // is followed at once, a few times at most.
        let mut out = self.wait_groups(timeout).await;
        for _ in 0..3 {
            match &out {
                Err(e) if e.redirect_node().is_some() => out = self.wait_groups(timeout).await,
                _ => break,
            }
        }
        self.interrupted = false;
        out
    }

    async fn wait_groups(&mut self, timeout: Duration) -> RedisResult<bool> {
        for g in &mut self.groups {
            if g.conn.is_none() {
                g.conn = Some(connect(&self.target, &g.node).await?);
            }
        }
        let secs = format!("{:.3}", timeout.as_secs_f64().max(0.01));
        let guard = timeout + Duration::from_secs(2);
        let mut pops: Vec<PopFuture> = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            let Some((conn, _)) = g.conn.as_ref() else {
                continue;
            };
            let mut conn = conn.clone();
            let mut cmd = redis::cmd("BLPOP");
            cmd.arg(&g.keys).arg(&secs);
            pops.push(
                async move {
                    let r = tokio::time::timeout(guard, cmd.query_async::<Value>(&mut conn)).await;
                    (i, r.unwrap_or_else(|_| Err(lost_pop())))
                }
                .boxed(),
            );
        }
        if pops.is_empty() {
            return Ok(false);
        }
        let ((first, result), _, rest) = futures::future::select_all(pops).await;
        let mut outcome = self.settle(first, result);
        if rest.is_empty() {
            return outcome;
        }
        if !matches!(outcome, Ok(false)) {
            // Woken (or failed): release the other pops in the background, so the worker
            // claims at once; the next wait collects them first.
            self.releasing = Some(self.release(first, rest));
            return outcome;
        }
        // Timed out: the others time out at the same moment.
        match tokio::time::timeout(UNBLOCK_GRACE, futures::future::join_all(rest)).await {
            Ok(results) => {
                for (i, r) in results {
                    match self.settle(i, r) {
                        Ok(true) => outcome = Ok(true),
                        Ok(false) => {}
                        Err(e) => {
                            if outcome.is_ok() {
                                outcome = Err(e);
                            }
                        }
                    }
                }
            }
            Err(_) => self.close_all_but(first),
        }
        outcome
    }

    /// Unblocks the pops still in flight (`CLIENT UNBLOCK` on their nodes), waits for their
    /// answers and puts back a token one of them took after all.
    fn release(&self, first: usize, rest: Vec<PopFuture>) -> Releasing {
        let cluster = self.cluster.clone();
        let blocked: Vec<(Node, i64)> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != first)
            .filter_map(|(_, g)| g.conn.as_ref().map(|(_, id)| (g.node.clone(), *id)))
            .collect();
        let first_keys: Vec<Option<String>> = self
            .groups
            .iter()
            .map(|g| g.keys.first().cloned())
            .collect();
        let task = tokio::spawn(async move {
            let unblocks = blocked.into_iter().map(|(node, id)| {
                let cluster = cluster.clone();
                async move {
                    let mut cmd = redis::cmd("CLIENT");
                    cmd.arg("UNBLOCK").arg(id);
                    if let Err(e) = cluster.on_node(&node, cmd).await {
                        tracing::debug!(error = %e, "could not unblock a wake-up wait");
                    }
                }
            });
            futures::future::join_all(unblocks).await;
            let results =
                tokio::time::timeout(UNBLOCK_GRACE, futures::future::join_all(rest)).await;
            if let Ok(results) = &results {
                for (i, r) in results {
                    if let (Ok(v), Some(Some(key))) = (r, first_keys.get(*i))
                        && *v != Value::Nil
                    {
                        reoffer(&cluster, key).await;
                    }
                }
            }
            results.ok()
        });
        Releasing { first, task }
    }

    /// Collects the pops a previous wait left to release.
    async fn collect_released(&mut self) {
        let Some(Releasing { first, task }) = self.releasing.take() else {
            return;
        };
        match task.await {
            Ok(Some(results)) => {
                for (i, r) in results {
                    // a token among them was already put back
                    let _ = self.settle(i, r);
                }
            }
            // still blocked (or the task died): do not trust those connections
            _ => self.close_all_but(first),
        }
    }

    fn close_all_but(&mut self, first: usize) {
        for (i, g) in self.groups.iter_mut().enumerate() {
            if i != first {
                g.conn = None;
            }
        }
    }

    /// Reads one pop's answer: woken, timed out, or an error (after which the group
    /// reconnects, to the node a `MOVED` names).
    fn settle(&mut self, i: usize, r: RedisResult<Value>) -> RedisResult<bool> {
        let Some(g) = self.groups.get_mut(i) else {
            return Ok(false);
        };
        match r {
            Ok(Value::Nil) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => {
                if let Some(node) = e.redirect_node().and_then(|(addr, _)| parse_addr(addr)) {
                    g.node = node;
                }
                g.conn = None;
                Err(e)
            }
        }
    }
}

/// Puts back a token a released pop took after all (at most one token per list).
async fn reoffer(cluster: &ClusterConn, key: &str) {
    let mut pipe = redis::pipe();
    pipe.rpush(key, 1).ignore().ltrim(key, 0, 0).ignore();
    let mut cluster = cluster.clone();
    let r: RedisResult<()> = pipe.query_async(&mut cluster).await;
    if let Err(e) = r {
        tracing::debug!(error = %e, "could not put a wake-up token back");
    }
}

/// `host:port` as a MOVED names it (IPv6 hosts contain colons: the port is after the last).
fn parse_addr(addr: &str) -> Option<Node> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some(Node {
        host: host.to_string(),
        port: port.parse().ok()?,
    })
}

/// A blocking connection to one node, and its client id (for `CLIENT UNBLOCK`).
async fn connect(target: &RedisTarget, node: &Node) -> RedisResult<(MultiplexedConnection, i64)> {
    let client = target
        .client(&node.host, node.port)
        .map_err(|e| RedisError::from((ErrorKind::InvalidClientConfig, "client", e.to_string())))?;
    let cfg = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(None);
    let mut conn = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection_with_config(&cfg),
    )
    .await
    .map_err(|_| lost_pop())??;
    let id: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut conn)
        .await?;
    Ok((conn, id))
}

fn lost_pop() -> RedisError {
    RedisError::from(std::io::Error::other("no answer from redis in time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_slots_name_the_masters_once() {
        let node = |h: &str, p: i64| {
            Value::Array(vec![
                Value::BulkString(h.as_bytes().to_vec()),
                Value::Int(p),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let slots = Value::Array(vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node("10.0.0.1", 7000),
            ]),
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                node("10.0.0.2", 7001),
                node("10.0.0.9", 7009),
            ]),
            Value::Array(vec![
                Value::Int(10923),
                Value::Int(16383),
                node("10.0.0.1", 7000),
            ]),
        ]);
        let masters = masters_of(&slots).unwrap();
        assert_eq!(
            masters,
            vec![
                Node {
                    host: "10.0.0.1".into(),
                    port: 7000
                },
                Node {
                    host: "10.0.0.2".into(),
                    port: 7001
                }
            ]
        );
        assert!(masters_of(&Value::Int(1)).is_err());
    }

    #[test]
    fn slots_and_addresses() {
        // the same hash tag means the same slot
        assert_eq!(
            Slot::for_key("ns:{q}:wake"),
            Slot::for_key("ns:{q}:pending")
        );
        assert_eq!(Slot::for_key("{q}"), Slot::for_key("ns:{q}:wake"));
        assert_ne!(Slot::for_key("ns:{q}:wake"), Slot::for_key("ns:{r}:wake"));
        assert_eq!(
            parse_addr("127.0.0.1:7001"),
            Some(Node {
                host: "127.0.0.1".into(),
                port: 7001
            })
        );
        assert_eq!(
            parse_addr("::1:7001"),
            Some(Node {
                host: "::1".into(),
                port: 7001
            })
        );
        assert_eq!(parse_addr("nonsense"), None);
    }
}
