//! Schedules (periodic jobs): a name, a timing (`every` a duration, or a `cron` expression in
//! a time zone), the queue and the job to post. Stored in Redis (see `broker::schedules`);
//! the reaper leader's `scheduler` duty posts each due run once. Here: the values, their
//! checks and the arithmetic of due times. No I/O.
//!
//! Cron expressions are read by `croner` (5 fields, or 6 with seconds first; `L`, `W`, `#`
//! and the `@daily`-style names) and evaluated in the schedule's zone with `jiff` and its
//! bundled time zone database, so a nightly run stays at its local hour across DST changes.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::job::{self, JobOptions, QueueName};
use crate::units::{format_duration, parse_duration};

/// The shortest `every`.
pub const MIN_EVERY: Duration = Duration::from_secs(1);
/// The longest `every` (a year).
pub const MAX_EVERY: Duration = Duration::from_secs(366 * 24 * 3600);

/// A schedule's name: `^[A-Za-z0-9_.-]{1,64}$`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ScheduleName(String);

impl ScheduleName {
    pub fn new(name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if ok {
            Ok(ScheduleName(name.to_string()))
        } else {
            Err(Error::invalid(format!(
                "invalid schedule name {name:?}: use 1 to 64 letters, digits, '_', '.' or '-'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ScheduleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ScheduleName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ScheduleName::new(s)
    }
}

/// When a schedule runs.
#[derive(Clone, Debug)]
pub enum Timing {
    /// Every period, counted from `anchor` (ms): anchor + period, anchor + 2·period, …
    Every { period: Duration, anchor: i64 },
    /// The instants a cron expression names in a time zone.
    Cron {
        expr: Box<croner::Cron>,
        zone: jiff::tz::TimeZone,
    },
}

/// Reads a cron expression (5 fields, or 6 with seconds first).
pub fn parse_cron(expr: &str) -> Result<croner::Cron> {
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build();
    parser.parse(expr).map_err(|e| {
        Error::invalid(format!(
            "invalid cron expression {expr:?} ({e}): write 5 fields, minute hour day month weekday, e.g. \"*/5 * * * *\""
        ))
    })
}

/// Reads an IANA time zone name (`Europe/Paris`, `UTC`).
pub fn parse_zone(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).map_err(|_| {
        Error::invalid(format!(
            "unknown time zone {name:?}: use an IANA name such as UTC, Europe/Paris or America/New_York"
        ))
    })
}

fn to_zoned(ms: i64, zone: &jiff::tz::TimeZone) -> Result<jiff::Zoned> {
    let ts = jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| Error::invalid(format!("time out of range: {e}")))?;
    Ok(ts.to_zoned(zone.clone()))
}

fn never(expr: &croner::Cron) -> Error {
    Error::invalid(format!(
        "cron expression {:?} never runs (no matching time in the years ahead)",
        expr.as_str()
    ))
}

impl Timing {
    /// The first due time strictly after `after_ms`.
    pub fn next_after(&self, after_ms: i64) -> Result<i64> {
        match self {
            Timing::Every { period, anchor } => {
                let p = period.as_millis() as i64;
                if after_ms < *anchor {
                    return Ok(anchor + p);
                }
                Ok(anchor + ((after_ms - anchor) / p + 1) * p)
            }
            Timing::Cron { expr, zone } => {
                let start = to_zoned(after_ms, zone)?;
                let next = expr
                    .find_next_occurrence(&start, false)
                    .map_err(|_| never(expr))?;
                Ok(next.timestamp().as_millisecond())
            }
        }
    }

    /// The latest due time at or before `now_ms`, not earlier than `due_ms` (a due time
    /// that was missed): after downtime, only this one run is posted.
    pub fn latest_due(&self, due_ms: i64, now_ms: i64) -> Result<i64> {
        if now_ms <= due_ms {
            return Ok(due_ms);
        }
        match self {
            Timing::Every { period, .. } => {
                let p = period.as_millis() as i64;
                Ok(due_ms + (now_ms - due_ms) / p * p)
            }
            Timing::Cron { expr, zone } => {
                let now = to_zoned(now_ms, zone)?;
                let prev = expr
                    .find_previous_occurrence(&now, true)
                    .map(|z| z.timestamp().as_millisecond())
                    .unwrap_or(due_ms);
                Ok(prev.max(due_ms))
            }
        }
    }
}

/// Options of the jobs a schedule posts (those that make sense for a periodic job).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOptions {
    /// -100..=100, higher first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -100, maximum = 100)]
    pub priority: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1000)]
    pub max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 100)]
    pub max_stalls: Option<u32>,
    /// Execution limit per attempt, like `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// How long the result is kept, like `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_ttl: Option<String>,
    /// URL that gets the status JSON once a run's job is terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
}

