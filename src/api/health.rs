//! Probes and metrics: `/healthz` (the process answers), `/readyz` (Redis answers too),
//! `/metrics` (Prometheus text; `--metrics-token` guards it).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (healthz) or `ready` (readyz).
    pub status: &'static str,
}

/// Liveness: the process answers. Never touches Redis.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    security(()),
    responses((status = 200, description = "Alive", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: Redis answers (503 while it does not, or while shutting down).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Redis unavailable, or shutting down", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn readyz(State(st): State<AppState>) -> Response {
    if st.stopping.is_cancelled() {
        return ApiError::unavailable("shutting_down", "the server is shutting down")
            .into_response();
    }
    match st.client.broker().ping().await {
        Ok(()) => Json(Health { status: "ready" }).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Prometheus metrics of this process (text format).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
        (status = 401, description = "--metrics-token is set and was not sent", body = ErrorBody),
    )
)]
pub async fn metrics(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if !super::authorized(&headers, st.config.metrics_token.as_deref()) {
        return ApiError::unauthorized().into_response();
    }
    crate::telemetry::refresh_gauges(st.client.broker()).await;
    let mut res = crate::telemetry::render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
