//! Forwarder: moves due scheduled and retry jobs to pending, sleeping until the next one
//! is due (at most the reaper interval), so a delayed job starts within a second of its
//! time even when no worker is polling its queue.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count, periodic};
use crate::broker::Broker;
use crate::error::Result;

const LIMIT: usize = 1000;

pub(crate) struct Forwarder {
    broker: Broker,
    config: ReaperConfig,
}

impl Forwarder {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Forwarder { broker, config }
    }

    pub async fn run(self, stop: CancellationToken) {
        let failed = "could not promote due jobs; retrying";
        periodic(&stop, self.config.interval, failed, || self.tick()).await;
    }

    /// Promotes what is due; returns the time until the next due job.
    async fn tick(&self) -> Result<Option<Duration>> {
        let mut next: Option<Duration> = None;
        for queue in self.broker.queue_names().await? {
            loop {
                let (moved, due) = self.broker.promote(&queue, LIMIT).await?;
                count("promoted", moved as usize);
                if (moved as usize) < LIMIT {
                    if let Some(d) = due {
                        next = Some(next.map_or(d, |n| n.min(d)));
                    }
                    break;
                }
            }
        }
        Ok(next)
    }
}
