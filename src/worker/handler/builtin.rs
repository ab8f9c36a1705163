//! Builtin handlers for tests, demos and benchmarks: `echo`, `sleep`, `fail`, `noop`,
//! `stream`.

use std::time::Duration;

use futures::future::BoxFuture;

use super::{Handler, HandlerError, HandlerResult, Job, Output};

/// The builtin handlers by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// Returns the payload and its content type.
    Echo,
    /// Sleeps `{"ms": N}` milliseconds, reporting progress, then returns the payload.
    Sleep,
    /// Always fails (retryable).
    Fail,
    /// Returns nothing, at once.
    Noop,
    /// Emits `{"chunks": N}` lines of output, `{"ms": M}` apart, then returns the count.
    Stream,
}

/// Most chunks the `stream` builtin emits for one job.
const STREAM_MAX_CHUNKS: u64 = 1_000_000;

impl Builtin {
    pub const NAMES: [&'static str; 5] = ["echo", "sleep", "fail", "noop", "stream"];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Echo => "echo",
            Builtin::Sleep => "sleep",
            Builtin::Fail => "fail",
            Builtin::Noop => "noop",
            Builtin::Stream => "stream",
        }
    }
}

impl std::str::FromStr for Builtin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "echo" => Ok(Builtin::Echo),
            "sleep" => Ok(Builtin::Sleep),
            "fail" => Ok(Builtin::Fail),
            "noop" => Ok(Builtin::Noop),
            "stream" => Ok(Builtin::Stream),
            _ => Err(format!(
                "unknown builtin {s:?}: use echo, sleep, fail, noop or stream"
            )),
        }
    }
}

impl Handler for Builtin {
    fn handle(&self, job: Job) -> BoxFuture<'static, HandlerResult> {
        let kind = *self;
        Box::pin(async move {
            match kind {
                Builtin::Echo => Ok(Output {
                    bytes: job.payload.bytes,
                    content_type: job.payload.content_type,
                }),
                Builtin::Noop => Ok(Output::empty()),
                Builtin::Fail => Err(HandlerError::retryable(
                    "builtin fail handler: this job always fails",
                )),
                Builtin::Sleep => sleep(job).await,
                Builtin::Stream => stream(job).await,
            }
        })
    }
}

async fn sleep(job: Job) -> HandlerResult {
    let ms = serde_json::from_slice::<serde_json::Value>(&job.payload.bytes)
        .ok()
        .and_then(|v| v.get("ms").and_then(|m| m.as_u64()))
        .ok_or_else(|| {
            HandlerError::permanent(
                r#"builtin sleep handler expects a JSON payload like {"ms": 500}"#,
            )
        })?;
    let total = Duration::from_millis(ms);
    // report about ten times, but not more often than every 50 ms
    let step = (total / 10).max(Duration::from_millis(50));
    let start = tokio::time::Instant::now();
    loop {
        let elapsed = start.elapsed();
        if elapsed >= total {
            break;
        }
        let left = total - elapsed;
        tokio::select! {
            _ = job.cancelled() => {
                return Err(HandlerError::retryable("sleep interrupted"));
            }
            _ = tokio::time::sleep(step.min(left)) => {}
        }
        let done = start.elapsed().min(total);
        if done < total {
            let percent = (done.as_millis() * 100 / total.as_millis().max(1)) as u8;
            job.progress(
                percent,
                Some(&format!("slept {} of {ms} ms", done.as_millis())),
            )
            .await;
        }
    }
    Ok(Output {
        bytes: job.payload.bytes,
        content_type: job.payload.content_type,
    })
}

/// Emits `chunks` lines (`chunk 0\n`, `chunk 1\n`, …) `ms` apart, reporting progress as
/// it goes; returns `{"chunks": N}`.
async fn stream(job: Job) -> HandlerResult {
    let bad = || {
        HandlerError::permanent(format!(
            r#"builtin stream handler expects a JSON payload like {{"chunks": 20, "ms": 100}} (chunks 0 to {STREAM_MAX_CHUNKS})"#
        ))
    };
    let v: serde_json::Value = serde_json::from_slice(&job.payload.bytes).map_err(|_| bad())?;
    let field = |name: &str, default: u64| match v.get(name) {
        None => Some(default),
        Some(n) => n.as_u64(),
    };
    let chunks = field("chunks", 10)
        .filter(|n| *n <= STREAM_MAX_CHUNKS)
        .ok_or_else(bad)?;
    let pause = Duration::from_millis(field("ms", 0).ok_or_else(bad)?);
    let mut reported = 0;
    for i in 0..chunks {
        if job.is_cancelled() {
            return Err(HandlerError::retryable("stream interrupted"));
        }
        job.emit(format!("chunk {i}\n"));
        let percent = ((i + 1) * 100 / chunks.max(1)) as u8;
        if percent != reported {
            reported = percent;
            job.progress(percent, None).await;
        }
        if !pause.is_zero() && i + 1 < chunks {
            tokio::select! {
                _ = job.cancelled() => return Err(HandlerError::retryable("stream interrupted")),
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
    Ok(Output::json(&serde_json::json!({ "chunks": chunks })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobId, Payload, QueueName};

    fn job(payload: &str) -> Job {
        Job::detached(
            JobId::generate(&QueueName::default()),
            Payload::bytes(payload, "application/json"),
        )
    }

    #[tokio::test]
    async fn echo_returns_the_payload() {
        let out = Builtin::Echo.handle(job("{\"a\":1}")).await.unwrap();
        assert_eq!(out.bytes, b"{\"a\":1}");
        assert_eq!(out.content_type, "application/json");
    }

    #[tokio::test]
    async fn fail_is_retryable_and_sleep_checks_its_input() {
        assert!(Builtin::Fail.handle(job("{}")).await.unwrap_err().retryable);
        let e = Builtin::Sleep.handle(job("{}")).await.unwrap_err();
        assert!(!e.retryable);
        assert!(e.message.contains("ms"));
        let out = Builtin::Sleep.handle(job("{\"ms\":20}")).await.unwrap();
        assert_eq!(out.bytes, b"{\"ms\":20}");
    }

    #[tokio::test]
    async fn stream_counts_its_chunks_and_checks_its_input() {
        let out = Builtin::Stream
            .handle(job(r#"{"chunks":3}"#))
            .await
            .unwrap();
        assert_eq!(out.bytes, br#"{"chunks":3}"#);
        for bad in [
            r#"{"chunks":-1}"#,
            r#"{"chunks":2000000}"#,
            r#"{"ms":"x"}"#,
            "[1",
        ] {
            let e = Builtin::Stream.handle(job(bad)).await.unwrap_err();
            assert!(!e.retryable && e.message.contains("chunks"), "{bad}: {e}");
        }
    }
}
