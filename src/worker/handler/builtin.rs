//! Builtin handlers for tests, demos and benchmarks: `echo`, `sleep`, `fail`, `noop`.

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
}

impl Builtin {
    pub const NAMES: [&'static str; 4] = ["echo", "sleep", "fail", "noop"];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Echo => "echo",
            Builtin::Sleep => "sleep",
            Builtin::Fail => "fail",
            Builtin::Noop => "noop",
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
            _ => Err(format!(
                "unknown builtin {s:?}: use echo, sleep, fail or noop"
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
}
