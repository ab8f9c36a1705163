//! How the job routes answer: JSON written into a buffer sized for it, the job id and
//! location headers, and result bytes that browsers are told not to run.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::jobs::{JOB_ID_HEADER, Submitted};
use crate::broker::Enqueued;
use crate::job::{JobId, JobResult, JobState};

pub(super) fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// A header value that takes the string as it is (no copy).
fn owned_header_value(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// A JSON answer written into a buffer sized for it up front: axum's `Json` starts at 128
/// bytes, so a status (about 400) was copied through two larger buffers on every read.
/// Keep hints under 1 KiB: glibc can serve a request from 1,024 bytes up from its large
/// bins, which first consolidates the arena's freed small chunks.
pub(super) fn json_response<T: Serialize>(
    status: StatusCode,
    value: &T,
    size_hint: usize,
) -> Response {
    let mut buf = Vec::with_capacity(size_hint);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => {
            let mut res = (status, buf).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "could not write a JSON answer");
            ApiError::internal().into_response()
        }
    }
}

pub(super) fn location(id: &JobId) -> HeaderValue {
    owned_header_value(format!("/v1/jobs/{id}"))
}

/// 201 (or 200 for an idempotent repeat) with `{"id","state"}`.
pub(super) fn submitted(posted: &Enqueued) -> Response {
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = Submitted::from(posted);
    let id = owned_header_value(body.id.clone());
    let mut res = json_response(status, &body, 96);
    let h = res.headers_mut();
    h.insert(header::LOCATION, location(&posted.id));
    h.insert(JOB_ID_HEADER, id);
    if !posted.created {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// 202 with `{"id","state"}`: the job is not finished (yet).
pub(super) fn accepted(id: &JobId, state: JobState) -> Response {
    let body = Submitted {
        id: id.to_string(),
        state,
    };
    let job_id = owned_header_value(body.id.clone());
    let mut res = json_response(StatusCode::ACCEPTED, &body, 96);
    let h = res.headers_mut();
    h.insert(header::LOCATION, location(id));
    h.insert(JOB_ID_HEADER, job_id);
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from(super::error::RETRY_AFTER_SECS),
    );
    res
}

/// 200 with the result bytes. Results are the handler's bytes, so browsers are told not
/// to sniff or run them.
pub(super) fn result_bytes(id: &JobId, result: JobResult, content_type: Option<&str>) -> Response {
    let ct = content_type.unwrap_or(&result.content_type);
    let mut res = (StatusCode::OK, result.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(JOB_ID_HEADER, header_value(&id.to_string()));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    res
}
