//! What `mlqd top` shows, as plain data ([`Snapshot`]), and the [`Collector`] that reads it
//! from Redis through the broker, turning counters into per-second rates between reads.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::broker::info::{info_field, info_number};
use crate::error::Result;
use crate::job::{self, QueueTotals};

/// Samples of the throughput history kept for the sparkline.
const HISTORY: usize = 300;

/// One refresh of the view: everything the screen (or `--once`/`--json`) shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it was read, by the Redis clock (RFC 3339).
    pub taken_at: String,
    pub namespace: String,
    pub queues: Vec<QueueRow>,
    pub workers: Vec<WorkerRow>,
    /// Who holds the reaper leadership (a worker or `mlqd reaper` id), if anyone.
    pub leader: Option<String>,
    pub redis: RedisStats,
    /// Jobs succeeded per second over all queues, one sample per refresh, oldest first.
    pub throughput: Vec<f64>,
    /// Schedules (periodic jobs) by name, with their next run.
    #[serde(default)]
    pub schedules: Vec<ScheduleRow>,
}

/// One schedule and when it runs next.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleRow {
    pub name: String,
    pub queue: String,
    /// `every 30s` or `cron */5 * * * * (Europe/Paris)`.
    pub when: String,
    pub next_run: Option<String>,
}

impl Snapshot {
    /// The schedule due next, if any.
    pub fn next_schedule(&self) -> Option<&ScheduleRow> {
        self.schedules
            .iter()
            .filter(|s| s.next_run.is_some())
            .min_by(|a, b| a.next_run.cmp(&b.next_run))
    }
}

/// One queue's counts and rates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueRow {
    pub queue: String,
    pub pending: u64,
    pub scheduled: u64,
    pub active: u64,
    pub retry: u64,
    pub dead: u64,
    pub paused: bool,
    /// Rate and concurrency limits, if any.
    #[serde(default)]
    pub limits: Option<crate::limits::QueueLimits>,
    /// Jobs succeeded per second since the previous read (None on the first read).
    pub succeeded_per_s: Option<f64>,
    /// Failed attempts per second since the previous read (None on the first read).
    pub failed_per_s: Option<f64>,
    pub totals: QueueTotals,
}

/// One worker in the registry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerRow {
    pub id: String,
    pub host: String,
    pub queues: Vec<String>,
    /// Jobs running now.
    pub busy: u32,
    pub concurrency: u32,
    pub handler: String,
    pub last_heartbeat: String,
    /// Milliseconds since the last heartbeat, by the Redis clock.
    pub heartbeat_age_ms: i64,
}

/// What `INFO` says about the Redis server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RedisStats {
    /// The URL read (its password hidden), so an empty view says where it looked.
    #[serde(default)]
    pub url: String,
    pub version: String,
    /// `used_memory`, bytes.
    pub used_memory: u64,
    /// `instantaneous_ops_per_sec`.
    pub ops_per_sec: u64,
    pub connected_clients: u64,
}

impl Snapshot {
    /// Succeeded jobs per second over all queues (None before rates are known).
    pub fn succeeded_per_s(&self) -> Option<f64> {
        self.queues
            .iter()
            .map(|q| q.succeeded_per_s)
            .try_fold(0.0, |acc, r| r.map(|r| acc + r))
            .filter(|_| !self.queues.is_empty())
    }
}

/// Each queue's (succeeded, failed) totals at one read.
type Counters = HashMap<String, (u64, u64)>;

/// Reads snapshots; keeps the previous counters to turn them into rates.
pub struct Collector {
    broker: Broker,
    previous: Option<(Instant, Counters)>,
    history: VecDeque<f64>,
}

impl Collector {
    pub fn new(broker: Broker) -> Self {
        Collector {
            broker,
            previous: None,
            history: VecDeque::with_capacity(HISTORY),
        }
    }

