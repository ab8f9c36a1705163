//! Schedules (periodic jobs): their specs, next due times and last runs, under one hash tag
//! (`{:schedules}`), so each script touches one slot. A run's job is posted to its queue by
//! enqueue.lua with the run's idempotency key, then `schedule_advance` moves the schedule
//! on, only if nobody did first: two leaders, a restart or a takeover post a run once.

use std::collections::HashMap;

use super::scripts::{SCHEDULE_ADVANCE, SCHEDULE_RM, SCHEDULE_SET};
use super::{Broker, reply};
use crate::error::{Error, Result};
use crate::schedule::{Schedule, ScheduleName, ScheduleSpec};

/// A schedule as stored: its spec JSON (compared by `schedule_advance`), next due time and
/// last run.
#[derive(Clone, Debug)]
pub struct StoredSchedule {
    pub name: String,
    pub spec_json: String,
    pub next_ms: Option<i64>,
    /// (due ms, job id) of the last run posted.
    pub last: Option<(i64, String)>,
}

impl StoredSchedule {
    /// The spec (a spec that no longer reads is an error naming the schedule).
    pub fn spec(&self) -> Result<ScheduleSpec> {
        serde_json::from_str(&self.spec_json).map_err(|e| {
            Error::Protocol(format!("schedule {:?} is stored malformed: {e}", self.name))
        })
    }

    /// As listings show it.
    pub fn view(&self) -> Result<Schedule> {
        Ok(Schedule::new(
            &self.name,
            self.spec()?,
            self.next_ms,
            self.last.clone(),
        ))
    }
}

/// ZRANGE … WITHSCORES: (member, score) pairs.
type Scored = Vec<(String, f64)>;

fn parse_run(text: &str) -> Option<(i64, String)> {
    let (due, job) = text.split_once(' ')?;
    Some((due.parse().ok()?, job.to_string()))
}

impl Broker {
    /// Creates or replaces a schedule: checks it, anchors `every` at the Redis clock's now
    /// and stores it with its first due time. Returns it as listed, and whether it is new.
    pub async fn schedule_set(
        &self,
        name: &ScheduleName,
        mut spec: ScheduleSpec,
    ) -> Result<(Schedule, bool)> {
        spec.check(name)?;
        let now = self.time_ms().await?;
        spec.anchor = spec.every.as_ref().map(|_| now);
        let timing = spec.check(name)?;
        let next = timing.next_after(now)?;
        let json =
            serde_json::to_string(&spec).map_err(|e| Error::invalid(format!("schedule: {e}")))?;
        let k = self.keys.schedules();
        let mut call = SCHEDULE_SET.call(&k);
        call.arg(name.as_str()).arg(&json).arg(next);
        let created = reply::flag(&self.conn.invoke(call.invocation()).await?)?;
        let last = if created {
            None
        } else {
            self.stored_schedule(name.as_str())
                .await?
                .and_then(|s| s.last)
        };
        Ok((
            Schedule::new(name.as_str(), spec, Some(next), last),
            created,
        ))
    }

    /// Deletes a schedule. False when there was none.
    pub async fn schedule_rm(&self, name: &ScheduleName) -> Result<bool> {
        let k = self.keys.schedules();
        let mut call = SCHEDULE_RM.call(&k);
        call.arg(name.as_str());
        reply::flag(&self.conn.invoke(call.invocation()).await?)
    }

    /// Every schedule, by name.
    pub async fn stored_schedules(&self) -> Result<Vec<StoredSchedule>> {
        let k = self.keys.schedules();
        let mut pipe = redis::pipe();
        pipe.hgetall(k.defs())
            .zrange_withscores(k.next(), 0, -1)
            .hgetall(k.runs());
        let (defs, next, runs): (HashMap<String, String>, Scored, HashMap<String, String>) =
            self.conn.pipe(&pipe).await?;
        let next: HashMap<String, i64> = next.into_iter().map(|(n, s)| (n, s as i64)).collect();
        let mut out: Vec<StoredSchedule> = defs
            .into_iter()
            .map(|(name, spec_json)| StoredSchedule {
                next_ms: next.get(&name).copied(),
                last: runs.get(&name).and_then(|r| parse_run(r)),
                name,
                spec_json,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One schedule, if it exists.
    pub async fn stored_schedule(&self, name: &str) -> Result<Option<StoredSchedule>> {
        let k = self.keys.schedules();
        let mut pipe = redis::pipe();
        pipe.hget(k.defs(), name)
            .zscore(k.next(), name)
            .hget(k.runs(), name);
        let (spec, next, run): (Option<String>, Option<f64>, Option<String>) =
            self.conn.pipe(&pipe).await?;
        Ok(spec.map(|spec_json| StoredSchedule {
            name: name.to_string(),
            spec_json,
            next_ms: next.map(|s| s as i64),
            last: run.as_deref().and_then(parse_run),
        }))
    }

    /// Schedules due at `now_ms` (name, due ms), earliest first, at most `limit`; and when
    /// the earliest of the others is due.
    pub async fn schedules_due(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<(Vec<(String, i64)>, Option<i64>)> {
        let k = self.keys.schedules();
        let mut pipe = redis::pipe();
        pipe.cmd("ZRANGE")
            .arg(k.next())
            .arg("-inf")
            .arg(now_ms)
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .arg("WITHSCORES")
            .cmd("ZRANGE")
            .arg(k.next())
            .arg(format!("({now_ms}"))
            .arg("+inf")
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(1)
            .arg("WITHSCORES");
        let (due, later): (Scored, Scored) = self.conn.pipe(&pipe).await?;
        Ok((
            due.into_iter().map(|(n, s)| (n, s as i64)).collect(),
            later.first().map(|(_, s)| *s as i64),
        ))
    }

    /// Moves a schedule from the due time `was` to `next` and records the run, unless
    /// another process did first or the schedule changed (`spec_json` differs). True when
    /// this call did it.
    pub async fn schedule_advance(
        &self,
        name: &str,
        spec_json: &str,
        was: i64,
        next: i64,
        due: i64,
        job: &str,
    ) -> Result<bool> {
        let k = self.keys.schedules();
        let mut call = SCHEDULE_ADVANCE.call(&k);
        call.arg(name)
            .arg(spec_json)
            .arg(was)
            .arg(next)
            .arg(due)
            .arg(job);
        reply::flag(&self.conn.invoke(call.invocation()).await?)
    }
}
