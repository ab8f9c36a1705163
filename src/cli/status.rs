//! `mlqd status`: a job's state, progress, attempts, times, error and history.

use clap::Args;

use super::output::{print_json, status_table};
use super::{GlobalArgs, job_id_arg};
use crate::job::JobId;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Job id (QUEUE.ULID)
    #[arg(value_parser = job_id_arg)]
    pub id: JobId,
    /// Print the status JSON (the same object as GET /v1/jobs/{id})
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, a: StatusArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    let status = client.status(&a.id).await?;
    if a.json {
        print_json(&status)?;
    } else {
        super::output::line(format_args!("{}", status_table(&status)))?;
    }
    Ok(super::exit::OK)
}
