//! `mlqd cancel`: cancel a pending, scheduled, retrying or running job.

use clap::Args;

use super::{GlobalArgs, job_id_arg};
use crate::job::{JobId, JobState};

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Job id (QUEUE.ULID)
    #[arg(value_parser = job_id_arg)]
    pub id: JobId,
}

pub async fn run(g: &GlobalArgs, a: CancelArgs) -> anyhow::Result<u8> {
    let client = super::client(g)?;
    let msg = match client.cancel(&a.id).await? {
        JobState::Cancelled => format!("{} was already cancelled", a.id),
        JobState::Active => format!(
            "cancelled {} (it was running; its handler is told to stop)",
            a.id
        ),
        was => format!("cancelled {} (it was {was})", a.id),
    };
    super::output::line(msg)?;
    Ok(super::exit::OK)
}
