//! Notifier: sends the callbacks of jobs that ended with no worker to send them: cancelled
//! before they ran, or buried by a recovery pass after losing their worker. The scripts
//! that end such jobs list them (when they have a callback URL); the leader takes them off
//! the list and hands each to the hook, which reads the final status and POSTs it.
//! A leader that dies between taking and sending loses those few callbacks (callbacks are
//! a notification; the status stays readable).

use tokio_util::sync::CancellationToken;

use super::{FinalHook, ReaperConfig, count, periodic};
use crate::broker::Broker;
use crate::error::Result;

/// Jobs taken per call.
const LIMIT: usize = 200;

pub(crate) struct Notifier {
    broker: Broker,
    config: ReaperConfig,
    hook: Option<FinalHook>,
}

impl Notifier {
    pub fn new(broker: Broker, config: ReaperConfig, hook: Option<FinalHook>) -> Self {
        Notifier {
            broker,
            config,
            hook,
        }
    }

    pub async fn run(self, stop: CancellationToken) {
        // a leader that cannot send callbacks leaves the list to one that can
        let Some(hook) = self.hook.clone() else {
            return;
        };
        let failed = "could not take the jobs awaiting callbacks; retrying";
        let (this, hook, stop) = (&self, &hook, &stop);
        let tick = move || async move { this.tick(hook, stop).await.map(|()| None) };
        periodic(stop, self.config.interval, failed, tick).await;
    }

    async fn tick(&self, hook: &FinalHook, stop: &CancellationToken) -> Result<()> {
        for queue in self.broker.queue_names().await? {
            loop {
                if stop.is_cancelled() {
                    return Ok(());
                }
                let ids = self.broker.take_notices(&queue, LIMIT).await?;
                count("notified", ids.len());
                let n = ids.len();
                for id in ids {
                    hook(id);
                }
                if n < LIMIT {
                    break;
                }
            }
        }
        Ok(())
    }
}
