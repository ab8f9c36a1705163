//! Following a job's streamed output on the terminal (`post --stream`, `result --follow`):
//! chunks' bytes to stdout as they arrive, notices on stderr, the job's end as the exit
//! code.

use std::io::Write;
use std::time::Duration;

use crate::backoff::Doubling;
use crate::client::Client;
use crate::error::Error;
use crate::job::{JobId, JobState};
use crate::stream::StreamItem;

/// How long Redis may stay unavailable before following gives up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

/// Writes the job's output from its first retained chunk until it ends. Ok when it
/// succeeded; `JobFailed` (exit 3) when it ended dead or cancelled.
pub async fn follow(client: &Client, id: &JobId) -> anyhow::Result<()> {
    // the subscription must be live before the first read, or a quick chunk goes unseen
    // until the next event
    client.events().ready(Duration::from_secs(2)).await;
    let mut output = client.stream(id, None).await?;
    let mut backoff = Doubling::redis();
    let mut down_since: Option<tokio::time::Instant> = None;
    // locked per write, not held: the command runs as a task, and a held stdout lock would
    // make its future not Send
    let mut out = std::io::stdout();
    loop {
        let item = match output.next().await {
            None => return Ok(()),
            Some(Ok(item)) => {
                down_since = None;
                backoff.reset();
                item
            }
            Some(Err(e)) if e.is_transient() => {
                let since = *down_since.get_or_insert_with(tokio::time::Instant::now);
                if since.elapsed() > GIVE_UP_AFTER {
                    return Err(e.into());
                }
                tracing::debug!(error = %e, "reading the job's output failed; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
            Some(Err(e)) => return Err(e.into()),
        };
        match item {
            StreamItem::Chunk { data, .. } => {
                out.write_all(&data)?;
                out.flush()?;
            }
            StreamItem::Attempt(a) => {
                eprintln!("mlqd: attempt {a} started; the output above is superseded");
            }
            StreamItem::Trimmed { first } => {
                eprintln!(
                    "mlqd: earlier output was trimmed (over the worker's --max-stream); it goes on from chunk {first}"
                );
            }
            StreamItem::End(status) => {
                return match status.state {
                    JobState::Succeeded => Ok(()),
                    state => Err(Error::JobFailed {
                        id: status.id.clone(),
                        state,
                        error: status.error.clone(),
                    }
                    .into()),
                };
            }
        }
    }
}
