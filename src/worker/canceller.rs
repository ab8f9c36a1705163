//! Canceller: listens on the cancel channel and stops the handlers of this worker's jobs
//! that were cancelled. (Lease renewal catches a missed message within a third of a lease.)

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Shared, StopReason, pause};
use crate::job::JobId;

pub(crate) struct Canceller {
    shared: Arc<Shared>,
}

impl Canceller {
    pub fn new(shared: Arc<Shared>) -> Self {
        Canceller { shared }
    }

    pub async fn run(self, stop: CancellationToken) {
        let channel = self.shared.broker.keys().cancel_channel();
        let mut backoff = Duration::from_millis(100);
        while !stop.is_cancelled() {
            let mut sub = match self
                .shared
                .broker
                .subscribe(std::slice::from_ref(&channel))
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(error = %e, "cancel subscription failed; retrying");
                    if !pause(&stop, backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            let mut ping = tokio::time::interval(Duration::from_secs(5));
            ping.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    msg = sub.next() => match msg {
                        Some(m) => self.tick(&m.payload),
                        None => break,
                    },
                    _ = ping.tick() => if sub.ping().await.is_err() { break },
                }
            }
        }
    }

    fn tick(&self, payload: &str) {
        if let Ok(id) = payload.parse::<JobId>()
            && self.shared.stop_job(&id, StopReason::Cancelled)
        {
            tracing::info!(job = %id, "job cancelled; stopping its handler");
        }
    }
}
