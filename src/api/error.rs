//! `ApiError`: every failure of the HTTP API as `{"error":{"code","message"}}` with one
//! status. `crate::Error` maps here in one match; internals (Redis messages, bugs) are logged
//! and never sent to the caller.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// The header naming the job(s) a submit with an unknown outcome was sent under.
pub const JOB_ID_HEADER: &str = "x-mlqd-job-id";

/// Seconds a client should wait before retrying after a 429 or 503.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code and a message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid`, `unauthorized`, `not_found`, `no_route`,
    /// `method_not_allowed`, `read_only`, `conflict`, `job_dead`, `job_cancelled`,
    /// `payload_gone`, `payload_too_large`,
    /// `unsupported_media_type`, `schema_violation`, `queue_full`, `redis_unavailable`,
    /// `redis_out_of_memory`, `outcome_unknown` (the job may be stored: its id is in
    /// `X-Mlqd-Job-Id`), `redis_too_old`, `shutting_down`, `internal`.
    pub code: &'static str,
    pub message: String,
    /// Schema violations: one entry per failing field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
}

/// One field that does not match a queue's JSON Schema.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON Pointer to the failing value (`""` is the whole payload).
    pub path: String,
    pub message: String,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    /// Extra headers (Retry-After, WWW-Authenticate); a Vec keeps the error small.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token: send `Authorization: Bearer <token>`",
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"mlqd\""),
        )
    }

    /// 403 under `--ui-read-only`.
    pub fn read_only() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "read_only",
            "this server is read-only (--ui-read-only): actions are refused; only reads and job submissions are served",
        )
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message).retry_after(RETRY_AFTER_SECS)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn retry_after(self, secs: u64) -> Self {
        self.with_header(header::RETRY_AFTER, HeaderValue::from(secs))
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let msg = e.to_string();
        match &e {
            Error::Invalid(_) => Self::new(StatusCode::BAD_REQUEST, e.code(), msg),
            Error::PayloadTooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, e.code(), msg)
            }
            Error::NotFound(_) => Self::new(StatusCode::NOT_FOUND, e.code(), msg),
            Error::QueueFull { .. } => Self::new(StatusCode::TOO_MANY_REQUESTS, e.code(), msg)
                .retry_after(RETRY_AFTER_SECS),
            Error::JobFailed { .. } | Error::Conflict { .. } | Error::NotFinished { .. } => {
                Self::new(StatusCode::CONFLICT, e.code(), msg)
            }
            Error::WaitTimeout(_) => Self::new(StatusCode::GATEWAY_TIMEOUT, e.code(), msg),
            Error::Unavailable { .. } => {
                log_unavailable(&msg);
                Self::unavailable(
                    e.code(),
                    "the job store (Redis) is unavailable; try again shortly",
                )
            }
            Error::OutcomeUnknown { ids, .. } => {
                log_unavailable(&msg);
                let mut api = Self::unavailable(
                    e.code(),
                    format!(
                        "the job store (Redis) stopped answering after the job was sent: it may be stored. GET /v1/jobs/{} tells once Redis answers; a retry with the same Idempotency-Key is safe",
                        ids.first().map_or("", String::as_str)
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&ids.join(",")) {
                    api = api.with_header(HeaderName::from_static(JOB_ID_HEADER), v);
                }
                api
            }
            Error::OutOfMemory { .. } => {
                log_unavailable(&msg);
                Self::unavailable(
                    e.code(),
                    "the job store (Redis) is out of memory; try again once jobs have drained",
                )
            }
            Error::RedisReply { .. } => {
                tracing::error!(error = %msg, "redis refused a request");
                Self::internal()
            }
            Error::Protocol(detail) => {
                tracing::error!(error = %detail, "unexpected answer from redis");
                Self::internal()
            }
            Error::RedisTooOld { .. } => {
                tracing::error!(error = %msg, "redis is too old");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    e.code(),
                    "the job store (Redis) is older than 7.0, which mlqd needs",
                )
            }
        }
    }
}

/// Logs Redis being unavailable or out of memory: a warning at most every few seconds (an outage fails every
/// request; one line per request would flood the log), the rest at debug level.
fn log_unavailable(detail: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    const EVERY_SECS: u64 = 5;
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let last = LAST.load(Ordering::Relaxed);
    if now >= last + EVERY_SECS
        && LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::warn!(error = %detail, "answering 503");
    } else {
        tracing::debug!(error = %detail, "answering 503");
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                details: self.details,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

/// Handlers answer `Result<Response, ApiError>`.
pub type ApiResult<T = Response> = std::result::Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobState;

    #[test]
    fn engine_errors_map_to_one_status_each() {
        let cases = [
            (Error::invalid("x"), 400, "invalid"),
            (
                Error::PayloadTooLarge { size: 2, limit: 1 },
                413,
                "payload_too_large",
            ),
            (Error::NotFound("x".into()), 404, "not_found"),
            (
                Error::QueueFull {
                    queue: "q".into(),
                    limit: 1,
                },
                429,
                "queue_full",
            ),
            (
                Error::JobFailed {
                    id: "x".into(),
                    state: JobState::Cancelled,
                    error: None,
                },
                409,
                "job_cancelled",
            ),
            (
                Error::Conflict {
                    id: "x".into(),
                    state: JobState::Succeeded,
                },
                409,
                "conflict",
            ),
            (Error::Protocol("secret detail".into()), 500, "internal"),
        ];
        for (err, status, code) in cases {
            let api = ApiError::from(err);
            assert_eq!(api.status.as_u16(), status, "{code}");
            assert_eq!(api.code, code);
        }
    }

    #[test]
    fn redis_failures_are_503_with_retry_after_and_no_internals() {
        let cases = [
            (
                Error::Unavailable {
                    url: "redis://10.1.2.3:6379".into(),
                    cause: "connection refused".into(),
                    maybe_applied: false,
                },
                "redis_unavailable",
            ),
            (
                Error::OutOfMemory {
                    url: "redis://10.1.2.3:6379".into(),
                    detail: "OOM command not allowed".into(),
                },
                "redis_out_of_memory",
            ),
        ];
        for (err, code) in cases {
            let api = ApiError::from(err);
            assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(api.code, code);
            assert!(!api.message.contains("10.1.2.3"), "{}", api.message);
            let res = api.into_response();
            assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        }
    }

    #[test]
    fn an_error_reply_is_500_internal_without_its_details() {
        let api = ApiError::from(Error::RedisReply {
            url: "redis://10.1.2.3:6379".into(),
            detail: "WRONGTYPE Operation against a key holding the wrong kind of value".into(),
        });
        assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(api.code, "internal");
        assert!(!api.message.contains("WRONGTYPE") && !api.message.contains("10.1.2.3"));
    }
}