impl ScheduleOptions {
    /// The job options of a run due at `due_ms` (its idempotency key included).
    pub fn job_options(&self, name: &ScheduleName, due_ms: i64) -> Result<JobOptions> {
        let dur = |what: &str, v: &Option<String>| -> Result<Option<Duration>> {
            v.as_deref()
                .map(|s| parse_duration(s).map_err(|e| Error::invalid(format!("{what}: {e}"))))
                .transpose()
        };
        let o = JobOptions {
            priority: self.priority.unwrap_or(0),
            max_retries: self.max_retries,
            max_stalls: self.max_stalls,
            timeout: dur("timeout", &self.timeout)?,
            result_ttl: dur("result_ttl", &self.result_ttl)?,
            callback: self.callback.clone(),
            idempotency_key: Some(run_key(name, due_ms)),
            ..Default::default()
        };
        o.validate()?;
        Ok(o)
    }
}

/// The idempotency key of a schedule's run: two leaders, a restart or a takeover that post
/// the same run get the same job.
pub fn run_key(name: &ScheduleName, due_ms: i64) -> String {
    format!("cron:{name}:{}", job::format_ms(due_ms))
}

/// A schedule as stored (and as `PUT /v1/schedules/{name}` takes it, `anchor` aside).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Run every this long (`30s`, `5m`, `1h`; at least 1s). Give this or `cron`.
    #[serde(default)]
    pub every: Option<String>,
    /// Cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first.
    #[serde(default)]
    pub cron: Option<String>,
    /// IANA time zone the cron expression is read in (default UTC).
    #[serde(default)]
    pub tz: Option<String>,
    /// The queue the runs are posted to (default `default`).
    #[serde(default = "default_queue")]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub queue: String,
    /// The JSON payload of each run (default `{}`).
    #[serde(default = "empty_object")]
    pub payload: serde_json::Value,
    #[serde(default)]
    pub options: ScheduleOptions,
    /// Where `every` counts from (ms, Redis clock), set when the schedule is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub anchor: Option<i64>,
}

fn default_queue() -> String {
    job::DEFAULT_QUEUE.to_string()
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

impl ScheduleSpec {
    /// Checks everything (timing, zone, queue, options) and returns the timing.
    pub fn check(&self, name: &ScheduleName) -> Result<Timing> {
        QueueName::new(&self.queue)?;
        self.options.job_options(name, 0)?;
        let payload = serde_json::to_vec(&self.payload)
            .map_err(|e| Error::invalid(format!("payload: {e}")))?;
        if payload.len() as u64 > job::DEFAULT_MAX_PAYLOAD {
            return Err(Error::PayloadTooLarge {
                size: payload.len() as u64,
                limit: job::DEFAULT_MAX_PAYLOAD,
            });
        }
        let timing = match (&self.every, &self.cron) {
            (Some(every), None) => {
                if self.tz.is_some() {
                    return Err(Error::invalid(
                        "a time zone applies to a cron expression, not to every",
                    ));
                }
                let period =
                    parse_duration(every).map_err(|e| Error::invalid(format!("every: {e}")))?;
                if !(MIN_EVERY..=MAX_EVERY).contains(&period) {
                    return Err(Error::invalid(format!(
                        "every {every:?} is out of range: use 1s to 366d"
                    )));
                }
                Timing::Every {
                    period,
                    anchor: self.anchor.unwrap_or(0),
                }
            }
            (None, Some(expr)) => {
                let zone = parse_zone(self.tz.as_deref().unwrap_or("UTC"))?;
                let expr = parse_cron(expr)?;
                Timing::Cron {
                    expr: Box::new(expr),
                    zone,
                }
            }
            _ => {
                return Err(Error::invalid(
                    "give exactly one of every (a duration like 30s) and cron (an expression like \"*/5 * * * *\")",
                ));
            }
        };
        Ok(timing)
    }

    /// The queue, checked.
    pub fn queue(&self) -> Result<QueueName> {
        QueueName::new(&self.queue)
    }

    /// `every 30s` or `cron */5 * * * * (Europe/Paris)`.
    pub fn when(&self) -> String {
        match (&self.every, &self.cron) {
            (Some(e), _) => match parse_duration(e) {
                Ok(d) => format!("every {}", format_duration(d)),
                Err(_) => format!("every {e}"),
            },
            (_, Some(c)) => match &self.tz {
                Some(tz) => format!("cron {c} ({tz})"),
                None => format!("cron {c}"),
            },
            _ => "-".into(),
        }
    }
}

/// A schedule as listings show it: its spec, next and last run, and the last job it posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Schedule {
    pub name: String,
    pub every: Option<String>,
    pub cron: Option<String>,
    pub tz: Option<String>,
    pub queue: String,
    pub payload: serde_json::Value,
    pub options: ScheduleOptions,
    /// When the next run is due (RFC 3339 UTC).
    pub next_run: Option<String>,
    /// The due time of the last run posted, if any.
    pub last_run: Option<String>,
    /// The id of the job the last run posted.
    pub last_job: Option<String>,
}

