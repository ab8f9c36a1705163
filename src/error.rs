//! The one error type of the engine. Each variant has a stable `code()` (used in the HTTP
//! error body and logs) and one mapping to an HTTP status (`api/error.rs`) and to an exit
//! code (`cli/exit.rs`).
//!
//! Redis failures come in three classes, because callers must treat them differently:
//! `Unavailable` (no answer, or a server that cannot serve right now: retry later),
//! `OutOfMemory` (the server refuses writes until memory is freed: retry later, but say
//! why) and `RedisReply` (the server answered "no" to this very request: retrying the same
//! request gets the same answer, so only the one thing that caused it fails).

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
    /// Redis could not be reached, did not answer in time, or cannot serve right now
    /// (loading, read-only replica, cluster or master down). Worth retrying.
    #[error("redis{} is unavailable: {cause}", at(.url))]
    Unavailable {
        /// The URL tried, without its password (empty when unknown).
        url: String,
        cause: String,
        /// The request may have reached Redis and been applied: it was sent (or partly
        /// sent) and then no answer came. False when Redis refused it or it was never sent
        /// (connection refused, a refusing reply such as BUSY or LOADING).
        maybe_applied: bool,
    },
    /// A submit whose outcome is unknown: the jobs were sent to Redis and no answer came.
    /// They may be stored; reading them by id tells, once Redis answers.
    #[error("redis{} did not answer ({cause}); the job may have been stored: check {}", at(.url), .ids.join(", "))]
    OutcomeUnknown {
        url: String,
        cause: String,
        /// The ids the jobs were sent under (made before sending).
        ids: Vec<String>,
    },
    /// Redis refused a write because it reached `maxmemory`. Worth retrying once memory
    /// is freed (jobs drained, results expired, or the limit raised).
    #[error("redis{} is out of memory: {detail}", at(.url))]
    OutOfMemory { url: String, detail: String },
    /// Redis answered this request with an error (a script error, a key of the wrong
    /// type…): the same request would get the same answer.
    #[error("redis{} answered with an error: {detail}", at(.url))]
    RedisReply { url: String, detail: String },
    /// The Redis server is older than 7.0: mlqd's scripts carry Redis 7 flags (so each runs
    /// whole or not at all under memory pressure), which older servers cannot load.
    #[error("redis{} is version {version}; mlqd needs Redis 7.0 or newer", at(.url))]
    RedisTooOld { url: String, version: String },
    /// Redis answered something mlqd did not expect (a bug, or a foreign key in our namespace).
    #[error("unexpected answer from redis: {0}")]
    Protocol(String),
}

fn at(url: &str) -> String {
    if url.is_empty() {
        String::new()
    } else {
        format!(" at {url}")
    }
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
            Error::Unavailable { .. } => "redis_unavailable",
            Error::OutcomeUnknown { .. } => "outcome_unknown",
            Error::OutOfMemory { .. } => "redis_out_of_memory",
            Error::RedisTooOld { .. } => "redis_too_old",
            Error::RedisReply { .. } | Error::Protocol(_) => "internal",
        }
    }

    /// Shorthand for `Error::Invalid`.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// True when Redis could not be reached or cannot serve right now.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::Unavailable { .. } | Error::OutcomeUnknown { .. }
        )
    }

    /// True when the same call may succeed later unchanged (Redis unavailable or out of
    /// memory); what retry loops check. An error reply is not transient: retrying the
    /// same request gets the same answer.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Unavailable { .. } | Error::OutOfMemory { .. } | Error::OutcomeUnknown { .. }
        )
    }

    /// Whether the request may have been applied although it failed: it was sent and no
    /// answer came (a connection that broke under it, a timeout).
    pub fn maybe_applied(&self) -> bool {
        matches!(
            self,
            Error::Unavailable {
                maybe_applied: true,
                ..
            } | Error::OutcomeUnknown { .. }
        )
    }

    /// Redis gave no answer within `limit`.
    pub fn no_answer(url: &str, limit: std::time::Duration) -> Self {
        Error::Unavailable {
            url: url.to_string(),
            cause: format!("no answer within {limit:?}"),
            maybe_applied: true,
        }
    }

    /// Classifies a redis-rs error; `url` is the (redacted) URL it came from, or empty.
    pub fn from_redis(e: &redis::RedisError, url: &str) -> Self {
        let url = url.to_string();
        match class(e) {
            Class::Unavailable => Error::Unavailable {
                url,
                cause: cause(e),
                maybe_applied: maybe_applied(e),
            },
            Class::OutOfMemory => Error::OutOfMemory {
                url,
                detail: server_text(e),
            },
            Class::Reply => Error::RedisReply {
                url,
                detail: server_text(e),
            },
        }
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        Error::from_redis(&e, "")
    }
}

