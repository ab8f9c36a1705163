//! A queue's dead-letter set: list, requeue (some or all), purge.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, json_body};
use crate::error::Error;
use crate::job::{JobId, JobState, JobStatus, QueueName};

/// Most dead jobs listed or requeued by id in one request.
const MAX_PAGE: usize = 1000;

/// Paging of the dead-letter list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadQuery {
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<String>,
    /// Skip this many of the newest.
    offset: Option<String>,
}

/// One page of a dead-letter set.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadList {
    pub queue: String,
    /// Dead jobs in the set.
    pub total: u64,
    pub offset: usize,
    pub limit: usize,
    /// Status of each, newest death first.
    pub jobs: Vec<JobStatus>,
}

/// Which dead jobs to requeue: `{"ids":[…]}` or `{"all":true}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequeueRequest {
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    #[serde(default)]
    pub all: Option<bool>,
}

/// Jobs put back in their queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    pub requeued: Vec<String>,
}

/// Dead jobs deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Purged {
    pub purged: u64,
}

fn parse_queue(queue: &str) -> ApiResult<QueueName> {
    Ok(QueueName::new(queue)?)
}

/// The largest paging offset taken: past any dead-letter set, and a number Lua still
/// writes as digits.
const MAX_OFFSET: usize = 1_000_000_000;

fn number(name: &str, v: &Option<String>, default: usize) -> ApiResult<usize> {
    match v {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("{name} {s:?} is not a whole number"))),
    }
}

/// Dead jobs of a queue, newest first.
#[utoipa::path(
    get,
    path = "/v1/queues/{queue}/dead",
    tag = "dead letters",
    params(("queue" = String, Path, description = "Queue name"), DeadQuery),
    responses(
        (status = 200, description = "One page of the dead-letter set", body = DeadList),
        (status = 400, description = "Malformed queue name or paging", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn list(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeadQuery>,
) -> ApiResult {
    let queue = parse_queue(&queue)?;
    let limit = number("limit", &q.limit, 100)?;
    let offset = number("offset", &q.offset, 0)?;
    if limit > MAX_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is over {MAX_PAGE}"
        )));
    }
    if offset > MAX_OFFSET {
        return Err(ApiError::bad_request(format!(
            "offset {offset} is over {MAX_OFFSET}"
        )));
    }
    let (total, jobs) = st.client.broker().dlq_list(&queue, offset, limit).await?;
    Ok(Json(DeadList {
        queue: queue.to_string(),
        total,
        offset,
        limit,
        jobs,
    })
    .into_response())
}

/// Put dead jobs back in the queue with a fresh retry budget.
#[utoipa::path(
    post,
    path = "/v1/queues/{queue}/dead/requeue",
    tag = "dead letters",
    params(("queue" = String, Path, description = "Queue name")),
    request_body(content = RequeueRequest, description = "`{\"ids\":[…]}` (at most 1000, all of this queue and dead) or `{\"all\":true}`"),
    responses(
        (status = 200, description = "The requeued ids", body = Requeued),
        (status = 400, description = "Malformed body, or ids of another queue", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "Some ids are not in the dead-letter set (none was requeued)", body = ErrorBody),
        (status = 413, description = "Body over --max-body", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn requeue(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let queue = parse_queue(&queue)?;
    let req: RequeueRequest = json_body(&headers, body, st.config.max_body).await?;
    let back = match (req.ids, req.all) {
        (None, Some(true)) => st.client.dlq_requeue_all(Some(&queue)).await?,
        (Some(ids), None | Some(false)) => {
            if ids.is_empty() || ids.len() > MAX_PAGE {
                return Err(ApiError::bad_request(format!(
                    "ids holds 1 to {MAX_PAGE} job ids"
                )));
            }
            let mut parsed = Vec::with_capacity(ids.len());
            for id in &ids {
                let id: JobId = id.parse()?;
                if id.queue() != &queue {
                    return Err(ApiError::bad_request(format!(
                        "job {id} is not in queue {queue}"
                    )));
                }
                parsed.push(id);
            }
            // check them all first, so a wrong id requeues nothing
            let mut missing = Vec::new();
            for id in &parsed {
                match st.client.broker().status(id).await? {
                    Some(s) if s.state == JobState::Dead => {}
                    _ => missing.push(id.to_string()),
                }
            }
            if !missing.is_empty() {
                return Err(Error::NotFound(format!(
                    "{} (not in the dead-letter set; nothing was requeued)",
                    missing.join(", ")
                ))
                .into());
            }
            st.client.dlq_requeue_ids(&parsed).await?
        }
        _ => {
            return Err(ApiError::bad_request(
                r#"give either {"ids":[…]} or {"all":true}"#,
            ));
        }
    };
    Ok(Json(Requeued {
        requeued: back.iter().map(|id| id.to_string()).collect(),
    })
    .into_response())
}

/// Delete every dead job of the queue for good.
#[utoipa::path(
    delete,
    path = "/v1/queues/{queue}/dead",
    tag = "dead letters",
    params(("queue" = String, Path, description = "Queue name")),
    responses(
        (status = 200, description = "How many were deleted", body = Purged),
        (status = 400, description = "Malformed queue name", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn purge(State(st): State<AppState>, ApiPath(queue): ApiPath<String>) -> ApiResult {
    let queue = parse_queue(&queue)?;
    let purged = st.client.dlq_purge(Some(&queue)).await?;
    Ok(Json(Purged { purged }).into_response())
}
