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
//! - Idle workers block on each queue's wake-up list over a connection per queue, on the
//!   master of the queue's slot (found by following `MOVED`): see `pops.rs`.

use std::sync::Arc;

use futures::FutureExt;
use redis::aio::ConnectionLike;
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr,
};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::target::Node;

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

#[cfg(test)]
mod tests {
    use super::super::pops::parse_addr;
    use super::*;
    use redis::cluster_routing::Slot;

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
