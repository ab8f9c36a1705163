//! What a job is: its id (`QUEUE.ULID`), state, options, payload and the status record that
//! `mlqd status --json` and `GET /v1/jobs/{id}` both print.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The queue used when none is named.
pub const DEFAULT_QUEUE: &str = "default";
/// Content type of JSON payloads and results (the default).
pub const JSON: &str = "application/json";
/// Priorities run from -100 to 100; higher runs first.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i32> = -100..=100;
/// Retries after the first failure when the job does not say.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Lost leases a job survives; the last one makes it dead ("worker lost").
pub const DEFAULT_MAX_STALLS: u32 = 3;
/// How long a succeeded or cancelled job's record is kept.
pub const DEFAULT_RESULT_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a dead job stays in the dead-letter set.
pub const DEAD_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long an idempotency key maps to its first job.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
/// Default payload limit.
pub const DEFAULT_MAX_PAYLOAD: u64 = 16 * 1024 * 1024;

/// A validated queue name: `^[A-Za-z0-9_-]{1,64}$`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct QueueName(String);

impl QueueName {
    pub fn new(name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(QueueName(name.to_string()))
        } else {
            Err(Error::invalid(format!(
                "invalid queue name {name:?}: use 1 to 64 letters, digits, '_' or '-'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for QueueName {
    fn default() -> Self {
        QueueName(DEFAULT_QUEUE.to_string())
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for QueueName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        QueueName::new(s)
    }
}

/// A job id: `QUEUE.ULID`. Globally unique and self-locating: the queue part tells every
/// process where the job lives, so one lookup finds it. Clients treat it as opaque.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobId {
    queue: QueueName,
    ulid: String,
}

impl JobId {
    /// A fresh id in `queue`.
    pub fn generate(queue: &QueueName) -> Self {
        JobId {
            queue: queue.clone(),
            ulid: ulid::Ulid::generate().to_string(),
        }
    }

    /// An id from a queue and a ulid string (checked).
    pub fn from_str_parts(queue: &QueueName, ulid: &str) -> Self {
        JobId {
            queue: queue.clone(),
            ulid: ulid.to_string(),
        }
    }

    /// Rebuilds an id from its parts as stored in Redis (the ulid is trusted).
    pub(crate) fn from_parts(queue: &QueueName, ulid: &str) -> Self {
        JobId {
            queue: queue.clone(),
            ulid: ulid.to_string(),
        }
    }

    pub fn queue(&self) -> &QueueName {
        &self.queue
    }

    /// The ULID part, the job's field name inside its queue's keys.
    pub fn ulid(&self) -> &str {
        &self.ulid
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.queue, self.ulid)
    }
}

impl FromStr for JobId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid(format!("invalid job id {s:?}: expected QUEUE.ULID"));
        let (queue, ulid) = s.rsplit_once('.').ok_or_else(bad)?;
        let queue = QueueName::new(queue).map_err(|_| bad())?;
        let parsed = ulid::Ulid::from_string(ulid).map_err(|_| bad())?;
        Ok(JobId {
            queue,
            ulid: parsed.to_string(),
        })
    }
}

impl Serialize for JobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where a job is in its life. `succeeded`, `dead` and `cancelled` are terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Scheduled,
    Pending,
    Active,
    Retry,
    Succeeded,
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 7] = [
        JobState::Scheduled,
        JobState::Pending,
        JobState::Active,
        JobState::Retry,
        JobState::Succeeded,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Dead | JobState::Cancelled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Scheduled => "scheduled",
            JobState::Pending => "pending",
            JobState::Active => "active",
            JobState::Retry => "retry",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| Error::Protocol(format!("unknown job state {s:?}")))
    }
}

/// What the poster may say about a job. Every field is optional; `validate` checks ranges.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobOptions {
    /// -100..=100, higher first; FIFO within a priority.
    pub priority: i32,
    /// Start no earlier than this long after posting.
    pub delay: Option<Duration>,
    /// Start no earlier than this instant.
    pub run_at: Option<OffsetDateTime>,
    /// Retries after the first failure (default 3).
    pub max_retries: Option<u32>,
    /// Lost leases tolerated before the job is dead (default 3).
    pub max_stalls: Option<u32>,
    /// Execution limit per attempt (else the worker's `--timeout`).
    pub timeout: Option<Duration>,
    /// URL that gets the status JSON once the job is terminal.
    pub callback: Option<String>,
    /// A second post with the same key (within 24 h) returns the first job.
    pub idempotency_key: Option<String>,
    /// How long the result is kept (default 24 h).
    pub result_ttl: Option<Duration>,
}

