//! Canceller: listens on the cancel channel and stops the handlers of this worker's jobs
//! that were cancelled. (Lease renewal catches a missed message within a third of a lease.)

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Shared, StopReason};
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
        crate::events::follow(
            &self.shared.broker,
            &channel,
            &stop,
            || {},
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
