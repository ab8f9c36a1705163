//! Scheduler: posts the runs of schedules (periodic jobs) as they fall due, sleeping until
//! the next one is due (at most the reaper interval, so a schedule added meanwhile is seen
//! within it). Each run's job carries the idempotency key `cron:<name>:<due>`, and the
//! schedule moves on only by a script that checks nobody did first: two leaders, a restart
//! or a takeover post a run once. After downtime only the latest missed run is posted.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count, periodic};
use crate::broker::{Broker, NewJob, StoredSchedule};
use crate::error::Result;
use crate::job::{JobId, Payload};
use crate::schedule::ScheduleName;

/// Schedules handled per pass (the rest on the next, at once).
const LIMIT: usize = 100;

pub(crate) struct Scheduler {
    broker: Broker,
    config: ReaperConfig,
}

impl Scheduler {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Scheduler { broker, config }
    }

    pub async fn run(self, stop: CancellationToken) {
        let failed = "could not post due schedule runs; retrying";
        periodic(&stop, self.config.interval, failed, || self.tick()).await;
    }

    /// Posts every due run; returns the time until the next one is due.
    async fn tick(&self) -> Result<Option<Duration>> {
        let now = self.broker.time_ms().await?;
        let (due, later) = self.broker.schedules_due(now, LIMIT).await?;
        let full = due.len() == LIMIT;
        for (name, was) in due {
            if let Err(e) = self.run_one(&name, was, now).await {
                tracing::warn!(error = %e, schedule = %name, "could not post a schedule's run");
            }
        }
        if full {
            return Ok(Some(Duration::ZERO));
        }
        Ok(later.map(|at| Duration::from_millis((at - now).max(0) as u64)))
    }

    /// Posts the latest run of one schedule due at or before `now` (its due time was
    /// `was`), then moves it on.
    async fn run_one(&self, name: &str, was: i64, now: i64) -> Result<()> {
        let Some(stored) = self.broker.stored_schedule(name).await? else {
            return Ok(()); // deleted meanwhile
        };
        let sname = ScheduleName::new(name)?;
        let spec = stored.spec()?;
        let timing = spec.check(&sname)?;
        let due = timing.latest_due(was, now)?;
        let next = timing.next_after(due.max(now))?;
        let id = self.post(&sname, &stored, due).await?;
        let moved = self
            .broker
            .schedule_advance(name, &stored.spec_json, was, next, due, &id.to_string())
            .await?;
        if moved {
            count("scheduled", 1);
            let missed = due > was;
            tracing::info!(schedule = %name, job = %id, due = %crate::job::format_ms(due), missed_runs_skipped = missed, "posted a schedule's run");
        }
        Ok(())
    }

    /// Posts the run due at `due` (a repeat gets the job posted first).
    async fn post(&self, name: &ScheduleName, stored: &StoredSchedule, due: i64) -> Result<JobId> {
        let spec = stored.spec()?;
        let queue = spec.queue()?;
        let options = spec.options.job_options(name, due)?;
        let payload = Payload::json(&spec.payload);
        let job = NewJob {
            id: JobId::generate(&queue),
            payload,
            options,
        };
        let out = self.broker.enqueue(&queue, &[job], None).await?;
        out.into_iter()
            .next()
            .map(|e| e.id)
            .ok_or_else(|| crate::Error::Protocol("enqueue answered nothing".into()))
    }
}
