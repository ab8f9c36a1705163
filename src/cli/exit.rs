//! Errors → exit codes (the spec's table), and the one line a failing command prints.
//!
//! 0 success · 1 runtime error · 2 usage or invalid value · 3 job dead or cancelled ·
//! 4 no such job · 5 wait timed out (or not finished yet).

use std::process::ExitCode;

use crate::error::Error;

pub const OK: u8 = 0;
pub const RUNTIME: u8 = 1;
pub const USAGE: u8 = 2;
pub const JOB_FAILED: u8 = 3;
pub const NOT_FOUND: u8 = 4;
pub const TIMEOUT: u8 = 5;

/// The exit code for an error, found by walking its chain of causes.
pub fn code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Error>() {
            return match e {
                Error::Invalid(_) | Error::PayloadTooLarge { .. } => USAGE,
                Error::NotFound(_) => NOT_FOUND,
                Error::JobFailed { .. } => JOB_FAILED,
                Error::WaitTimeout(_) | Error::NotFinished { .. } => TIMEOUT,
                Error::QueueFull { .. }
                | Error::Conflict { .. }
                | Error::Unavailable { .. }
                | Error::OutcomeUnknown { .. }
                | Error::OutOfMemory { .. }
                | Error::RedisReply { .. }
                | Error::RedisTooOld { .. }
                | Error::Protocol(_) => RUNTIME,
            };
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return OK;
        }
        if let Some(json) = cause.downcast_ref::<serde_json::Error>()
            && json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe)
        {
            return OK;
        }
    }
    RUNTIME
}

/// Prints the error as one line on stderr and returns its exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let code = code(err);
    if code != OK {
        let mut line = one_line(err);
        line.retain(|c| c != '\n');
        eprintln!("mlqd: error: {line}");
    }
    ExitCode::from(code)
}

/// The error and its causes joined by ": ", each cause said once: a message that already
/// quotes its cause (as I/O errors' wrappers often do) is not followed by it again.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobState;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot connect: {0}")]
        struct Wrap(#[source] std::io::Error);
        let err = anyhow::Error::new(Wrap(io)).context("posting the job");
        assert_eq!(
            one_line(&err),
            "posting the job: cannot connect: Connection refused"
        );
    }

    #[test]
    fn codes_follow_the_spec() {
        let c = |e: Error| code(&anyhow::Error::new(e));
        assert_eq!(c(Error::invalid("bad")), USAGE);
        assert_eq!(c(Error::NotFound("x".into())), NOT_FOUND);
        assert_eq!(
            c(Error::JobFailed {
                id: "x".into(),
                state: JobState::Dead,
                error: None
            }),
            JOB_FAILED
        );
        assert_eq!(c(Error::WaitTimeout("x".into())), TIMEOUT);
        let wrapped = anyhow::Error::new(Error::NotFound("x".into())).context("reading status");
        assert_eq!(code(&wrapped), NOT_FOUND);
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(code(&pipe), OK);
    }
}
