//! Canceller: listens on the cancel channel and stops the handlers of this worker's jobs
//! that were cancelled (a cancel that comes before the answer of the claim that took its
//! job is kept, and stops the job as it arrives). Each time its subscription comes (back) up it has the lease renewer
//! renew at once, which finds the jobs cancelled while no message could be heard (a worker
//! that claimed before its first subscription, a lost connection).
//! The worker starts claiming once the subscription is up (or after a short wait), so a
//! job cancelled right after a fresh worker took it is not left to the renewal.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::Shared;
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
                self.shared.renew_now.notify_one();
            },
            |payload| self.tick(payload),
        )
        .await;
    }

    fn tick(&self, payload: &str) {
        if let Ok(id) = payload.parse::<JobId>()
            && self.shared.cancelled(id.clone())
        {
            tracing::info!(job = %id, "job cancelled; stopping its handler");
        }
    }
}