/// Whether a request that failed with `e` may have been applied: a connection dropped
/// mid-exchange or a timeout leaves it open; a refusing reply, or a connection that could
/// not be made (refused, unknown host, TLS), means it was not sent.
fn maybe_applied(e: &redis::RedisError) -> bool {
    use std::io::ErrorKind as Io;
    if e.is_connection_refusal() || tls_failure(e).is_some() {
        return false;
    }
    if e.is_timeout() {
        return true;
    }
    // a connection that broke under a request (a failure to connect is not that); redis-rs
    // keeps an io::Error behind an Arc
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let io = s.downcast_ref::<std::io::Error>().or_else(|| {
            s.downcast_ref::<Shared>()
                .and_then(|inner| inner.downcast_ref::<std::io::Error>())
        });
        if let Some(io) = io {
            return matches!(
                io.kind(),
                Io::BrokenPipe | Io::ConnectionReset | Io::ConnectionAborted | Io::UnexpectedEof
            );
        }
        source = s.source();
    }
    false
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Unavailable,
    OutOfMemory,
    Reply,
}

fn class(e: &redis::RedisError) -> Class {
    use redis::ErrorKind as K;
    use redis::ServerErrorKind as S;
    match e.kind() {
        K::Server(S::BusyLoading | S::ReadOnly | S::MasterDown | S::ClusterDown | S::TryAgain) => {
            Class::Unavailable
        }
        // a redirection redis-rs could not follow: the topology is changing under us
        K::Server(S::Moved | S::Ask) => Class::Unavailable,
        K::Server(S::NoPerm) => Class::Unavailable,
        K::Server(_) | K::Extension => match e.code() {
            Some("OOM") => Class::OutOfMemory,
            // a script or command still running, an unauthenticated or refused login:
            // the server is there but cannot serve us now
            Some("BUSY" | "NOAUTH" | "WRONGPASS" | "NOREPLICAS") => Class::Unavailable,
            // a write refused inside a script surfaces as an ERR naming the cause
            _ if e
                .detail()
                .is_some_and(|d| d.contains("OOM command not allowed")) =>
            {
                Class::OutOfMemory
            }
            _ => Class::Reply,
        },
        // the server answered something our code did not expect to convert
        K::UnexpectedReturnType | K::Client => Class::Reply,
        // I/O, timeouts, a broken stream, authentication, sentinel or cluster lookups: all
        // about reaching a server, not about the request
        _ => Class::Unavailable,
    }
}

/// True when `e` is a TLS setup error (a certificate that does not verify, or ours refused):
/// long-running roles stop on it at start instead of retrying forever.
pub(crate) fn is_tls_setup(e: &redis::RedisError) -> bool {
    tls_failure(e).is_some()
}

/// When `e` is a TLS handshake that failed on a certificate (the server's does not verify,
/// or the server refused ours), what to say about it: a setup error to fix, not an outage
/// to wait out.
fn tls_failure(e: &redis::RedisError) -> Option<String> {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        // redis-rs keeps an I/O error behind an `Arc<dyn Error>`
        let err: &(dyn std::error::Error + 'static) = match err.downcast_ref::<Shared>() {
            Some(shared) => shared.as_ref(),
            None => err,
        };
        let tls = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .or_else(|| err.downcast_ref::<rustls::Error>());
        if let Some(tls) = tls {
            return Some(describe_tls(tls));
        }
        source = err.source();
    }
    None
}

fn describe_tls(e: &rustls::Error) -> String {
    use rustls::AlertDescription as A;
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            ..
        }) => format!("TLS: the server's certificate is not valid for the host in the URL ({e})"),
        rustls::Error::InvalidCertificate(_) => format!(
            "TLS: the server's certificate does not verify ({e}); trust the CA that signed it with --redis-ca"
        ),
        rustls::Error::AlertReceived(
            A::CertificateRequired | A::BadCertificate | A::UnknownCA | A::HandshakeFailure,
        ) => format!(
            "TLS: the server refused the connection ({e}); it wants a client certificate it trusts (--redis-cert and --redis-key)"
        ),
        rustls::Error::InvalidMessage(_) => {
            format!("TLS: the handshake failed ({e}); is the server speaking TLS on that port?")
        }
        _ => format!("TLS: the handshake failed ({e})"),
    }
}

/// The cause of an unavailability, said once, in lowercase.
fn cause(e: &redis::RedisError) -> String {
    if let Some(tls) = tls_failure(e) {
        return tls;
    }
    if e.is_connection_refusal() {
        return "connection refused".into();
    }
    if e.is_timeout() {
        return "timed out".into();
    }
    if matches!(
        e.kind(),
        redis::ErrorKind::Server(_) | redis::ErrorKind::Extension
    ) {
        return server_text(e);
    }
    if e.kind() == redis::ErrorKind::AuthenticationFailed {
        return format!("authentication failed{}", detail_suffix(e));
    }
    // an I/O error prints as "Connection reset by peer (os error 104)"
    let text = e.to_string();
    let text = match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".into(),
    }
}

