//! The worker registry.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use crate::broker::WorkerInfo;

/// Registered workers with their last heartbeat (the same as `mlqd workers --json`).
#[utoipa::path(
    get,
    path = "/v1/workers",
    tag = "workers",
    responses(
        (status = 200, description = "Workers, oldest heartbeat first", body = Vec<WorkerInfo>),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn list(State(st): State<AppState>) -> ApiResult {
    Ok(Json(st.client.broker().workers().await?).into_response())
}
