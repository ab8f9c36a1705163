//! Queues: counts per state with totals and limits, pause and resume, set limits.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, json_body};
use crate::error::Error;
use crate::job::{QueueName, QueueStats};
use crate::limits::{Change, LimitsUpdate, MAX_LIMIT, Rate};

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

/// New limits for a queue: each field absent keeps that limit, null clears it.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // read by `limits_update` from the raw JSON; here for the document
pub struct LimitsRequest {
    /// Starts per period: `10/s`, `30/m`, `100/h`; null clears the rate (and its burst).
    #[schema(nullable, example = "10/s", pattern = "^[1-9][0-9]{0,5} ?/ ?(s|m|h)$")]
    rate: Option<String>,
    /// Starts a rate lets save up (1 to 1,000,000; default 1); null resets it to 1.
    #[schema(nullable, minimum = 1, maximum = 1000000)]
    burst: Option<u64>,
    /// Most jobs of the queue running at once across every worker (1 to 1,000,000); null
    /// clears it.
    #[schema(nullable, minimum = 1, maximum = 1000000)]
    max_active: Option<u64>,
}

/// Reads a limits body: absent keeps, null clears, a value sets.
fn limits_update(body: serde_json::Value) -> ApiResult<LimitsUpdate> {
    let serde_json::Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            r#"the body is a JSON object like {"rate":"10/s","burst":10,"max_active":2}"#,
        ));
    };
    let mut update = LimitsUpdate::default();
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("rate", serde_json::Value::Null) => update.rate = Change::Clear,
            ("rate", serde_json::Value::String(s)) => update.rate = Change::Set(s.parse::<Rate>()?),
            ("rate", other) => {
                return Err(ApiError::bad_request(format!(
                    "rate must be a string like \"10/s\" or null, not {other}"
                )));
            }
            ("burst" | "max_active", v) => {
                let change = match v {
                    serde_json::Value::Null => Change::Clear,
                    v => match v.as_u64() {
                        Some(n) => Change::Set(n),
                        None => {
                            return Err(ApiError::bad_request(format!(
                                "{name} must be a whole number from 1 to {MAX_LIMIT}, or null; not {v}"
                            )));
                        }
                    },
                };
                if name == "burst" {
                    update.burst = change;
                } else {
                    update.max_active = change;
                }
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown field {other:?}: the limits are rate, burst and max_active"
                )));
            }
        }
    }
    update.validate()?;
    Ok(update)
}

/// Set, change or clear the queue's limits: a rate of starts (token bucket with a burst)
/// and the most jobs running at once, enforced across every worker.
#[utoipa::path(
    put,
    path = "/v1/queues/{queue}/limits",
    tag = "queues",
    params(("queue" = String, Path, description = "Queue name")),
    request_body(content = LimitsRequest, description = "Fields absent are kept, null clears one: `{\"rate\":\"10/s\",\"burst\":10,\"max_active\":2}`"),
    responses(
        (status = 200, description = "The queue as it is now, with its limits", body = QueueStats),
        (status = 400, description = "Malformed queue name, rate, burst or max_active (nothing was changed)", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 413, description = "Body over --max-body", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn set_limits(
    State(st): State<AppState>,
    ApiPath(queue): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let queue = parse_queue(&queue)?;
    let update = limits_update(json_body(&headers, body, st.config.max_body).await?)?;
    st.client.broker().set_limits(&queue, &update).await?;
    stats(&st, &queue).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body as the route reads it: parsed, then read as limits.
    fn limits_body(bytes: &[u8]) -> ApiResult<LimitsUpdate> {
        super::super::extract::parse_json(bytes).and_then(limits_update)
    }

    #[test]
    fn limits_bodies_keep_clear_or_set() {
        let u = limits_body(br#"{"rate":"10/s","burst":10,"max_active":null}"#).unwrap();
        assert_eq!(u.rate, Change::Set("10/s".parse().unwrap()));
        assert_eq!(u.burst, Change::Set(10));
        assert_eq!(u.max_active, Change::Clear);
        let u = limits_body(br#"{"max_active":2}"#).unwrap();
        assert_eq!((u.rate, u.max_active), (Change::Keep, Change::Set(2)));
        for bad in [
            r#"{"max_active":-1}"#,
            r#"{"max_active":0}"#,
            r#"{"max_active":1.5}"#,
            r#"{"burst":"3"}"#,
            r#"{"rate":"10 per second"}"#,
            r#"{"rate":10}"#,
            r#"{"rate":null,"burst":3}"#,
            r#"{"speed":"fast"}"#,
            r#"[1]"#,
            r#"{"#,
        ] {
            let e = limits_body(bad.as_bytes()).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
