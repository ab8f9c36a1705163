//! Schedules (periodic jobs): list, create or replace, delete.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, json_body};
use crate::error::Error;
use crate::schedule::{Schedule, ScheduleName, ScheduleSpec};

/// A schedule deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: String,
}

/// Every schedule with its next and last run and the last job it posted, by name.
#[utoipa::path(
    get,
    path = "/v1/schedules",
    tag = "schedules",
    responses(
        (status = 200, description = "Every schedule, by name", body = Vec<Schedule>),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn list(State(st): State<AppState>) -> ApiResult {
    let mut out = Vec::new();
    for s in st.client.broker().stored_schedules().await? {
        out.push(s.view()?);
    }
    Ok(Json(out).into_response())
}

/// Create or replace a schedule: `{"every":"30s"}` or `{"cron":"*/5 * * * *","tz":"Europe/Paris"}`,
/// with `queue`, `payload` (JSON) and `options` (`priority`, `max_retries`, `max_stalls`,
/// `timeout`, `result_ttl`, `callback`). The reaper leader posts each due run once, with
/// the idempotency key `cron:<name>:<due time>`.
#[utoipa::path(
    put,
    path = "/v1/schedules/{name}",
    tag = "schedules",
    params(("name" = String, Path, description = "Schedule name: 1 to 64 letters, digits, '_', '.' or '-'")),
    request_body(content = ScheduleSpec, description = "The schedule"),
    responses(
        (status = 201, description = "Created", body = Schedule),
        (status = 200, description = "Replaced (its last run is kept)", body = Schedule),
        (status = 400, description = "Bad name, timing (every, cron, tz), queue, payload or options; nothing stored", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 413, description = "Body over --max-body", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn put(
    State(st): State<AppState>,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let name = ScheduleName::new(&name)?;
    let spec: ScheduleSpec = json_body(&headers, body, st.config.max_body).await?;
    if spec.anchor.is_some() {
        return Err(Error::invalid("unknown field `anchor`: the server sets it").into());
    }
    let (schedule, created) = st.client.broker().schedule_set(&name, spec).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(schedule)).into_response())
}

/// Delete a schedule (runs already posted stay in their queue).
#[utoipa::path(
    delete,
    path = "/v1/schedules/{name}",
    tag = "schedules",
    params(("name" = String, Path, description = "Schedule name")),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 400, description = "Malformed name", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such schedule", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn delete(State(st): State<AppState>, ApiPath(name): ApiPath<String>) -> ApiResult {
    let name = ScheduleName::new(&name)?;
    if !st.client.broker().schedule_rm(&name).await? {
        return Err(Error::NotFound(format!("schedule {name}")).into());
    }
    Ok(Json(Deleted {
        deleted: name.to_string(),
    })
    .into_response())
}
