//! Janitor: deletes dead jobs older than the retention (finished jobs expire by their own
//! TTL; the dead-letter set is also capped at insert), and makes jobs' output streams
//! follow their jobs: each stream due for a check (the `streams` index) is kept while its
//! job lives, given the done record's TTL once the job is done, deleted once the job is
//! gone. Logs dead jobs deleted past the cap (`--dead-max`). Runs every 30 intervals.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count, periodic};
use crate::broker::{Broker, StreamCheck};
use crate::error::Result;
use crate::job::{JobId, QueueName};

const LIMIT: usize = 1000;

pub(crate) struct Janitor {
    broker: Broker,
    config: ReaperConfig,
    /// Each queue's `trimmed` total when last read: a rise is logged. (Behind a lock only
    /// so that a pass can borrow the janitor shared.)
    trimmed: Mutex<HashMap<QueueName, u64>>,
}

impl Janitor {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Janitor {
            broker,
            config,
            trimmed: Mutex::new(HashMap::new()),
        }
    }

    pub async fn run(self, stop: CancellationToken) {
        let failed = "could not trim dead jobs or expire output streams; retrying later";
        let period = self.config.interval * 30;
        let this = &self;
        let tick = move || async move { this.tick().await.map(|()| None) };
        periodic(&stop, period, failed, tick).await;
    }

    async fn tick(&self) -> Result<()> {
        for queue in self.broker.queue_names().await? {
            self.log_trimmed(&queue).await?;
            loop {
                let n = self
                    .broker
                    .trim_dead(&queue, self.config.dead_retention, LIMIT)
                    .await?;
                count("trimmed", n as usize);
                if (n as usize) < LIMIT {
                    break;
                }
            }
            loop {
                let due = self.broker.due_streams(&queue, LIMIT).await?;
                for ulid in &due {
                    let id = JobId::from_parts(&queue, ulid);
                    if self.broker.check_stream(&id).await? == StreamCheck::Deleted {
                        count("streams_deleted", 1);
                    }
                }
                if due.len() < LIMIT {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Logs the dead jobs a queue lost to its cap (`--dead-max`) since the last look (the
    /// scripts that bury count them; they cannot log).
    async fn log_trimmed(&self, queue: &QueueName) -> Result<()> {
        let total = self.broker.queue_stats(queue).await?.totals.trimmed;
        let mut trimmed = self.trimmed.lock().unwrap_or_else(|p| p.into_inner());
        let before = trimmed.insert(queue.clone(), total).unwrap_or(0);
        drop(trimmed);
        if total > before {
            tracing::warn!(queue = %queue, trimmed = total - before, total, "dead jobs over the dead-letter cap (--dead-max) deleted, oldest first");
        }
        Ok(())
    }
}
