//! Canceller: listens on the cancel channel and stops the handlers of this worker's jobs
//! that were cancelled. (Lease renewal catches a missed message within a third of a lease.)
//! The worker starts claiming once the subscription is up (or after a short wait), so a
//! job cancelled right after a fresh worker took it is not left to the renewal.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{Shared, StopReason};
use crate::job::JobId;

pub(crate) struct Canceller {
    shared: Arc<Shared>,
    /// Told once, when the first subscription is up.
    subscribed: Option<oneshot::Sender<()>>,
}

impl Canceller {
    pub fn new(shared: Arc<Shared>, subscribed: oneshot::Sender<()>) -> Self {
        Canceller {
            shared,
            subscribed: Some(subscribed),
        }
    }

    pub async fn run(mut self, stop: CancellationToken) {
        let channel = self.shared.broker.keys().cancel_channel();
        let mut subscribed = self.subscribed.take();
        crate::events::follow(
            &self.shared.broker,
            &channel,
            &stop,
            || {
                if let Some(tx) = subscribed.take() {
                    let _ = tx.send(());
                }
            },
            |payload| self.tick(payload),
        )
        .await;
    }

    fn tick(&self, payload: &str) {
        if let Ok(id) = payload.parse::<JobId>()
            && self.shared.stop_job(&id, StopReason::Cancelled)
        {
            tracing::info!(job = %id, "job cancelled; stopping its handler");
        }
    }
}