impl Schedule {
    pub fn new(
        name: &str,
        spec: ScheduleSpec,
        next_ms: Option<i64>,
        last: Option<(i64, String)>,
    ) -> Self {
        Schedule {
            name: name.to_string(),
            every: spec.every,
            cron: spec.cron,
            tz: spec.tz,
            queue: spec.queue,
            payload: spec.payload,
            options: spec.options,
            next_run: next_ms.map(job::format_ms),
            last_run: last.as_ref().map(|(ms, _)| job::format_ms(*ms)),
            last_job: last.map(|(_, id)| id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn cron(expr: &str, tz: &str) -> Timing {
        ScheduleSpec {
            every: None,
            cron: Some(expr.into()),
            tz: Some(tz.into()),
            queue: "default".into(),
            payload: serde_json::json!({}),
            options: ScheduleOptions::default(),
            anchor: None,
        }
        .check(&ScheduleName::new("t").unwrap())
        .unwrap()
    }

    #[test]
    fn cron_in_a_zone_keeps_its_local_hour_across_dst() {
        // 02:30 every day in Paris: 00:30 UTC in summer, 01:30 UTC in winter
        let t = cron("30 2 * * *", "Europe/Paris");
        assert_eq!(
            t.next_after(ms("2026-07-01T12:00:00Z")).unwrap(),
            ms("2026-07-02T00:30:00Z")
        );
        assert_eq!(
            t.next_after(ms("2026-12-01T12:00:00Z")).unwrap(),
            ms("2026-12-02T01:30:00Z")
        );
        // 29 March 2026: clocks jump from 02:00 to 03:00, 02:30 does not exist that day
        let spring = t.next_after(ms("2026-03-28T12:00:00Z")).unwrap();
        assert!(
            spring == ms("2026-03-29T01:00:00Z") || spring == ms("2026-03-30T00:30:00Z"),
            "{}",
            job::format_ms(spring)
        );
        // 25 October 2026: 02:30 happens twice; it runs once
        let first = t.next_after(ms("2026-10-24T12:00:00Z")).unwrap();
        let second = t.next_after(first).unwrap();
        assert_eq!(first, ms("2026-10-25T00:30:00Z"));
        assert_eq!(second, ms("2026-10-26T01:30:00Z"));
        // New York: 9:00 on weekdays
        let t = cron("0 9 * * MON-FRI", "America/New_York");
        assert_eq!(
            t.next_after(ms("2026-03-06T15:00:00Z")).unwrap(), // Friday after 9:00 EST
            ms("2026-03-09T13:00:00Z")                         // Monday 9:00 EDT
        );
    }

    #[test]
    fn every_counts_from_its_anchor_and_collapses_missed_runs() {
        let t = Timing::Every {
            period: Duration::from_secs(10),
            anchor: 1_000,
        };
        assert_eq!(t.next_after(0).unwrap(), 11_000);
        assert_eq!(t.next_after(11_000).unwrap(), 21_000);
        assert_eq!(t.next_after(25_500).unwrap(), 31_000);
        // due at 11 s, now 57 s: the one run posted is the one due at 51 s
        assert_eq!(t.latest_due(11_000, 57_000).unwrap(), 51_000);
        assert_eq!(t.latest_due(11_000, 11_000).unwrap(), 11_000);
        let c = cron("*/5 * * * *", "UTC");
        let due = ms("2026-01-01T00:05:00Z");
        assert_eq!(
            c.latest_due(due, ms("2026-01-01T03:07:10Z")).unwrap(),
            ms("2026-01-01T03:05:00Z")
        );
    }

    #[test]
    fn bad_schedules_say_why() {
        let name = ScheduleName::new("nightly.v2-a_b").unwrap();
        let spec = |every: Option<&str>, cron: Option<&str>, tz: Option<&str>| ScheduleSpec {
            every: every.map(Into::into),
            cron: cron.map(Into::into),
            tz: tz.map(Into::into),
            queue: "default".into(),
            payload: serde_json::json!({}),
            options: ScheduleOptions::default(),
            anchor: None,
        };
        for (s, want) in [
            (spec(Some("5x"), None, None), "every"),
            (spec(Some("500ms"), None, None), "out of range"),
            (spec(None, Some("61 * * * *"), None), "invalid cron"),
            (spec(None, Some("* * *"), None), "invalid cron"),
            (spec(None, Some("0 0 31 2 *"), None), ""),
            (
                spec(None, Some("0 3 * * *"), Some("Mars/Olympus")),
                "time zone",
            ),
            (spec(Some("1m"), Some("* * * * *"), None), "exactly one"),
            (spec(None, None, None), "exactly one"),
            (spec(Some("1m"), None, Some("UTC")), "time zone"),
        ] {
            match s.check(&name) {
                Err(e) => assert!(e.to_string().contains(want), "{e}"),
                // a valid expression that never matches is refused by the first next run
                Ok(t) => assert!(t.next_after(0).is_err(), "{s:?}"),
            }
        }
        let mut bad_queue = spec(Some("1m"), None, None);
        bad_queue.queue = "no spaces".into();
        assert!(bad_queue.check(&name).is_err());
        let mut bad_opts = spec(Some("1m"), None, None);
        bad_opts.options.priority = Some(500);
        assert!(bad_opts.check(&name).is_err());
        for bad in ["", "has space", "a/b", &"n".repeat(65)] {
            assert!(ScheduleName::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            run_key(&name, 1_700_000_000_000),
            "cron:nightly.v2-a_b:2023-11-14T22:13:20.000Z"
        );
    }
}