impl JobOptions {
    /// Checks every option; the error names the option and the allowed range.
    pub fn validate(&self) -> Result<()> {
        if !PRIORITY_RANGE.contains(&self.priority) {
            return Err(Error::invalid(format!(
                "priority {} is out of range: use -100 to 100",
                self.priority
            )));
        }
        if self.delay.is_some() && self.run_at.is_some() {
            return Err(Error::invalid("give either delay or run_at, not both"));
        }
        if let Some(n) = self.max_retries
            && n > 1000
        {
            return Err(Error::invalid(format!(
                "max_retries {n} is out of range: use 0 to 1000"
            )));
        }
        if let Some(n) = self.max_stalls
            && !(1..=100).contains(&n)
        {
            return Err(Error::invalid(format!(
                "max_stalls {n} is out of range: use 1 to 100"
            )));
        }
        if let Some(t) = self.timeout
            && t < Duration::from_millis(1)
        {
            return Err(Error::invalid("timeout must be at least 1ms"));
        }
        if let Some(t) = self.result_ttl
            && t < Duration::from_secs(1)
        {
            return Err(Error::invalid("result_ttl must be at least 1s"));
        }
        // durations reach scripts as milliseconds, added to the clock: keep them (and their
        // sums) in the range Redis accepts
        for (name, d) in [
            ("delay", self.delay),
            ("timeout", self.timeout),
            ("result_ttl", self.result_ttl),
        ] {
            if d.is_some_and(|d| d > crate::units::MAX_DURATION) {
                return Err(Error::invalid(format!(
                    "{name} is too long (the most is 36500d)"
                )));
            }
        }
        if let Some(url) = &self.callback {
            validate_url(url)?;
        }
        if let Some(key) = &self.idempotency_key
            && (key.is_empty() || key.len() > 256 || key.chars().any(char::is_control))
        {
            return Err(Error::invalid(
                "idempotency key must be 1 to 256 characters without control characters",
            ));
        }
        Ok(())
    }
}

/// Accepts `http://host…` and `https://host…` URLs (callbacks, the http handler).
pub fn validate_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next());
    match host {
        Some(h) if !h.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(())
        }
        _ => Err(Error::invalid(format!(
            "invalid URL {url:?}: expected http://host/… or https://host/…"
        ))),
    }
}

/// A job's input: bytes and their content type.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl Payload {
    /// A JSON payload from a value.
    pub fn json(value: &serde_json::Value) -> Self {
        Payload {
            bytes: serde_json::to_vec(value).unwrap_or_default(),
            content_type: JSON.to_string(),
        }
    }

    /// Raw bytes with a content type.
    pub fn bytes(bytes: impl Into<Vec<u8>>, content_type: impl Into<String>) -> Self {
        Payload {
            bytes: bytes.into(),
            content_type: content_type.into(),
        }
    }

    /// Whether the content type is JSON (`application/json` or `…+json`).
    pub fn is_json(&self) -> bool {
        is_json_type(&self.content_type)
    }

    /// Checks the content type and, for JSON, that the bytes are JSON.
    pub fn validate(&self, limit: u64) -> Result<()> {
        let size = self.bytes.len() as u64;
        if size > limit {
            return Err(Error::PayloadTooLarge { size, limit });
        }
        check_content_type(&self.content_type)?;
        if self.is_json() {
            // JSON is UTF-8 (RFC 8259); skipping over a string does not check its bytes
            let text = std::str::from_utf8(&self.bytes).map_err(|e| {
                Error::invalid(format!(
                    "payload is not valid JSON: invalid UTF-8 at byte {}",
                    e.valid_up_to()
                ))
            })?;
            if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                return Err(Error::invalid(format!("payload is not valid JSON: {e}")));
            }
        }
        Ok(())
    }
}

/// A content type mlqd stores: `type/subtype` with optional parameters, at most 200
/// characters, no control characters (a job's records keep it on one line).
pub fn check_content_type(ct: &str) -> Result<()> {
    if ct.is_empty() || ct.len() > 200 || !ct.contains('/') || ct.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "invalid content type {ct:?}: expected type/subtype"
        )));
    }
    Ok(())
}

/// `application/json`, `application/problem+json`, with or without parameters.
pub fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == JSON || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reported progress of a running job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    /// 0 to 100.
    pub percent: u8,
    pub message: Option<String>,
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Succeeded,
    Failed,
    LeaseLost,
    Cancelled,
    HandedBack,
}

/// One line of a job's history: who ran it, when, and how it ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttemptRecord {
    pub worker: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
}

