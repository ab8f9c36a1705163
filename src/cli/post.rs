//! `mlqd post`: post a job and print its id; with `--wait`, wait and print the result;
//! with `--stream`, print the job's streamed output as it comes.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use time::OffsetDateTime;

use super::output::{WaitBar, write_stdout};
use super::{GlobalArgs, queue_arg};
use crate::broker::Broker;
use crate::client::{Client, ClientConfig};
use crate::job::{self, JobOptions, Payload, QueueName};
use crate::units::{duration_arg, size_arg};

#[derive(Debug, Args)]
pub struct PostArgs {
    /// The payload: JSON text, @FILE to read a file, or - to read stdin (default `{}`)
    pub payload: Option<String>,
    /// Queue to post to
    #[arg(long, short, env = "MLQD_QUEUE", default_value = "default", value_parser = queue_arg)]
    pub queue: QueueName,
    /// Priority from -100 to 100; higher runs first
    #[arg(long, env = "MLQD_PRIORITY", default_value_t = 0, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-100..=100))]
    pub priority: i32,
    /// Start no earlier than this from now (e.g. 30s, 5m)
    #[arg(long, env = "MLQD_DELAY", value_parser = duration_arg, conflicts_with = "at")]
    pub delay: Option<Duration>,
    /// Start no earlier than this instant (RFC 3339)
    #[arg(long, env = "MLQD_AT", value_parser = rfc3339_arg)]
    pub at: Option<OffsetDateTime>,
    /// Retries after the first failure (default 3)
    #[arg(long, env = "MLQD_MAX_RETRIES", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub max_retries: Option<u32>,
    /// Lost leases (worker crashes) tolerated before the job is dead (default 3)
    #[arg(long, env = "MLQD_MAX_STALLS", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_stalls: Option<u32>,
    /// Execution limit per attempt
    #[arg(long, env = "MLQD_TIMEOUT", value_parser = duration_arg)]
    pub timeout: Option<Duration>,
    /// Idempotency key: posting again with it (within 24h) returns the first job
    #[arg(long, env = "MLQD_KEY")]
    pub key: Option<String>,
    /// How long to keep the result (default 24h)
    #[arg(long, env = "MLQD_RESULT_TTL", value_parser = duration_arg)]
    pub result_ttl: Option<Duration>,
    /// URL to POST the job's status to once it is finished
    #[arg(long, env = "MLQD_CALLBACK")]
    pub callback: Option<String>,
    /// Content type of the payload; anything but JSON is sent as raw bytes
    #[arg(long, env = "MLQD_CONTENT_TYPE", default_value = job::JSON)]
    pub content_type: String,
    /// Largest payload accepted
    #[arg(long, env = "MLQD_MAX_PAYLOAD", value_parser = size_arg, default_value = "16MiB")]
    pub max_payload: u64,
    /// Wait for the job to finish and print its result
    #[arg(long, env = "MLQD_WAIT")]
    pub wait: bool,
    /// Give up waiting after this long (exit 5)
    #[arg(long, env = "MLQD_WAIT_TIMEOUT", value_parser = duration_arg, requires = "wait")]
    pub wait_timeout: Option<Duration>,
    /// Write the job's streamed output to stdout as it arrives (a new attempt is noted on
    /// stderr), then exit with the job's exit code (0 succeeded, 3 dead or cancelled)
    #[arg(long, env = "MLQD_STREAM", conflicts_with = "wait")]
    pub stream: bool,
}

fn rfc3339_arg(s: &str) -> Result<OffsetDateTime, String> {
    job::parse_rfc3339(s).map_err(|e| e.to_string())
}

/// Reads the payload argument: literal text, `@file` or `-` (stdin).
pub(crate) fn read_payload(arg: Option<&str>, limit: u64) -> anyhow::Result<Vec<u8>> {
    let too_big = |size: u64| crate::Error::PayloadTooLarge { size, limit };
    match arg {
        None => Ok(b"{}".to_vec()),
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut buf)
                .context("reading the payload from stdin")?;
            if buf.len() as u64 > limit {
                return Err(too_big(buf.len() as u64).into());
            }
            Ok(buf)
        }
        Some(s) if s.starts_with('@') => {
            let path = &s[1..];
            let meta = std::fs::metadata(path).map_err(|e| {
                crate::Error::invalid(format!("cannot read payload file {path:?}: {e}"))
            })?;
            if meta.len() > limit {
                return Err(too_big(meta.len()).into());
            }
            std::fs::read(path).map_err(|e| {
                crate::Error::invalid(format!("cannot read payload file {path:?}: {e}")).into()
            })
        }
        Some(s) => Ok(s.as_bytes().to_vec()),
    }
}

