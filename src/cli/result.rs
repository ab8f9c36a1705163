//! `mlqd result`: a finished job's result bytes, to stdout or a file.

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
    /// Give up waiting after this long (exit 5)
    #[arg(long, env = "MLQD_WAIT_TIMEOUT", value_parser = duration_arg, requires = "wait")]
    pub wait_timeout: Option<Duration>,
    /// Write the result to this file instead of stdout
    #[arg(long, short, env = "MLQD_OUTPUT")]
    pub output: Option<PathBuf>,
}

pub async fn run(g: &GlobalArgs, a: ResultArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
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
