//! `mlqd result`: a finished job's result bytes, to stdout or a file; with `--follow`, the
//! job's streamed output instead, from its first chunk, live until it ends.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::output::write_stdout;
use super::{GlobalArgs, job_id_arg};
use crate::job::JobId;
use crate::units::duration_arg;

#[derive(Debug, Args)]
pub struct ResultArgs {
    /// Job id (QUEUE.ULID)
    #[arg(value_parser = job_id_arg)]
    pub id: JobId,
    /// Wait for the job to finish
    #[arg(long, env = "MLQD_WAIT")]
    pub wait: bool,
    /// Write the job's streamed output instead, from its first chunk, as it arrives, then
    /// exit with the job's exit code (0 succeeded, 3 dead or cancelled)
    #[arg(long, env = "MLQD_FOLLOW", conflicts_with_all = ["wait", "output"])]
    pub follow: bool,
    /// Give up waiting after this long (exit 5)
    #[arg(long, env = "MLQD_WAIT_TIMEOUT", value_parser = duration_arg, requires = "wait")]
    pub wait_timeout: Option<Duration>,
    /// Write the result to this file instead of stdout
    #[arg(long, short, env = "MLQD_OUTPUT")]
    pub output: Option<PathBuf>,
}

pub async fn run(g: &GlobalArgs, a: ResultArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    if a.follow {
        super::follow::follow(&client, &a.id).await?;
        return Ok(super::exit::OK);
    }
    let (_, result) = if a.wait {
        client.wait_result(&a.id, a.wait_timeout).await?
    } else {
        client.result(&a.id).await?
    };
    match a.output {
        Some(path) => std::fs::write(&path, &result.bytes)
            .with_context(|| format!("writing the result to {}", path.display()))?,
        None => write_stdout(&result.bytes)?,
    }
    Ok(super::exit::OK)
}