pub async fn run(g: &GlobalArgs, a: PostArgs) -> anyhow::Result<u8> {
    let bytes = read_payload(a.payload.as_deref(), a.max_payload)?;
    let payload = Payload::bytes(bytes, a.content_type.clone());
    let options = JobOptions {
        priority: a.priority,
        delay: a.delay,
        run_at: a.at,
        max_retries: a.max_retries,
        max_stalls: a.max_stalls,
        timeout: a.timeout,
        callback: a.callback.clone(),
        idempotency_key: a.key.clone(),
        result_ttl: a.result_ttl,
    };
    let client = Client::new(ClientConfig {
        broker: super::broker_config(g),
        max_payload: a.max_payload,
    })?;
    if a.wait || a.stream {
        // subscribe before posting, so even a very fast job's end is seen
        client.events().ready(Duration::from_secs(2)).await;
    }
    let posted = client.post(&a.queue, payload, options).await?;
    if !posted.created {
        eprintln!("mlqd: a job with this idempotency key exists; its id:");
    }
    if a.stream {
        eprintln!("{}", posted.id);
        super::follow::follow(&client, &posted.id).await?;
        return Ok(super::exit::OK);
    }
    if !a.wait {
        super::output::line(format_args!("{}", posted.id))?;
        return Ok(super::exit::OK);
    }
    eprintln!("{}", posted.id);
    let bar = WaitBar::new();
    let unserved = tokio::spawn(note_if_unserved(
        client.broker().clone(),
        a.queue.clone(),
        bar.clone(),
    ));
    let waited = client
        .wait_with(&posted.id, a.wait_timeout, |s| bar.update(s))
        .await;
    unserved.abort();
    bar.finish(matches!(&waited, Ok(s) if s.state == job::JobState::Succeeded));
    waited?;
    let (_, result) = client.result(&posted.id).await?;
    write_stdout(&result.bytes)?;
    // the shell prompt (or the next line of a script's output) must not run on after a
    // text result; binary results are written exactly as they are
    if !result.bytes.is_empty()
        && !result.bytes.ends_with(b"\n")
        && !std::io::stdout().is_terminal()
        && is_text(&result.content_type)
    {
        write_stdout(b"\n")?;
    }
    Ok(super::exit::OK)
}

/// How long `post --wait` waits before it checks that a live worker serves the queue.
const UNSERVED_AFTER: Duration = Duration::from_secs(2);
/// A worker silent this long is not counted as live (the reaper's default
/// `--worker-timeout`).
const LIVE_WITHIN_MS: i64 = 10_000;

/// After [`UNSERVED_AFTER`], says once on stderr when no live worker serves `queue` (the job
/// would wait for one forever, silently). Reading the registry is best effort.
async fn note_if_unserved(broker: Broker, queue: QueueName, bar: WaitBar) {
    tokio::time::sleep(UNSERVED_AFTER).await;
    let (workers, now) = match tokio::try_join!(broker.workers(), broker.time_ms()) {
        Ok(read) => read,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the worker registry");
            return;
        }
    };
    let served = workers
        .iter()
        .any(|w| now - w.seen_ms <= LIVE_WITHIN_MS && w.queues.iter().any(|q| q == queue.as_str()));
    if !served {
        bar.note(&format!(
            "mlqd: no live worker serves queue {queue}: the job waits until one does (e.g. `mlqd worker --queue {queue} --builtin echo`); still waiting"
        ));
    }
}

/// JSON and text results get a final newline when piped; other bytes are left exact.
fn is_text(content_type: &str) -> bool {
    job::is_json_type(content_type)
        || content_type
            .trim()
            .to_ascii_lowercase()
            .starts_with("text/")
}
