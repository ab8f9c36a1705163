//! A job's payload, read back: `GET /v1/jobs/{id}/payload` (the dashboard previews and
//! downloads it). Only a job that still holds it answers: waiting, running or dead ones; a
//! succeeded or cancelled job keeps its status and result, not its input.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiPath;
use super::jobs::JOB_ID_HEADER;
use crate::error::Error;
use crate::job::{JobId, JobState, Payload};

/// The payload bytes with their stored content type. Like results, they are someone else's
/// bytes: browsers are told not to sniff or run them.
fn payload_bytes(id: &JobId, payload: Payload) -> Response {
    let mut res = (StatusCode::OK, payload.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&payload.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        h.insert(JOB_ID_HEADER, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A job's payload, as it was posted.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/payload",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (QUEUE.ULID)")),
    responses(
        (status = 200, description = "The payload bytes, with the Content-Type they were posted with", content_type = "*/*", body = Vec<u8>,
            headers(("X-Mlqd-Job-Id" = String))),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job (or its record expired)", body = ErrorBody),
        (status = 410, description = "The job finished (succeeded or cancelled): its payload is not kept (code `payload_gone`)", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn payload(State(st): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult {
    let id: JobId = id.parse().map_err(ApiError::from)?;
    let broker = st.client.broker();
    if let Some(p) = broker.payload(&id).await? {
        return Ok(payload_bytes(&id, p));
    }
    match broker.status(&id).await? {
        None => Err(Error::NotFound(format!("job {id}")).into()),
        Some(s) if matches!(s.state, JobState::Succeeded | JobState::Cancelled) => {
            Err(ApiError::new(
                StatusCode::GONE,
                "payload_gone",
                format!(
                    "job {id} is {}: a finished job keeps its status and result, not its payload",
                    s.state
                ),
            ))
        }
        // it moved between the two reads (a purge, an expiry): gone by now
        Some(_) => Err(Error::NotFound(format!("job {id}")).into()),
    }
}
