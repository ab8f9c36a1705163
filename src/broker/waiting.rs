//! Waiting without polling: the wake-up lists idle workers block on, and pub/sub.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::claim::parse_claim;
use super::conn::PubSub;
use super::pops::{Pop, Pops};
use super::{Broker, ClaimedJob, QueueKeys};
use crate::error::Result;
use crate::job::QueueName;

/// A message from a pub/sub channel.
#[derive(Clone, Debug)]
pub struct Message {
    pub channel: String,
    pub payload: String,
}

impl Broker {
    /// Dedicated connections for blocking on the queues' wake-up lists, claiming in the
    /// same round trip.
    pub fn waker(&self) -> Waker {
        Waker {
            broker: self.clone(),
            pops: self.conn.pops(),
        }
    }

    /// Subscribes to channels on a fresh connection.
    pub async fn subscribe(&self, channels: &[String]) -> Result<Subscription> {
        Ok(Subscription {
            inner: self.conn.subscribe(channels).await?,
        })
    }
}

/// A live pub/sub subscription.
pub struct Subscription {
    inner: PubSub,
}

impl Subscription {
    /// The next message; None when the connection is gone.
    pub async fn next(&mut self) -> Option<Message> {
        let (channel, payload) = self.inner.next().await?;
        Some(Message { channel, payload })
    }

    /// Checks that the connection still answers.
    pub async fn ping(&mut self) -> Result<()> {
        self.inner.ping().await
    }
}

/// What an idle wait brought.
#[derive(Debug, Default)]
pub struct Woken {
    /// A wake-up token came on some queue.
    pub woken: bool,
    /// The jobs the claims riding behind the pops took (each claimed for this worker and
    /// started: see [`Waker::wait`]).
    pub jobs: Vec<ClaimedJob>,
    /// Every queue's claim ran (none failed): the periodic claim is done.
    pub claimed_all: bool,
    /// When no job came: how soon a scheduled job falls due or a limit may let one start.
    pub next_due: Option<Duration>,
    /// A queue's wait failed although others answered (its claim may have run).
    pub failed: Option<crate::Error>,
}

/// An idle worker's wait: one connection per queue (see `pops.rs`), each blocking on the
/// queue's wake-up list with a claim pipelined behind, so a job posted to an idle worker
/// reaches it in the pop's own round trip. Reconnects on the next wait after an error.
pub struct Waker {
    broker: Broker,
    pops: Pops,
}

impl Waker {
    /// Blocks until a job arrives on one of the queues (and claims up to `max` jobs of
    /// that queue in the same round trip, all handed straight to handlers), `timeout`
    /// passes or `stop` fires. Jobs are returned even when an error is too (the error is
    /// then only logged): a claim that ran is never thrown away.
    pub async fn wait(
        &mut self,
        queues: &[QueueName],
        worker: &str,
        max: usize,
        lease: Duration,
        timeout: Duration,
        stop: &CancellationToken,
    ) -> Result<Woken> {
        let b = &self.broker;
        let keys: Vec<QueueKeys> = queues.iter().map(|q| b.keys.queue(q)).collect();
        let pops: Vec<Pop> = keys
            .iter()
            .zip(queues)
            .map(|(k, q)| {
                let claim = b
                    .claim_call(k, q, worker, max, max, lease)
                    .into_invocation();
                Pop {
                    wake: k.wake(),
                    claim,
                }
            })
            .collect();
        let waited = self.pops.wait(&pops, timeout, stop).await?;
        let mut out = Woken {
            woken: waited.woken,
            claimed_all: waited.error.is_none() && waited.claims.len() == queues.len(),
            ..Default::default()
        };
        for (i, v) in waited.claims {
            let Some(q) = queues.get(i) else { continue };
            match parse_claim(q, v) {
                Ok(c) => {
                    for d in [c.next_due, c.held].into_iter().flatten() {
                        out.next_due = Some(out.next_due.map_or(d, |x| x.min(d)));
                    }
                    out.jobs.extend(c.jobs);
                }
                Err(e) => {
                    out.claimed_all = false;
                    tracing::warn!(error = %e, queue = %q, "odd claim reply");
                }
            }
        }
        match waited.error {
            Some(e) if out.jobs.is_empty() && !out.woken => Err(e),
            Some(e) => {
                tracing::debug!(error = %e, "a wake-up wait failed on one queue");
                out.failed = Some(e);
                Ok(out)
            }
            None => Ok(out),
        }
    }
}
