//! LeaseRenewer: every third of a lease, extends the leases of all in-flight jobs, one call
//! per queue. It runs apart from the handlers, so a CPU-bound model never loses its lease
//! while its worker lives. Jobs whose lease is gone (cancelled, or taken over) are stopped.
//! It also renews at once when the cancel subscription comes (back) up: a job cancelled
//! while it was down stops then, not up to a third of a lease later.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Shared, StopReason};
use crate::job::{JobId, QueueName};

pub(crate) struct LeaseRenewer {
    shared: Arc<Shared>,
}

impl LeaseRenewer {
    pub fn new(shared: Arc<Shared>) -> Self {
        LeaseRenewer { shared }
    }

    pub async fn run(self, stop: CancellationToken) {
        let every = self.shared.config.lease / 3;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
                _ = self.shared.renew_now.notified() => {}
            }
            self.tick().await;
        }
    }

    async fn tick(&self) {
        let mut by_queue: HashMap<QueueName, Vec<(String, u32)>> = HashMap::new();
        for (id, f) in self.shared.inflight().iter() {
            by_queue
                .entry(id.queue().clone())
                .or_default()
                .push((id.ulid().to_string(), f.attempt));
        }
        for (queue, jobs) in by_queue {
            let renewed = self
                .shared
                .broker
                .renew(
                    &queue,
                    &self.shared.config.id,
                    self.shared.config.lease,
                    &jobs,
                )
                .await;
            match renewed {
                Ok(lost) => {
                    for ulid in lost {
                        let id = JobId::from_parts(&queue, &ulid);
                        if self.shared.stop_job(&id, StopReason::LeaseLost) {
                            tracing::warn!(job = %id, "lease lost (cancelled, or taken over after expiry); stopping the handler");
                        }
                    }
                }
                Err(e) => tracing::warn!(queue = %queue, error = %e, "could not renew leases"),
            }
        }
    }
}
