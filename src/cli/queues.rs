//! `mlqd queues`: every queue's counts by state, totals and limits (and the schedules' next
//! runs); `mlqd queues limit Q …` sets a queue's rate and concurrency limits.

use clap::{Args, Subcommand};

use super::output::{print_json, queues_table};
use super::{GlobalArgs, queue_arg};
use crate::job::QueueName;
use crate::limits::{Change, LimitsUpdate, QueueLimits, Rate};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct QueuesArgs {
    #[command(subcommand)]
    pub command: Option<QueuesCommand>,
    /// Print JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum QueuesCommand {
    /// Set, change or clear a queue's limits (enforced across every worker)
    Limit(LimitArgs),
}

#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct LimitArgs {
    /// The queue
    #[arg(value_parser = queue_arg)]
    pub queue: QueueName,
    /// Most job starts per period: N/s, N/m or N/h (a token bucket)
    #[arg(long, env = "MLQD_RATE", value_parser = rate_arg)]
    pub rate: Option<Rate>,
    /// Starts the rate lets save up while the queue is idle (default 1)
    #[arg(long, env = "MLQD_BURST")]
    pub burst: Option<u64>,
    /// Most jobs of the queue running at once, across every worker
    #[arg(long, env = "MLQD_MAX_ACTIVE")]
    pub max_active: Option<u64>,
    /// Clear every limit first (then apply the other flags, if any)
    #[arg(long, env = "MLQD_CLEAR")]
    pub clear: bool,
    /// Print the queue's limits as JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

fn rate_arg(s: &str) -> Result<Rate, String> {
    s.parse::<Rate>().map_err(|e| e.to_string())
}

pub async fn run(g: &GlobalArgs, a: QueuesArgs) -> anyhow::Result<u8> {
    if let Some(QueuesCommand::Limit(l)) = a.command {
        return limit(g, l).await;
    }
    let client = super::client(g)?;
    let queues = client.queues().await?;
    if a.json {
        print_json(&queues)?;
    } else if queues.is_empty() {
        super::output::line(format_args!(
            "no queues yet in {}: post a job with `mlqd post`",
            super::read_from(g)
        ))?;
    } else {
        super::output::line(format_args!("{}", queues_table(&queues)))?;
    }
    if !a.json {
        let schedules = client.broker().stored_schedules().await?;
        if !schedules.is_empty() {
            let mut views = Vec::new();
            for s in schedules {
                views.push(s.view()?);
            }
            super::output::line(format_args!(
                "schedules (next runs)\n{}",
                super::output::schedules_table(&views)
            ))?;
        }
    }
    Ok(super::exit::OK)
}

async fn limit(g: &GlobalArgs, a: LimitArgs) -> anyhow::Result<u8> {
    let mut update = if a.clear {
        LimitsUpdate::clear_all()
    } else {
        LimitsUpdate::default()
    };
    if let Some(r) = a.rate {
        update.rate = Change::Set(r);
    }
    if let Some(n) = a.burst {
        update.burst = Change::Set(n);
    }
    if let Some(n) = a.max_active {
        update.max_active = Change::Set(n);
    }
    if update.is_empty() {
        return Err(crate::Error::invalid(
            "nothing to change: give --rate, --burst, --max-active or --clear",
        )
        .into());
    }
    let client = super::client(g)?;
    let limits = client.broker().set_limits(&a.queue, &update).await?;
    if a.json {
        print_json(&limits)?;
    } else {
        super::output::line(format_args!(
            "queue {}: {}",
            a.queue,
            match &limits {
                None => "no limits".to_string(),
                some => QueueLimits::summary(some.as_ref()),
            }
        ))?;
    }
    Ok(super::exit::OK)
}
