//! Blocking pops: how an idle worker waits for work, one round trip from post to start.
//!
//! Each queue a worker serves gets a connection of its own (a blocking call would stall a
//! shared multiplexed connection; on a cluster each queue's keys live on its slot's master).
//! On it the worker writes one pipeline: `BLPOP wake` (the queue's wake-up token), then the
//! claim script. Redis runs the claim the moment the pop returns, and both replies come
//! back together: an idle worker receives its jobs from its blocking call. A pop that
//! times out is followed by the claim all the same: that is the idle worker's periodic
//! claim (promotion of due jobs, recovery of expired leases ride on it), so the worker
//! blocks again at once. Priorities, pause, limits and fencing all stay in the claim.
//!
//! When one queue's pop answers, the others are released with `CLIENT UNBLOCK` and their
//! answers (and the jobs their claims took) collected before the wait returns, so no claim
//! is ever lost. A stop does the same. `MOVED` (a cluster's slot found elsewhere) moves
//! that queue's connection to the node named, at once.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use redis::aio::MultiplexedConnection;
use redis::{RedisError, RedisResult, Value};
use tokio_util::sync::CancellationToken;

use super::conn::Conn;
use super::scripts::Invocation;
use super::target::Node;
use crate::error::{Error, Result};

/// How long released pops may take to answer after `CLIENT UNBLOCK`.
const UNBLOCK_GRACE: Duration = Duration::from_secs(1);
/// A pop's answer may come this long after its server-side timeout before the connection
/// is taken for dead.
const GUARD: Duration = Duration::from_secs(2);

/// One queue's blocking pop and the claim that rides behind it.
pub(crate) struct Pop {
    /// The queue's wake-up list.
    pub wake: String,
    pub claim: Invocation,
}

/// What one wait brought.
#[derive(Debug, Default)]
pub(crate) struct Waited {
    /// A wake-up token came on some queue.
    pub woken: bool,
    /// Each answering claim's reply, by index of its pop.
    pub claims: Vec<(usize, Value)>,
    /// A failure on some queue (the others' claims are still here).
    pub error: Option<Error>,
}

/// One queue's dedicated connection.
struct Lane {
    /// On a cluster: where the queue's slot was last found (a seed until a `MOVED`).
    node: Option<Node>,
    conn: Option<Blocking>,
}

/// A connection for blocking calls: its client id (for `CLIENT UNBLOCK`) and, behind
/// Sentinel, the master generation it was made for.
pub(super) struct Blocking {
    pub conn: MultiplexedConnection,
    pub id: i64,
    pub generation: Option<u64>,
}

/// The blocking pops of one waiter (a worker's idle wait on its queues).
pub(crate) struct Pops {
    conn: Conn,
    wakes: Vec<String>,
    lanes: Vec<Lane>,
    /// A wait was dropped while its pops were in flight: their connections are not to be
    /// trusted (a late reply would land in the next wait).
    interrupted: bool,
    /// The last wait met a `MOVED`.
    moved: bool,
}

type Answer = (usize, RedisResult<(Value, Value)>);

impl Pops {
    pub(super) fn new(conn: Conn) -> Self {
        Pops {
            conn,
            wakes: Vec::new(),
            lanes: Vec::new(),
            interrupted: false,
            moved: false,
        }
    }

    fn relane(&mut self, pops: &[Pop]) {
        if self.wakes.len() == pops.len() && self.wakes.iter().zip(pops).all(|(w, p)| *w == p.wake)
        {
            return;
        }
        self.lanes = (0..pops.len())
            .map(|i| Lane {
                node: self.conn.seed(i),
                conn: None,
            })
            .collect();
        self.wakes = pops.iter().map(|p| p.wake.clone()).collect();
    }

    /// Blocks until a wake-up token arrives on one of the queues, `timeout` passes or
    /// `stop` fires; every claim that ran comes back in the answer.
    pub async fn wait(
        &mut self,
        pops: &[Pop],
        timeout: Duration,
        stop: &CancellationToken,
    ) -> Result<Waited> {
        if std::mem::replace(&mut self.interrupted, true) {
            for l in &mut self.lanes {
                l.conn = None;
            }
        }
        self.relane(pops);
        let mut out = self.wait_lanes(pops, timeout, stop).await;
        // a MOVED is followed at once, a few times at most
        for _ in 0..3 {
            let idle = out.as_ref().is_ok_and(|w| !w.woken && w.claims.is_empty());
            if !(self.moved && idle) || stop.is_cancelled() {
                break;
            }
            out = self.wait_lanes(pops, timeout, stop).await;
        }
        self.interrupted = false;
        out
    }