    /// Reads every queue, the workers, the leader and the server's figures.
    pub async fn collect(&mut self) -> Result<Snapshot> {
        let b = self.broker.clone();
        let now_ms = b.time_ms().await?;
        let read_at = Instant::now();
        let mut queues = Vec::new();
        for q in b.queue_names().await? {
            let s = b.queue_stats(&q).await?;
            queues.push(QueueRow {
                queue: s.queue,
                pending: s.pending,
                scheduled: s.scheduled,
                active: s.active,
                retry: s.retry,
                dead: s.dead,
                paused: s.paused,
                limits: s.limits,
                succeeded_per_s: None,
                failed_per_s: None,
                totals: s.totals,
            });
        }
        let workers = b
            .workers()
            .await?
            .into_iter()
            .map(|w| WorkerRow {
                heartbeat_age_ms: (now_ms - w.seen_ms).max(0),
                id: w.id,
                host: w.host,
                queues: w.queues,
                busy: w.in_flight,
                concurrency: w.concurrency,
                handler: w.handler,
                last_heartbeat: w.last_heartbeat,
            })
            .collect();
        let leader = b.leader().await?;
        let mut schedules = Vec::new();
        for s in b.stored_schedules().await? {
            let Ok(spec) = s.spec() else { continue };
            schedules.push(ScheduleRow {
                when: spec.when(),
                name: s.name,
                queue: spec.queue,
                next_run: s.next_ms.map(job::format_ms),
            });
        }
        let memory = b.info("memory").await?;
        let stats = b.info("stats").await?;
        let server = b.info("server").await?;
        let clients = b.info("clients").await?;
        let redis = RedisStats {
            url: crate::broker::redact(&b.config().redis_url),
            version: info_field(&server, "redis_version").unwrap_or_default(),
            used_memory: info_number(&memory, "used_memory").unwrap_or(0),
            ops_per_sec: info_number(&stats, "instantaneous_ops_per_sec").unwrap_or(0),
            connected_clients: info_number(&clients, "connected_clients").unwrap_or(0),
        };
        self.rates(&mut queues, read_at);
        let mut snap = Snapshot {
            taken_at: job::format_ms(now_ms),
            namespace: b.keys().namespace().to_string(),
            queues,
            workers,
            leader,
            redis,
            throughput: Vec::new(),
            schedules,
        };
        if let Some(total) = snap.succeeded_per_s() {
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(total);
        }
        snap.throughput = self.history.iter().copied().collect();
        Ok(snap)
    }

    /// Fills in the per-second rates from the counters of the previous read.
    fn rates(&mut self, queues: &mut [QueueRow], read_at: Instant) {
        if let Some((at, prev)) = &self.previous {
            let secs = read_at.duration_since(*at).as_secs_f64();
            if secs > 0.0 {
                for q in queues.iter_mut() {
                    let (ok, failed) = prev.get(&q.queue).copied().unwrap_or((0, 0));
                    // a counter that went down (the namespace was reset) counts from zero
                    let delta = |now: u64, before: u64| now.saturating_sub(before) as f64 / secs;
                    q.succeeded_per_s = Some(delta(q.totals.succeeded, ok));
                    q.failed_per_s = Some(delta(q.totals.failed, failed));
                }
            }
        }
        let counters = queues
            .iter()
            .map(|q| (q.queue.clone(), (q.totals.succeeded, q.totals.failed)))
            .collect();
        self.previous = Some((read_at, counters));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_rate_needs_every_queue_rate() {
        let mut s = Snapshot::default();
        assert_eq!(s.succeeded_per_s(), None);
        s.queues.push(QueueRow {
            succeeded_per_s: Some(2.0),
            ..Default::default()
        });
        s.queues.push(QueueRow {
            succeeded_per_s: Some(3.5),
            ..Default::default()
        });
        assert_eq!(s.succeeded_per_s(), Some(5.5));
        s.queues[1].succeeded_per_s = None;
        assert_eq!(s.succeeded_per_s(), None);
    }
}
