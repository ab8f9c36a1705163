//! Jobs: submit (one or a batch), status, result, cancel.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::answers::{accepted, header_value, json_response, location, result_bytes, submitted};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, content_type, json_body, json_sent_as_form, read_body};
use crate::broker::Enqueued;
use crate::error::Error;
use crate::job::{self, JobId, JobOptions, JobState, JobStatus, Payload, QueueName};
use crate::units::parse_duration;

/// Header naming the job on every submit answer.
pub const JOB_ID_HEADER: HeaderName = HeaderName::from_static("x-mlqd-job-id");
/// Most jobs in one batch submit.
pub const MAX_BATCH: usize = 1000;
/// Longest `X-Mlqd-Job-Id` of a batch answer: some HTTP clients refuse a response whose
/// headers pass 8–16 KiB, so past this a batch's header names its first job only.
const MAX_IDS_HEADER: usize = 4096;
/// Header of a batch answer: how many jobs it lists.
pub const JOB_COUNT_HEADER: HeaderName = HeaderName::from_static("x-mlqd-job-count");
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A job as a submit answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    /// `QUEUE.ULID`; treat it as opaque.
    pub id: String,
    pub state: JobState,
}

impl From<&Enqueued> for Submitted {
    fn from(e: &Enqueued) -> Self {
        Submitted {
            id: e.id.to_string(),
            state: e.state,
        }
    }
}

/// Job options, as query parameters of a submit.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// -100 to 100, higher runs first (default 0).
    priority: Option<String>,
    /// Start no earlier than this from now: `500ms`, `30s`, `5m`, `1h`.
    delay: Option<String>,
    /// Start no earlier than this instant (RFC 3339).
    run_at: Option<String>,
    /// Retries after the first failure (default 3).
    max_retries: Option<String>,
    /// Lost leases tolerated before the job is dead (default 3).
    max_stalls: Option<String>,
    /// Execution limit per attempt.
    timeout: Option<String>,
    /// URL that gets the status JSON once the job is terminal.
    callback: Option<String>,
    /// How long the result is kept (default 24h).
    result_ttl: Option<String>,
    /// Wait up to this long for the job to finish and answer with its result.
    wait: Option<String>,
}

fn bad(msg: String) -> ApiError {
    ApiError::bad_request(msg)
}

fn opt_duration(name: &str, v: &Option<String>) -> Result<Option<Duration>, ApiError> {
    v.as_deref()
        .map(|s| parse_duration(s).map_err(|e| bad(format!("{name}: {e}"))))
        .transpose()
}

fn opt_u32(name: &str, v: &Option<String>) -> Result<Option<u32>, ApiError> {
    v.as_deref()
        .map(|s| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| bad(format!("{name} {s:?} is not a whole number")))
        })
        .transpose()
}

impl SubmitQuery {
    fn options(&self) -> Result<JobOptions, ApiError> {
        let priority = match &self.priority {
            Some(p) => p
                .trim()
                .parse::<i32>()
                .map_err(|_| bad(format!("priority {p:?} is not an integer: use -100 to 100")))?,
            None => 0,
        };
        let options = JobOptions {
            priority,
            delay: opt_duration("delay", &self.delay)?,
            run_at: self.run_at.as_deref().map(job::parse_rfc3339).transpose()?,
            max_retries: opt_u32("max_retries", &self.max_retries)?,
            max_stalls: opt_u32("max_stalls", &self.max_stalls)?,
            timeout: opt_duration("timeout", &self.timeout)?,
            callback: self.callback.clone(),
            idempotency_key: None,
            result_ttl: opt_duration("result_ttl", &self.result_ttl)?,
        };
        options.validate()?;
        Ok(options)
    }
}

/// `?wait=` on reads.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Long-poll up to this long for the job to finish (`30s`).
    pub(super) wait: Option<String>,
}

impl AppState {
    /// The `?wait=` duration, within `--max-wait`; None when absent or zero.
    pub(super) fn wait_for(&self, wait: &Option<String>) -> Result<Option<Duration>, ApiError> {
        let Some(d) = opt_duration("wait", wait)? else {
            return Ok(None);
        };
        if d > self.config.max_wait {
            return Err(bad(format!(
                "wait {} is over the limit of {}",
                crate::units::format_duration(d),
                crate::units::format_duration(self.config.max_wait)
            )));
        }
        Ok((!d.is_zero()).then_some(d))
    }

