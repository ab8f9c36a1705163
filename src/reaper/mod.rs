//! The reaper: leader-elected maintenance. Any number of processes may run it (every
//! worker does unless `--no-reaper`, and `mlqd reaper` does only this); one leads at a time.
//!
//! Duties, one file each, all run only while this process leads: `recoverer` (requeue
//! jobs whose lease expired or whose worker stopped heartbeating; bury those over their
//! stall budget), `forwarder` (promote due scheduled and retry jobs), `janitor` (trim dead
//! jobs past retention; output streams follow their jobs), `sweeper` (every job in exactly
//! one state structure; repairs counted), `notifier` (the callbacks of jobs that ended with
//! no worker to send them: cancelled before they ran, or buried after losing their
//! worker), `scheduler` (post the runs of schedules as they fall due, each once). Every
//! action is one script that re-checks state, so two leaders by mistake do no harm.

mod forwarder;
mod janitor;
mod leader;
mod notifier;
mod recoverer;
mod scheduler;
mod sweeper;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::backoff::pause;
use crate::broker::Broker;
use crate::error::Result;
use crate::job::JobId;

/// How the reaper runs.
#[derive(Clone, Debug)]
pub struct ReaperConfig {
    /// This process's identity in the leader lock (shown by `mlqd top`).
    pub id: String,
    /// How often the duties run.
    pub interval: Duration,
    /// Leader lock lifetime; renewed every third of it.
    pub leader_ttl: Duration,
    /// A worker silent for this long is gone: its jobs are requeued at once.
    pub worker_timeout: Duration,
    /// How often the invariant sweep runs.
    pub sweep_interval: Duration,
    /// How long dead jobs are kept.
    pub dead_retention: Duration,
}

impl ReaperConfig {
    pub fn new(id: impl Into<String>) -> Self {
        ReaperConfig {
            id: id.into(),
            interval: Duration::from_secs(1),
            leader_ttl: Duration::from_secs(10),
            worker_timeout: Duration::from_secs(10),
            sweep_interval: Duration::from_secs(600),
            dead_retention: crate::job::DEAD_TTL,
        }
    }
}

/// Called with each job that ended with no worker to report it (cancelled before it ran,
/// or buried after losing its worker), e.g. to send its callback.
pub type FinalHook = Arc<dyn Fn(JobId) + Send + Sync>;

/// Leader-elected maintenance; `run` until shutdown.
pub struct Reaper {
    broker: Broker,
    config: ReaperConfig,
    on_final: Option<FinalHook>,
}

impl Reaper {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Reaper {
            broker,
            config,
            on_final: None,
        }
    }

    /// Sets what happens to each job that ended with no worker to report it. Without a
    /// hook the leader leaves those jobs listed (capped) for one that has it.
    pub fn on_final(mut self, hook: FinalHook) -> Self {
        self.on_final = Some(hook);
        self
    }

    /// Sends those jobs' callbacks through `sender`.
    pub fn with_callbacks(self, sender: crate::callback::CallbackSender) -> Self {
        let broker = self.broker.clone();
        self.on_final(Arc::new(move |id: JobId| sender.notify(&broker, &id)))
    }

    /// Campaigns for leadership; while leading, runs the duties; on losing it, stops them
    /// at once and campaigns again. Releases the lock on shutdown.
    pub async fn run(self, shutdown: CancellationToken) {
        let leader = leader::Leader::new(
            self.broker.clone(),
            self.config.id.clone(),
            self.config.leader_ttl,
            self.config.interval,
        );
        metrics::gauge!("mlqd_reaper_leader").set(0.0);
        // every action's series exists from the start, so rate() sees the first one
        for action in ACTIONS {
            metrics::counter!("mlqd_reaper_actions_total", "action" => action).increment(0);
        }
        while let Some(term) = leader.campaign(&shutdown).await {
            metrics::gauge!("mlqd_reaper_leader").set(1.0);
            let duties = term.duties.clone();
            let b = &self.broker;
            let c = &self.config;
            tokio::join!(
                recoverer::Recoverer::new(b.clone(), c.clone()).run(duties.clone()),
                notifier::Notifier::new(b.clone(), c.clone(), self.on_final.clone())
                    .run(duties.clone()),
                forwarder::Forwarder::new(b.clone(), c.clone()).run(duties.clone()),
                janitor::Janitor::new(b.clone(), c.clone()).run(duties.clone()),
                sweeper::Sweeper::new(b.clone(), c.clone()).run(duties.clone()),
                scheduler::Scheduler::new(b.clone(), c.clone()).run(duties.clone()),
            );
            term.end().await;
            metrics::gauge!("mlqd_reaper_leader").set(0.0);
            if shutdown.is_cancelled() {
                break;
            }
        }
        leader.release().await;
    }
}

/// Every action the duties count.
const ACTIONS: [&str; 9] = [
    "requeued",
    "buried",
    "workers_pruned",
    "promoted",
    "trimmed",
    "repaired",
    "notified",
    "scheduled",
    "streams_deleted",
];

/// The shortest pause between two passes of a duty, so that none ever spins.
const MIN_PAUSE: Duration = Duration::from_millis(5);

/// Runs a duty until `stop` fires: a pass (`tick`), its error logged as `failed` (the duty
/// tries again on its next pass), then a pause of `period`, or less when the pass answers
/// the time until it is due again (never under [`MIN_PAUSE`]).
pub(crate) async fn periodic<F, Pass>(
    stop: &CancellationToken,
    period: Duration,
    failed: &'static str,
    mut tick: F,
) where
    F: FnMut() -> Pass,
    Pass: Future<Output = Result<Option<Duration>>>,
{
    loop {
        let wait = match tick().await {
            Ok(next) => next.map_or(period, |d| d.min(period)),
            Err(e) => {
                tracing::warn!(error = %e, "{failed}");
                period
            }
        };
        if !pause(stop, wait.max(MIN_PAUSE)).await {
            return;
        }
    }
}

/// Counts one kind of reaper action.
pub(crate) fn count(action: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!("mlqd_reaper_actions_total", "action" => action).increment(n as u64);
    }
}
