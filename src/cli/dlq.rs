//! `mlqd dlq list | requeue | purge`: the dead-letter set (all queues unless `--queue`).

use clap::{Args, Subcommand};

use super::output::{dead_table, print_json};
use super::{GlobalArgs, job_id_arg, queue_arg};
use crate::job::{JobId, QueueName};

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead jobs, newest first
    List(ListArgs),
    /// Put dead jobs back in their queue with a fresh retry budget
    Requeue(RequeueArgs),
    /// Delete dead jobs for good
    Purge(PurgeArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this queue
    #[arg(long, short, env = "MLQD_QUEUE", value_parser = queue_arg)]
    pub queue: Option<QueueName>,
    /// At most this many
    #[arg(long, env = "MLQD_LIMIT", default_value_t = 100)]
    pub limit: usize,
    /// Print JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RequeueArgs {
    /// Ids of dead jobs to requeue
    #[arg(value_parser = job_id_arg, required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<JobId>,
    /// Requeue every dead job (of `--queue`, or of all queues)
    #[arg(long, env = "MLQD_ALL")]
    pub all: bool,
    /// Only this queue (with --all)
    #[arg(long, short, env = "MLQD_QUEUE", value_parser = queue_arg)]
    pub queue: Option<QueueName>,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Only this queue
    #[arg(long, short, env = "MLQD_QUEUE", value_parser = queue_arg)]
    pub queue: Option<QueueName>,
}

pub async fn run(g: &GlobalArgs, cmd: DlqCommand) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    match cmd {
        DlqCommand::List(a) => {
            let jobs = client.dlq_list(a.queue.as_ref(), a.limit).await?;
            if a.json {
                print_json(&jobs)?;
            } else if jobs.is_empty() {
                super::output::line(format_args!("no dead jobs"))?;
            } else {
                super::output::line(format_args!("{}", dead_table(&jobs)))?;
            }
        }
        DlqCommand::Requeue(a) => {
            let back = if a.all {
                client.dlq_requeue_all(a.queue.as_ref()).await?
            } else {
                client.dlq_requeue_ids(&a.ids).await?
            };
            for id in &back {
                super::output::line(format_args!("{id}"))?;
            }
            eprintln!("requeued {} job(s)", back.len());
        }
        DlqCommand::Purge(a) => {
            let n = client.dlq_purge(a.queue.as_ref()).await?;
            super::output::line(format_args!("purged {n} dead job(s)"))?;
        }
    }
    Ok(super::exit::OK)
}
