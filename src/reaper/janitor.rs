//! Janitor: deletes dead jobs older than the retention (finished jobs expire by their own
//! TTL; the dead-letter set is also capped at insert), and makes jobs' output streams
//! follow their jobs: each stream due for a check (the `streams` index) is kept while its
//! job lives, given the done record's TTL once the job is done, deleted once the job is
//! gone. Runs every 30 intervals.

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count};
use crate::backoff::pause;
use crate::broker::{Broker, StreamCheck};
use crate::error::Result;
use crate::job::JobId;

const LIMIT: usize = 1000;

pub(crate) struct Janitor {
    broker: Broker,
    config: ReaperConfig,
}

impl Janitor {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Janitor { broker, config }
    }

    pub async fn run(self, stop: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "could not trim dead jobs or expire output streams; retrying later");
            }
            if !pause(&stop, self.config.interval * 30).await {
                return;
            }
        }
    }

    async fn tick(&self) -> Result<()> {
        for queue in self.broker.queue_names().await? {
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
}