/// The status of a job, as `mlqd status --json`, `GET /v1/jobs/{id}`, events and callbacks
/// show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobStatus {
    pub id: String,
    pub queue: String,
    pub state: JobState,
    pub priority: i32,
    /// Starts so far (1-based once started).
    pub attempts: u32,
    pub max_retries: u32,
    /// Failed attempts (counted against `max_retries`).
    pub failures: u32,
    /// Lost leases (counted against `max_stalls`).
    pub stalls: u32,
    pub max_stalls: u32,
    pub progress: Option<Progress>,
    pub created_at: String,
    /// When a delayed or retrying job becomes due.
    pub run_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub worker: Option<String>,
    pub error: Option<String>,
    pub content_type: String,
    pub result_content_type: Option<String>,
    pub timeout: Option<String>,
    pub result_ttl: String,
    pub callback: Option<String>,
    pub history: Vec<AttemptRecord>,
}

/// A finished job's result.
#[derive(Clone, Debug, PartialEq)]
pub struct JobResult {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

/// Counts of one queue by state, with its running totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueStats {
    pub queue: String,
    pub pending: u64,
    pub scheduled: u64,
    pub active: u64,
    pub retry: u64,
    pub dead: u64,
    pub paused: bool,
    /// Rate and concurrency limits; null when the queue has none.
    pub limits: Option<crate::limits::QueueLimits>,
    pub totals: QueueTotals,
}

/// Totals since the queue was first used.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueTotals {
    pub enqueued: u64,
    pub succeeded: u64,
    /// Failed attempts (a job retried twice counts twice).
    pub failed: u64,
    pub dead: u64,
    pub cancelled: u64,
    /// Leases lost to a dead or frozen worker.
    pub stalled: u64,
    /// Dead jobs brought back.
    pub requeued: u64,
    /// Dead jobs deleted because the queue held more than `--dead-max`.
    pub trimmed: u64,
}

/// Milliseconds since the epoch as RFC 3339 UTC with milliseconds.
pub fn format_ms(ms: i64) -> String {
    let ts = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    ts.format(&f).unwrap_or_default()
}

/// Parses an RFC 3339 instant (`--at`, `run_at`).
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| {
        Error::invalid(format!(
            "invalid time {text:?} ({e}): use RFC 3339, e.g. 2026-01-02T15:04:05Z"
        ))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_types_are_one_line_type_subtype() {
        assert!(super::check_content_type("text/plain").is_ok());
        assert!(super::check_content_type("application/json; charset=utf-8").is_ok());
        for bad in ["text/pl\nain\r", "", "plain", &"a/".repeat(101)] {
            assert!(super::check_content_type(bad).is_err(), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn queue_names() {
        assert!(QueueName::new("predict_v2-gpu").is_ok());
        assert!(QueueName::new(&"a".repeat(64)).is_ok());
        for bad in ["", "has space", "dot.ted", "brace{", &"a".repeat(65)] {
            assert!(QueueName::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn job_ids_round_trip_and_locate_their_queue() {
        let q = QueueName::new("predict").unwrap();
        let id = JobId::generate(&q);
        let text = id.to_string();
        assert!(text.starts_with("predict."));
        let back: JobId = text.parse().unwrap();
        assert_eq!(back, id);
        assert_eq!(back.queue().as_str(), "predict");
        for bad in [
            "predict",
            "bad name.01JDX3",
            "predict.notaulid",
            ".01ARZ3NDEKTSV4RRFFQ69G5FAV",
        ] {
            assert!(bad.parse::<JobId>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn options_are_range_checked() {
        let ok = JobOptions {
            priority: 100,
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        let bad = JobOptions {
            priority: 101,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("priority"));
        let both = JobOptions {
            delay: Some(Duration::from_secs(1)),
            run_at: Some(OffsetDateTime::now_utc()),
            ..Default::default()
        };
        assert!(both.validate().is_err());
        let url = JobOptions {
            callback: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(url.validate().is_err());
    }

    #[test]
    fn payload_validation() {
        assert!(Payload::bytes("{\"a\":1}", JSON).validate(100).is_ok());
        assert!(Payload::bytes("{nope", JSON).validate(100).is_err());
        assert!(
            Payload::bytes(vec![0u8, 255], "image/png")
                .validate(100)
                .is_ok()
        );
        assert!(matches!(
            Payload::bytes(vec![0u8; 101], "image/png").validate(100),
            Err(Error::PayloadTooLarge { .. })
        ));
        assert!(is_json_type("application/vnd.api+json; charset=utf-8"));
        assert!(!is_json_type("text/plain"));
    }

    #[test]
    fn times_are_rfc3339_millis() {
        assert_eq!(format_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