    /// Checks a payload against its queue's schema, if the queue has one.
    fn check_schema(&self, queue: &QueueName, payload: &Payload, label: &str) -> ApiResult<()> {
        if self.config.schemas.get(queue).is_none() {
            return Ok(());
        }
        if !payload.is_json() {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "{label}queue {queue} checks its payloads against a JSON Schema: send JSON (Content-Type: application/json), not {:?}",
                    payload.content_type
                ),
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&payload.bytes)
            .map_err(|e| bad(format!("{label}payload is not valid JSON: {e}")))?;
        self.config.schemas.check(queue, &value, label)
    }

    fn count_enqueued(queue: &QueueName, posted: &[Enqueued]) {
        let created = posted.iter().filter(|e| e.created).count() as u64;
        if created > 0 {
            ENQUEUED.with(|cache| {
                let mut cache = cache.borrow_mut();
                if !cache.contains_key(queue) {
                    if cache.len() >= MAX_CACHED_QUEUES {
                        cache.clear();
                    }
                    let counter =
                        metrics::counter!("mlqd_jobs_enqueued_total", "queue" => queue.to_string());
                    cache.insert(queue.clone(), counter);
                }
                if let Some(counter) = cache.get(queue) {
                    counter.increment(created);
                }
            });
        }
    }
}

/// Most queues whose enqueue counter a worker thread keeps a handle to; past it the cache
/// starts over (queue names come from requests, so their number has no bound of its own).
const MAX_CACHED_QUEUES: usize = 256;

thread_local! {
    /// The `mlqd_jobs_enqueued_total` handle of each queue, per worker thread: looking the
    /// counter up copied the queue name, built the key and read-locked the recorder's
    /// registry (shared by both worker threads) on every post.
    static ENQUEUED: std::cell::RefCell<std::collections::HashMap<QueueName, metrics::Counter>> =
        std::cell::RefCell::default();
}

/// The `Idempotency-Key` header, if any.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get(IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim().to_string()))
            .map_err(|_| bad("Idempotency-Key must be visible ASCII".into())),
    }
}

fn parse_queue(queue: &str) -> ApiResult<QueueName> {
    Ok(QueueName::new(queue)?)
}

pub(super) fn parse_id(id: &str) -> ApiResult<JobId> {
    Ok(id.parse::<JobId>()?)
}

/// Waits for a job just posted; answers with its result, 409 + status when it ended
/// without one, or 202 when it is still going when the wait ends (or fails: the job
/// exists either way, so the caller must not post it again).
async fn wait_then_answer(st: &AppState, posted: &Enqueued, wait: Duration) -> Response {
    let id = &posted.id;
    let mut last = posted.state;
    let waited = tokio::select! {
        r = st.client.wait_with(id, Some(wait), |s| last = s.state) => r,
        _ = st.stopping.cancelled() => Err(Error::WaitTimeout(id.to_string())),
    };
    match waited {
        Ok(status) if status.state == JobState::Succeeded => {
            match Box::pin(st.client.result(id)).await {
                Ok((_, result)) => result_bytes(id, result, None),
                Err(_) => accepted(id, status.state),
            }
        }
        Ok(status) => {
            let mut res = (StatusCode::CONFLICT, Json(status)).into_response();
            res.headers_mut()
                .insert(JOB_ID_HEADER, header_value(&id.to_string()));
            res.headers_mut().insert(header::LOCATION, location(id));
            res
        }
        Err(Error::WaitTimeout(_)) => accepted(id, last),
        Err(e) => {
            tracing::warn!(error = %e, job = %id, "wait for a posted job failed; answering 202");
            accepted(id, last)
        }
    }
}

