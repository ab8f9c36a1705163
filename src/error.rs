//! The one error type of the engine. Each variant has a stable `code()` (used in the HTTP
//! error body and logs) and one mapping to an HTTP status (`api/error.rs`) and to an exit
//! code (`cli/exit.rs`).

use crate::job::JobState;

/// Everything the engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that is wrong in itself: a bad queue name, priority out of range, malformed JSON…
    #[error("{0}")]
    Invalid(String),
    /// The payload is larger than the configured limit.
    #[error("payload is {size} bytes, over the limit of {limit} bytes")]
    PayloadTooLarge { size: u64, limit: u64 },
    /// No job with that id (never existed, or its record expired).
    #[error("no such job: {0}")]
    NotFound(String),
    /// The queue holds as many waiting jobs as it may.
    #[error("queue {queue} is full ({limit} waiting jobs); try again later")]
    QueueFull { queue: String, limit: u64 },
    /// The job ended without a result (dead or cancelled).
    #[error("job {id} is {state}{}", error.as_deref().map(|e| format!(": {e}")).unwrap_or_default())]
    JobFailed {
        id: String,
        state: JobState,
        error: Option<String>,
    },
    /// The job has not finished yet.
    #[error("job {id} is {state}, not finished yet")]
    NotFinished { id: String, state: JobState },
    /// A wait ran out of time.
    #[error("timed out waiting for job {0}")]
    WaitTimeout(String),
    /// The operation does not apply in the job's current state (e.g. cancel a finished job).
    #[error("job {id} is already {state}")]
    Conflict { id: String, state: JobState },
    /// Redis could not be reached or answered with an error.
    #[error("redis is unavailable: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis answered something mlqd did not expect (a bug, or a foreign key in our namespace).
    #[error("unexpected answer from redis: {0}")]
    Protocol(String),
}

impl Error {
    /// A stable, machine-readable name for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::NotFound(_) => "not_found",
            Error::QueueFull { .. } => "queue_full",
            Error::JobFailed {
                state: JobState::Cancelled,
                ..
            } => "job_cancelled",
            Error::JobFailed { .. } => "job_dead",
            Error::NotFinished { .. } => "not_finished",
            Error::WaitTimeout(_) => "wait_timeout",
            Error::Conflict { .. } => "conflict",
            Error::Redis(_) => "redis_unavailable",
            Error::Protocol(_) => "internal",
        }
    }

    /// Shorthand for `Error::Invalid`.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// True when the error is about reaching Redis (worth retrying later).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Redis(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
