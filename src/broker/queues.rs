//! Queues as a whole: the queue set, counts per state, pause and resume.

use std::collections::HashMap;

use super::Broker;
use crate::error::Result;
use crate::job::{QueueName, QueueStats, QueueTotals};

impl Broker {
    /// Records the queue name in the namespace's queue set (once per process).
    pub(super) async fn register_queue(&self, queue: &QueueName) {
        // looked up first: inserting would clone the name on every enqueue
        let fresh = self
            .registered
            .lock()
            .map(|mut set| !set.contains(queue) && set.insert(queue.clone()))
            .unwrap_or(true);
        if !fresh {
            return;
        }
        let r: Result<i64> = self
            .conn
            .query(&redis::Cmd::sadd(self.keys.queues(), queue.as_str()))
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, queue = %queue, "could not register queue");
            if let Ok(mut set) = self.registered.lock() {
                set.remove(queue);
            }
        }
    }

    /// Every queue that has seen a job, sorted.
    pub async fn queue_names(&self) -> Result<Vec<QueueName>> {
        let names: Vec<String> = self
            .conn
            .query(&redis::Cmd::smembers(self.keys.queues()))
            .await?;
        let mut out: Vec<QueueName> = names
            .iter()
            .filter_map(|n| QueueName::new(n).ok())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Counts per state and totals of one queue (one pipeline, one hash slot).
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
            .hgetall(k.stats())
            .hgetall(k.limits());
        #[allow(clippy::type_complexity)]
        let (p, pr, sc, rt, ac, de, paused, totals, limits): (
            u64,
            u64,
            u64,
            u64,
            u64,
            u64,
            bool,
            HashMap<String, u64>,
            HashMap<String, String>,
        ) = self.conn.pipe(&pipe).await?;
        let t = |name: &str| totals.get(name).copied().unwrap_or(0);
        Ok(QueueStats {
            queue: queue.to_string(),
            // entries of jobs cancelled while pending stay in the list until popped
            pending: p.saturating_sub(t("stale")) + pr,
            scheduled: sc,
            active: ac,
            retry: rt,
            dead: de,
            paused,
            limits: super::limits::limits_of(&limits),
            totals: QueueTotals {
                enqueued: t("enqueued"),
                succeeded: t("succeeded"),
                failed: t("failed"),
                dead: t("dead"),
                cancelled: t("cancelled"),
                stalled: t("stalled"),
                requeued: t("requeued"),
                trimmed: t("trimmed"),
            },
        })
    }

    /// Stops handing out the queue's jobs (running ones finish).
    pub async fn pause(&self, queue: &QueueName) -> Result<()> {
        let key = self.keys.queue(queue).paused();
        let _: () = self.conn.query(&redis::Cmd::set(key, 1)).await?;
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
        let _: () = self.conn.pipe(&pipe).await?;
        Ok(())
    }
}
