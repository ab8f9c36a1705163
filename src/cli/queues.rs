//! `mlqd queues`: every queue's counts by state and totals.

use clap::Args;

use super::GlobalArgs;
use super::output::{print_json, queues_table};

#[derive(Debug, Args)]
pub struct QueuesArgs {
    /// Print JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, a: QueuesArgs) -> anyhow::Result<u8> {
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
    Ok(super::exit::OK)
}
