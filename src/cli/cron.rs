//! `mlqd cron set | list | rm`: schedules (periodic jobs). The reaper leader posts each due
//! run once.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::output::{line, print_json, schedules_table};
use super::{GlobalArgs, queue_arg};
use crate::job::QueueName;
use crate::schedule::{ScheduleName, ScheduleOptions, ScheduleSpec};
use crate::units::{duration_arg, format_duration};

#[derive(Debug, Subcommand)]
pub enum CronCommand {
    /// Create or replace a schedule
    Set(SetArgs),
    /// Show every schedule: timing, queue, next and last run, last job
    List(ListArgs),
    /// Delete a schedule (runs already posted stay in their queue)
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Schedule name: 1 to 64 letters, digits, '_', '.' or '-'
    #[arg(value_parser = name_arg)]
    pub name: ScheduleName,
    /// The JSON payload of each run: JSON text, @FILE or - for stdin (default `{}`)
    pub payload: Option<String>,
    /// Run every this long (at least 1s), counted from now
    #[arg(long, env = "MLQD_EVERY", value_parser = duration_arg, required_unless_present = "cron", conflicts_with = "cron")]
    pub every: Option<Duration>,
    /// Run at the times a cron expression names: 5 fields (minute hour day month weekday),
    /// or 6 with seconds first
    #[arg(long, env = "MLQD_CRON", value_name = "EXPR")]
    pub cron: Option<String>,
    /// IANA time zone the cron expression is read in (default UTC)
    #[arg(long, env = "MLQD_TZ", value_name = "ZONE", requires = "cron")]
    pub tz: Option<String>,
    /// Queue the runs are posted to
    #[arg(long, short, env = "MLQD_QUEUE", default_value = "default", value_parser = queue_arg)]
    pub queue: QueueName,
    /// Priority of each run, from -100 to 100
    #[arg(long, env = "MLQD_PRIORITY", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-100..=100))]
    pub priority: Option<i32>,
    /// Retries after a run's first failure (default 3)
    #[arg(long, env = "MLQD_MAX_RETRIES", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub max_retries: Option<u32>,
    /// Lost leases a run tolerates before it is dead (default 3)
    #[arg(long, env = "MLQD_MAX_STALLS", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_stalls: Option<u32>,
    /// Execution limit per attempt
    #[arg(long, env = "MLQD_TIMEOUT", value_parser = duration_arg)]
    pub timeout: Option<Duration>,
    /// How long to keep each run's result (default 24h)
    #[arg(long, env = "MLQD_RESULT_TTL", value_parser = duration_arg)]
    pub result_ttl: Option<Duration>,
    /// URL to POST each run's status to once it is finished
    #[arg(long, env = "MLQD_CALLBACK")]
    pub callback: Option<String>,
    /// Print the schedule as JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Schedule name
    #[arg(value_parser = name_arg)]
    pub name: ScheduleName,
}

fn name_arg(s: &str) -> Result<ScheduleName, String> {
    ScheduleName::new(s).map_err(|e| e.to_string())
}

pub async fn run(g: &GlobalArgs, cmd: CronCommand) -> anyhow::Result<u8> {
    match cmd {
        CronCommand::Set(a) => set(g, a).await,
        CronCommand::List(a) => list(g, a).await,
        CronCommand::Rm(a) => rm(g, a).await,
    }
}

async fn set(g: &GlobalArgs, a: SetArgs) -> anyhow::Result<u8> {
    let bytes = super::post::read_payload(a.payload.as_deref(), crate::job::DEFAULT_MAX_PAYLOAD)?;
    let payload: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| crate::Error::invalid(format!("the payload of a schedule is JSON: {e}")))?;
    let spec = ScheduleSpec {
        every: a.every.map(format_duration),
        cron: a.cron,
        tz: a.tz,
        queue: a.queue.to_string(),
        payload,
        options: ScheduleOptions {
            priority: a.priority,
            max_retries: a.max_retries,
            max_stalls: a.max_stalls,
            timeout: a.timeout.map(format_duration),
            result_ttl: a.result_ttl.map(format_duration),
            callback: a.callback,
        },
        anchor: None,
    };
    let client = super::client(g)?;
    let (schedule, created) = client.broker().schedule_set(&a.name, spec).await?;
    if a.json {
        print_json(&schedule)?;
    } else {
        line(format_args!(
            "schedule {} {}: next run {}",
            schedule.name,
            if created { "created" } else { "replaced" },
            schedule.next_run.as_deref().unwrap_or("-")
        ))?;
    }
    Ok(super::exit::OK)
}

async fn list(g: &GlobalArgs, a: ListArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    let mut out = Vec::new();
    for s in client.broker().stored_schedules().await? {
        out.push(s.view()?);
    }
    if a.json {
        print_json(&out)?;
    } else if out.is_empty() {
        line(format_args!(
            "no schedules in {}: add one with `mlqd cron set NAME --every 5m --queue Q`",
            super::read_from(g)
        ))?;
    } else {
        line(schedules_table(&out))?;
    }
    Ok(super::exit::OK)
}

async fn rm(g: &GlobalArgs, a: RmArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    if !client.broker().schedule_rm(&a.name).await? {
        return Err(crate::Error::NotFound(format!("schedule {}", a.name)).into());
    }
    line(format_args!("schedule {} deleted", a.name))?;
    Ok(super::exit::OK)
}