    async fn wait_lanes(
        &mut self,
        pops: &[Pop],
        timeout: Duration,
        stop: &CancellationToken,
    ) -> Result<Waited> {
        self.moved = false;
        let generation = self.conn.generation();
        for l in &mut self.lanes {
            if l.conn.as_ref().is_some_and(|b| b.generation != generation) {
                l.conn = None; // behind Sentinel: the master changed
            }
            if l.conn.is_none() {
                l.conn = Some(self.conn.blocking(l.node.as_ref()).await?);
            }
        }
        let secs = format!("{:.3}", timeout.as_secs_f64().max(0.01));
        let guard = timeout + GUARD;
        let mut inflight: FuturesUnordered<_> = FuturesUnordered::new();
        for (i, (lane, pop)) in self.lanes.iter().zip(pops).enumerate() {
            let Some(b) = lane.conn.as_ref() else {
                continue;
            };
            let mut conn = b.conn.clone();
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            pipe.cmd("BLPOP").arg(&pop.wake).arg(&secs);
            pipe.add_command(pop.claim.cmd.clone());
            inflight.push(async move {
                let r = tokio::time::timeout(guard, pipe.query_async::<Vec<Value>>(&mut conn))
                    .await
                    .unwrap_or_else(|_| Err(lost_pop()))
                    .and_then(|mut v| match (v.pop(), v.pop()) {
                        (Some(claim), Some(pop)) => Ok((pop, claim)),
                        _ => Err(lost_pop()),
                    });
                (i, r)
            });
        }
        let mut out = Waited::default();
        let mut answered = vec![false; self.lanes.len()];
        let mut release_by: Option<tokio::time::Instant> = None;
        loop {
            let grace = async {
                match release_by {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let next: Option<Answer> = tokio::select! {
                a = inflight.next() => match a {
                    Some(a) => Some(a),
                    None => break,
                },
                _ = stop.cancelled(), if release_by.is_none() => None,
                _ = grace => {
                    // still blocked after the release: do not trust those connections
                    for (l, done) in self.lanes.iter_mut().zip(&answered) {
                        if !done {
                            l.conn = None;
                        }
                    }
                    break;
                }
            };
            let release = match next {
                Some((i, r)) => {
                    answered[i] = true;
                    self.settle(pops, i, r, &mut out).await
                }
                None => true,
            };
            if release && release_by.is_none() {
                release_by = Some(tokio::time::Instant::now() + UNBLOCK_GRACE);
                self.release(&answered).await;
            }
        }
        Ok(out)
    }

    /// Reads one queue's answer into `out`; true when the other pops should be released
    /// (woken, jobs came, or this lane failed).
    async fn settle(
        &mut self,
        pops: &[Pop],
        i: usize,
        r: RedisResult<(Value, Value)>,
        out: &mut Waited,
    ) -> bool {
        let (pop, claim) = match r {
            Ok(pair) => pair,
            Err(e) => {
                self.lane_failed(i, &e);
                out.error.get_or_insert_with(|| self.conn.error(&e));
                return true;
            }
        };
        if let Value::ServerError(_) = &pop {
            let e = pop.extract_error().err().unwrap_or_else(lost_pop);
            self.lane_failed(i, &e);
            out.error.get_or_insert_with(|| self.conn.error(&e));
            // the claim behind a refused pop was refused too (MOVED), or ran: its reply
            // is read below as it is
        } else if pop != Value::Nil {
            out.woken = true;
        }
        let claim = match claim {
            Value::ServerError(err) if err.kind() == Some(redis::ServerErrorKind::NoScript) => {
                // the script was not loaded on that server: load it and claim again
                match self.conn.invoke(&pops[i].claim).await {
                    Ok(v) => v,
                    Err(e) => {
                        out.error.get_or_insert(e);
                        return true;
                    }
                }
            }
            Value::ServerError(_) => {
                let e = claim.extract_error().err().unwrap_or_else(lost_pop);
                if e.redirect_node().is_none() {
                    out.error.get_or_insert_with(|| self.conn.error(&e));
                }
                return true;
            }
            v => v,
        };
        let took = claim_took_jobs(&claim);
        out.claims.push((i, claim));
        out.woken || took
    }

    fn lane_failed(&mut self, i: usize, e: &RedisError) {
        let Some(lane) = self.lanes.get_mut(i) else {
            return;
        };
        if let Some(node) = e.redirect_node().and_then(|(addr, _)| parse_addr(addr)) {
            lane.node = Some(node);
            self.moved = true;
        }
        lane.conn = None;
        self.conn.suspect(e);
    }

    /// Unblocks the pops that have not answered.
    async fn release(&self, answered: &[bool]) {
        let unblocks = self
            .lanes
            .iter()
            .zip(answered)
            .filter(|(_, done)| !**done)
            .filter_map(|(l, _)| l.conn.as_ref().map(|b| (l.node.clone(), b.id)))
            .map(|(node, id)| {
                let conn = self.conn.clone();
                async move {
                    if let Err(e) = conn.unblock(node.as_ref(), id).await {
                        tracing::debug!(error = %e, "could not unblock a wake-up wait");
                    }
                }
            });
        futures::future::join_all(unblocks).await;
    }
}

/// Whether a claim reply handed out jobs (more than its three leading fields).
fn claim_took_jobs(v: &Value) -> bool {
    matches!(v, Value::Array(items) if items.len() > 3)
}

/// `host:port` as a MOVED names it (IPv6 hosts contain colons: the port is after the last).
pub(super) fn parse_addr(addr: &str) -> Option<Node> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some(Node {
        host: host.to_string(),
        port: port.parse().ok()?,
    })
}

pub(super) fn lost_pop() -> RedisError {
    RedisError::from(std::io::Error::other("no answer from redis in time"))
}