/// Submit a job: the body is the payload, kept with its Content-Type.
#[utoipa::path(
    post,
    path = "/v1/queues/{queue}/jobs",
    tag = "jobs",
    params(
        ("queue" = String, Path, description = "Queue name: 1 to 64 of A-Z a-z 0-9 _ -"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "Posting again with the same key within 24h returns the first job (200)"),
        SubmitQuery
    ),
    request_body(
        content = Vec<u8>,
        content_type = "*/*",
        description = "The payload, any bytes. Its Content-Type is stored with the job (none: an empty body is `{}` JSON, other bytes application/octet-stream)."
    ),
    responses(
        (status = 201, description = "Created", body = Submitted,
            headers(("Location" = String), ("X-Mlqd-Job-Id" = String))),
        (status = 200, description = "An idempotent repeat (the first job); or, with `?wait=`, the result bytes of a job that succeeded in time",
            body = Submitted, headers(("X-Mlqd-Job-Id" = String))),
        (status = 202, description = "With `?wait=`: not finished in time", body = Submitted,
            headers(("Location" = String), ("X-Mlqd-Job-Id" = String), ("Retry-After" = u64))),
        (status = 409, description = "With `?wait=`: the job ended dead or cancelled; the body is its status", body = JobStatus),
        (status = 400, description = "Malformed input (queue name, option, JSON payload), or a JSON body labelled application/x-www-form-urlencoded (curl -d without a Content-Type): send Content-Type: application/json", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 413, description = "Body over --max-body", body = ErrorBody),
        (status = 415, description = "Non-JSON payload for a queue with a schema", body = ErrorBody),
        (status = 422, description = "Payload does not match the queue's JSON Schema", body = ErrorBody),
        (status = 429, description = "Queue full (--max-pending)", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "`redis_unavailable` / `redis_out_of_memory`: nothing was stored. `outcome_unknown`: Redis stopped answering after the job was sent, so it may be stored under the id in `X-Mlqd-Job-Id` (GET it once Redis answers; a retry with the same Idempotency-Key is safe)", body = ErrorBody, headers(("Retry-After" = u64), ("X-Mlqd-Job-Id" = String))),
    )
)]
pub async fn submit(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(q): ApiQuery<SubmitQuery>,
    req: Request,
) -> ApiResult {
    // the request taken whole, not `HeaderMap` + `Body`: that extractor clones every header
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let queue = parse_queue(&queue)?;
    let mut options = q.options()?;
    let wait = st.wait_for(&q.wait)?;
    options.idempotency_key = idempotency_key(headers)?;
    options.validate()?;
    let bytes = read_body(headers, body, st.config.max_body).await?;
    let payload = match content_type(headers)? {
        Some(ct) if json_sent_as_form(&ct, &bytes) => {
            return Err(bad(
                "the body is JSON but its Content-Type is application/x-www-form-urlencoded (what `curl -d` sends by default): send Content-Type: application/json".into(),
            ));
        }
        Some(ct) => Payload::bytes(bytes.to_vec(), ct),
        None if bytes.is_empty() => Payload::bytes(b"{}".to_vec(), job::JSON),
        None => Payload::bytes(bytes.to_vec(), "application/octet-stream"),
    };
    st.check_schema(&queue, &payload, "")?;
    // boxed, so a request that then waits does not hold room for the post (see wait_with)
    let posted = Box::pin(st.client.post_limited(
        &queue,
        payload,
        options,
        st.config.max_pending.limit(&queue),
    ))
    .await?;
    AppState::count_enqueued(&queue, std::slice::from_ref(&posted));
    Ok(match wait {
        None => submitted(&posted),
        Some(w) => wait_then_answer(&st, &posted, w).await,
    })
}

/// Submit many JSON payloads to one queue at once: all are stored, or none.
#[utoipa::path(
    post,
    path = "/v1/queues/{queue}/jobs:batch",
    tag = "jobs",
    params(
        ("queue" = String, Path, description = "Queue name"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "Job i gets the key `<key>:<i>`, so a repeated batch returns the first jobs"),
        SubmitQuery
    ),
    request_body(content = Vec<serde_json::Value>, content_type = "application/json",
        description = "A JSON array of payloads (1 to 1000); the options in the query apply to each"),
    responses(
        (status = 201, description = "Created (in order)", body = Vec<Submitted>, headers(
            ("X-Mlqd-Job-Id" = String, description = "The ids, comma-separated, when they fit in 4 KiB (about 130 jobs); else the first id (the body lists them all)"),
            ("X-Mlqd-Job-Count" = u64, description = "How many jobs the answer lists"))),
        (status = 200, description = "Every job was an idempotent repeat", body = Vec<Submitted>),
        (status = 400, description = "Malformed input", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 413, description = "Body over --max-body", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "A payload does not match the queue's JSON Schema", body = ErrorBody),
        (status = 429, description = "Queue full", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "`redis_unavailable` / `redis_out_of_memory`: nothing was stored. `outcome_unknown`: the jobs may be stored under the comma-separated ids in `X-Mlqd-Job-Id`", body = ErrorBody, headers(("Retry-After" = u64), ("X-Mlqd-Job-Id" = String))),
    )
)]
pub async fn submit_batch(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(q): ApiQuery<SubmitQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let queue = parse_queue(&queue)?;
    let options = q.options()?;
    if q.wait.is_some() {
        return Err(bad("a batch submit does not wait; leave out ?wait=".into()));
    }
    let key = idempotency_key(&headers)?;
    let items: Vec<Box<RawValue>> = json_body(&headers, body, st.config.max_body).await?;
    if items.is_empty() {
        return Err(bad("a batch needs at least one payload".into()));
    }
    if items.len() > MAX_BATCH {
        return Err(bad(format!(
            "a batch holds at most {MAX_BATCH} payloads, not {}",
            items.len()
        )));
    }
    let mut jobs = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let payload = Payload::bytes(raw.get().as_bytes().to_vec(), job::JSON);
        st.check_schema(&queue, &payload, &format!("job {i}: "))?;
        let mut o = options.clone();
        o.idempotency_key = key.as_ref().map(|k| format!("{k}:{i}"));
        o.validate()?;
        jobs.push((payload, o));
    }
    let posted = st
        .client
        .post_batch(&queue, jobs, st.config.max_pending.limit(&queue))
        .await?;
    AppState::count_enqueued(&queue, &posted);
    let status = if posted.iter().any(|e| e.created) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let ids: Vec<String> = posted.iter().map(|e| e.id.to_string()).collect();
    let mut listed = ids.join(",");
    if listed.len() > MAX_IDS_HEADER {
        listed = ids.first().cloned().unwrap_or_default();
    }
    let body: Vec<Submitted> = posted.iter().map(Submitted::from).collect();
    let mut res = (status, Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(JOB_ID_HEADER, header_value(&listed));
    h.insert(JOB_COUNT_HEADER, HeaderValue::from(ids.len()));
    Ok(res)
}

