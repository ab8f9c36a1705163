//! Recoverer: requeues jobs whose lease expired and, at once, the running jobs of workers
//! whose heartbeat stopped; a job over its stall budget is dead ("worker lost"). Gone
//! workers leave the registry once their jobs are safe.

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count, periodic};
use crate::broker::Broker;
use crate::error::Result;

/// Jobs handled per script call.
const LIMIT: usize = 500;

pub(crate) struct Recoverer {
    broker: Broker,
    config: ReaperConfig,
}

impl Recoverer {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Recoverer { broker, config }
    }

    pub async fn run(self, stop: CancellationToken) {
        let failed = "could not recover lost jobs; retrying";
        let (this, stop) = (&self, &stop);
        let tick = move || async move { this.tick(stop).await.map(|()| None) };
        periodic(stop, self.config.interval, failed, tick).await;
    }

    async fn tick(&self, stop: &CancellationToken) -> Result<()> {
        // under OOM live workers' outcomes are refused while they wait: nothing is judged
        // lost until Redis takes writes again (their leases were renewed meanwhile)
        if self.broker.out_of_memory().await? {
            tracing::warn!(
                "redis is out of memory; not recovering leases nor pruning workers until it takes writes again"
            );
            return Ok(());
        }
        let gone = self
            .broker
            .stale_workers(self.config.worker_timeout)
            .await?;
        for queue in self.broker.queue_names().await? {
            loop {
                if stop.is_cancelled() {
                    return Ok(());
                }
                let r = self.broker.recover(&queue, &gone, LIMIT).await?;
                let n = r.requeued.len() + r.buried.len();
                for id in &r.requeued {
                    tracing::info!(job = %id, "requeued a job whose worker was lost");
                }
                // their callbacks go out through the notifier
                for id in &r.buried {
                    tracing::warn!(job = %id, "job lost its worker too often; it is dead");
                }
                count("requeued", r.requeued.len());
                count("buried", r.buried.len());
                if n < LIMIT {
                    break;
                }
            }
        }
        if !gone.is_empty() && !stop.is_cancelled() {
            let n = self.broker.worker_leave(&gone).await?;
            if n > 0 {
                tracing::info!(workers = %gone.join(","), "removed workers that stopped heartbeating");
                count("workers_pruned", n as usize);
            }
        }
        Ok(())
    }
}
