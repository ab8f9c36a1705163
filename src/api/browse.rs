//! Browsing a queue's jobs by state, a page at a time (`GET /v1/queues/{queue}/jobs`).

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::broker::{MAX_PAGE, Page};
use crate::job::{JobState, QueueName};

/// Jobs in a page when the request does not say.
pub const DEFAULT_PAGE: usize = 50;

/// Which jobs, and where the page starts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BrowseQuery {
    /// scheduled, pending, active, retry, dead, succeeded or cancelled (default pending).
    state: Option<String>,
    /// Jobs per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque).
    cursor: Option<String>,
}

/// Reads a state name as the API and the CLI write it.
pub fn parse_state(s: &str) -> Result<JobState, crate::Error> {
    JobState::ALL
        .into_iter()
        .find(|st| st.as_str() == s.trim())
        .ok_or_else(|| {
            crate::Error::invalid(format!(
                "unknown state {s:?}: use scheduled, pending, active, retry, dead, succeeded or cancelled"
            ))
        })
}

/// One page of the queue's jobs in one state. Pending jobs come in the order they will run
/// (high priorities, priority 0, low priorities), scheduled and retry by due time, active
/// by start, dead, succeeded and cancelled newest first. Succeeded and cancelled jobs are
/// listed from a capped index of the most recent ones (`--recent`, 1000 per queue by
/// default); older ones stay readable by id until they expire. Paging with `next_cursor`
/// never repeats nor skips a job that stayed in the state.
#[utoipa::path(
    get,
    path = "/v1/queues/{queue}/jobs",
    tag = "queues",
    params(("queue" = String, Path, description = "Queue name"), BrowseQuery),
    responses(
        (status = 200, description = "One page of jobs, and the cursor of the next (null on the last page)", body = Page),
        (status = 400, description = "Malformed queue name, unknown state, limit out of 1..=500, or a bad cursor", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn list(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(q): ApiQuery<BrowseQuery>,
) -> ApiResult {
    let queue = QueueName::new(&queue)?;
    let state = match q.state.as_deref() {
        None | Some("") => JobState::Pending,
        Some(s) => parse_state(s)?,
    };
    let limit = match q.limit.as_deref() {
        None => DEFAULT_PAGE,
        Some(s) => s.trim().parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!(
                "limit {s:?} is not a whole number from 1 to {MAX_PAGE}"
            ))
        })?,
    };
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let page = st
        .client
        .broker()
        .browse(&queue, state, limit, cursor)
        .await?;
    Ok(Json(page).into_response())
}
