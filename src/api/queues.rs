//! Queues: counts per state with totals, pause and resume.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::ApiPath;
use crate::error::Error;
use crate::job::{QueueName, QueueStats};

fn parse_queue(queue: &str) -> ApiResult<QueueName> {
    Ok(QueueName::new(queue)?)
}

/// Every known queue: counts per state, totals, paused.
#[utoipa::path(
    get,
    path = "/v1/queues",
    tag = "queues",
    responses(
        (status = 200, description = "Every queue that has seen a job, by name", body = Vec<QueueStats>),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn list(State(st): State<AppState>) -> ApiResult {
    Ok(Json(st.client.queues().await?).into_response())
}

/// One queue's counts per state, totals and whether it is paused.
#[utoipa::path(
    get,
    path = "/v1/queues/{queue}",
    tag = "queues",
    params(("queue" = String, Path, description = "Queue name")),
    responses(
        (status = 200, description = "The queue", body = QueueStats),
        (status = 400, description = "Malformed queue name", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No job was ever posted to this queue", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn get(State(st): State<AppState>, ApiPath(queue): ApiPath<String>) -> ApiResult {
    let queue = parse_queue(&queue)?;
    let broker = st.client.broker();
    if !broker.queue_names().await?.contains(&queue) {
        return Err(Error::NotFound(format!("queue {queue}")).into());
    }
    Ok(Json(broker.queue_stats(&queue).await?).into_response())
}

async fn stats(st: &AppState, queue: &QueueName) -> ApiResult<Response> {
    Ok(Json(st.client.broker().queue_stats(queue).await?).into_response())
}

/// Stop handing out the queue's jobs (running jobs finish; posting still works).
#[utoipa::path(
    post,
    path = "/v1/queues/{queue}/pause",
    tag = "queues",
    params(("queue" = String, Path, description = "Queue name")),
    responses(
        (status = 200, description = "Paused; the queue as it is now", body = QueueStats),
        (status = 400, description = "Malformed queue name", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn pause(State(st): State<AppState>, ApiPath(queue): ApiPath<String>) -> ApiResult {
    let queue = parse_queue(&queue)?;
    st.client.broker().pause(&queue).await?;
    stats(&st, &queue).await
}

/// Hand out the queue's jobs again.
#[utoipa::path(
    post,
    path = "/v1/queues/{queue}/resume",
    tag = "queues",
    params(("queue" = String, Path, description = "Queue name")),
    responses(
        (status = 200, description = "Resumed; the queue as it is now", body = QueueStats),
        (status = 400, description = "Malformed queue name", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn resume(State(st): State<AppState>, ApiPath(queue): ApiPath<String>) -> ApiResult {
    let queue = parse_queue(&queue)?;
    st.client.broker().resume(&queue).await?;
    stats(&st, &queue).await
}