/// An error reply as Redis wrote it: `CODE detail`.
fn server_text(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}

fn detail_suffix(e: &redis::RedisError) -> String {
    e.detail().map(|d| format!(": {d}")).unwrap_or_default()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> redis::RedisError {
        // parse a real error reply the way a connection would
        let wire = format!("-{text}\r\n");
        match redis::parse_redis_value(wire.as_bytes()) {
            Ok(redis::Value::ServerError(e)) => e.into(),
            other => panic!("not an error reply: {other:?}"),
        }
    }

    #[test]
    fn redis_errors_fall_into_three_classes() {
        let io =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let cases = [
            (io, Class::Unavailable),
            (
                reply("LOADING Redis is loading the dataset in memory"),
                Class::Unavailable,
            ),
            (
                reply("READONLY You can't write against a read only replica."),
                Class::Unavailable,
            ),
            (
                reply("MASTERDOWN Link with MASTER is down"),
                Class::Unavailable,
            ),
            (reply("CLUSTERDOWN The cluster is down"), Class::Unavailable),
            (reply("TRYAGAIN Multiple keys request"), Class::Unavailable),
            (reply("MOVED 3999 127.0.0.1:6381"), Class::Unavailable),
            (
                reply("BUSY Redis is busy running a script."),
                Class::Unavailable,
            ),
            (
                reply("OOM command not allowed when used memory > 'maxmemory'."),
                Class::OutOfMemory,
            ),
            (
                reply(
                    "ERR Error running script: @user_script:1: OOM command not allowed when used memory > 'maxmemory'.",
                ),
                Class::OutOfMemory,
            ),
            (
                reply("WRONGTYPE Operation against a key holding the wrong kind of value"),
                Class::Reply,
            ),
            (
                reply("ERR user_script:12: Script attempted to access a non local key"),
                Class::Reply,
            ),
            (
                reply("ERR Protocol error: invalid bulk length"),
                Class::Reply,
            ),
            (
                reply("CROSSSLOT Keys in request don't hash to the same slot"),
                Class::Reply,
            ),
        ];
        for (e, want) in cases {
            assert_eq!(class(&e), want, "{e}");
        }
    }

    #[test]
    fn a_connection_that_broke_under_a_request_may_have_applied_it() {
        let io = |kind| redis::RedisError::from(std::io::Error::from(kind));
        use std::io::ErrorKind as K;
        for kind in [K::BrokenPipe, K::ConnectionReset, K::UnexpectedEof] {
            let e = Error::from_redis(&io(kind), "redis://127.0.0.1:6390");
            assert!(e.maybe_applied(), "{kind:?}: {e:?}");
        }
        let refused = Error::from_redis(&io(K::ConnectionRefused), "redis://127.0.0.1:6390");
        assert!(!refused.maybe_applied(), "{refused:?}");
        // a cluster client that could reach no node at all sent nothing
        let cluster = redis::RedisError::from((
            redis::ErrorKind::Io,
            "failed to create initial connections",
            "Io: Connection refused".to_string(),
        ));
        let e = Error::from_redis(&cluster, "redis+cluster://127.0.0.1:7000");
        assert!(!e.maybe_applied(), "{e:?}");
        assert!(
            Error::no_answer("redis://127.0.0.1:6390", std::time::Duration::from_secs(1))
                .maybe_applied()
        );
    }

    #[test]
    fn messages_name_the_url_and_the_cause_once() {
        let io =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let e = Error::from_redis(&io, "redis://127.0.0.1:6390");
        assert_eq!(
            e.to_string(),
            "redis at redis://127.0.0.1:6390 is unavailable: connection refused"
        );
        assert!(e.is_unavailable() && e.is_transient());
        assert_eq!(e.code(), "redis_unavailable");

        let oom = Error::from_redis(&reply("OOM command not allowed"), "redis://h");
        assert_eq!(oom.code(), "redis_out_of_memory");
        assert!(oom.is_transient() && !oom.is_unavailable());

        let wt = Error::from_redis(&reply("WRONGTYPE Operation against a key"), "");
        assert_eq!(
            wt.to_string(),
            "redis answered with an error: WRONGTYPE Operation against a key"
        );
        assert_eq!(wt.code(), "internal");
        assert!(!wt.is_transient());
    }
    #[test]
    fn tls_failures_are_told_apart() {
        let io = |e: rustls::Error| {
            redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        };
        let m = tls_failure(&io(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        )))
        .unwrap();
        assert!(
            m.contains("does not verify") && m.contains("--redis-ca"),
            "{m}"
        );
        let m = tls_failure(&io(rustls::Error::AlertReceived(
            rustls::AlertDescription::CertificateRequired,
        )))
        .unwrap();
        assert!(m.contains("--redis-cert"), "{m}");
        let refused =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(tls_failure(&refused), None);
    }
}
