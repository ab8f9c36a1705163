//! Notifier: sends the callbacks of jobs that ended with no worker to send them: cancelled
//! before they ran, or buried by a recovery pass after losing their worker. The scripts
//! that end such jobs list them (when they have a callback URL); the leader takes them off
//! the list and hands each to the hook, which reads the final status and POSTs it.
//! A leader that dies between taking and sending loses those few callbacks (callbacks are
//! a notification; the status stays readable).

use tokio_util::sync::CancellationToken;

use super::{FinalHook, ReaperConfig, count};
use crate::backoff::pause;
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
        loop {
            if let Err(e) = self.tick(&hook, &stop).await {
                tracing::warn!(error = %e, "could not take the jobs awaiting callbacks; retrying");
            }
            if !pause(&stop, self.config.interval).await {
                return;
            }
        }
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
