//! `mlqd jobs`: one page of a queue's jobs in one state (the same pages as
//! `GET /v1/queues/{queue}/jobs`), as a table or JSON.

use clap::Args;

use super::output::{jobs_table, line, print_json};
use super::{GlobalArgs, queue_arg};
use crate::api::browse::{DEFAULT_PAGE, parse_state};
use crate::job::{JobState, QueueName};

#[derive(Debug, Args)]
pub struct JobsArgs {
    /// The queue
    #[arg(long, short, env = "MLQD_QUEUE", value_parser = queue_arg, default_value = "default")]
    pub queue: QueueName,
    /// scheduled, pending, active, retry, dead, succeeded or cancelled
    #[arg(long, short, env = "MLQD_STATE", value_parser = state_arg, default_value = "pending")]
    pub state: JobState,
    /// Jobs per page (1 to 500)
    #[arg(long, env = "MLQD_LIMIT", default_value_t = DEFAULT_PAGE)]
    pub limit: usize,
    /// Where the page starts: the cursor the previous page printed
    #[arg(long, env = "MLQD_CURSOR")]
    pub cursor: Option<String>,
    /// Print JSON: {"jobs":[status…],"next_cursor"}
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

fn state_arg(s: &str) -> Result<JobState, String> {
    parse_state(s).map_err(|e| e.to_string())
}

pub async fn run(g: &GlobalArgs, a: JobsArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    let page = client
        .broker()
        .browse(&a.queue, a.state, a.limit, a.cursor.as_deref())
        .await?;
    if a.json {
        print_json(&page)?;
        return Ok(super::exit::OK);
    }
    if page.jobs.is_empty() {
        line(format_args!(
            "no {} jobs in queue {} ({})",
            a.state,
            a.queue,
            super::read_from(g)
        ))?;
    } else {
        line(jobs_table(&page.jobs))?;
    }
    if let Some(c) = &page.next_cursor {
        line(format_args!(
            "next page: mlqd jobs --queue {} --state {} --limit {} --cursor {c}",
            a.queue, a.state, a.limit
        ))?;
    }
    Ok(super::exit::OK)
}