/// A job's status (the same object `mlqd status --json` prints).
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (QUEUE.ULID)")),
    responses(
        (status = 200, description = "The job's status", body = JobStatus),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job (or its record expired)", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn status(State(st): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult {
    let id = parse_id(&id)?;
    let status: JobStatus = st.client.status(&id).await?;
    Ok(json_response(StatusCode::OK, &status, 512))
}

/// What a cancel did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelAnswer {
    pub id: String,
    /// Always `cancelled`.
    pub state: JobState,
    /// The state the job was in.
    pub previous_state: JobState,
}

/// Cancel a job that has not finished (a running one's worker is told to stop).
#[utoipa::path(
    delete,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (QUEUE.ULID)")),
    responses(
        (status = 200, description = "Cancelled (or it already was)", body = CancelAnswer),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "Already succeeded or dead", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn cancel(State(st): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult {
    let id = parse_id(&id)?;
    let previous = st.client.cancel(&id).await?;
    Ok(Json(CancelAnswer {
        id: id.to_string(),
        state: JobState::Cancelled,
        previous_state: previous,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enqueue_counts_go_on_when_the_handle_cache_starts_over() {
        let handle = crate::telemetry::prometheus().expect("the prometheus recorder");
        let one = |q: &QueueName| Enqueued {
            id: JobId::generate(q),
            created: true,
            state: JobState::Pending,
        };
        let first = QueueName::new("cachetest-first").unwrap();
        AppState::count_enqueued(&first, &[one(&first), one(&first)]);
        // more queues than the cache holds: it starts over, the first queue's handle too
        for i in 0..MAX_CACHED_QUEUES + 1 {
            let q = QueueName::new(&format!("cachetest-{i}")).unwrap();
            AppState::count_enqueued(&q, &[one(&q)]);
        }
        AppState::count_enqueued(&first, &[one(&first)]);
        let repeat = Enqueued {
            created: false,
            ..one(&first)
        };
        AppState::count_enqueued(&first, &[repeat]);
        let text = handle.render();
        assert!(
            text.contains(r#"mlqd_jobs_enqueued_total{queue="cachetest-first"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mlqd_jobs_enqueued_total{queue="cachetest-7"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn query_options_are_parsed_and_named_when_wrong() {
        let q = SubmitQuery {
            priority: Some("7".into()),
            delay: Some("1m30s".into()),
            max_retries: Some("0".into()),
            ..Default::default()
        };
        let o = q.options().unwrap();
        assert_eq!(o.priority, 7);
        assert_eq!(o.delay, Some(Duration::from_secs(90)));
        assert_eq!(o.max_retries, Some(0));
        for (q, word) in [
            (
                SubmitQuery {
                    priority: Some("high".into()),
                    ..Default::default()
                },
                "priority",
            ),
            (
                SubmitQuery {
                    priority: Some("101".into()),
                    ..Default::default()
                },
                "priority",
            ),
            (
                SubmitQuery {
                    delay: Some("soon".into()),
                    ..Default::default()
                },
                "delay",
            ),
            (
                SubmitQuery {
                    max_retries: Some("-1".into()),
                    ..Default::default()
                },
                "max_retries",
            ),
            (
                SubmitQuery {
                    run_at: Some("tomorrow".into()),
                    ..Default::default()
                },
                "tomorrow",
            ),
        ] {
            let e = q.options().unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
            assert!(e.message.contains(word), "{}", e.message);
        }
    }
}
