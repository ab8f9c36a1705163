//! The worker's Prometheus metrics, and the `--metrics-listen` server of workers and
//! reapers: `/metrics`, and the probes `/healthz` (the process answers) and `/readyz`
//! (Redis answers too, 503 otherwise), as `serve` has them, for container healthchecks.
//!
//! - `mlqd_jobs_completed_total{queue,outcome}`: outcomes recorded (syncer)
//! - `mlqd_job_run_seconds{queue}`: handler run time (histogram)
//! - `mlqd_job_queue_wait_seconds{queue}`: from posting (a delayed job: from its due time)
//!   to first start (histogram)
//! - `mlqd_worker_jobs_in_flight{queue}`: jobs running now
//! - `mlqd_worker_claims_total{via}`: claims that brought jobs, `pop` (an idle worker's,
//!   riding behind its blocking pop: one round trip from post to start) or `call`
//! - `mlqd_worker_wakeups_total`: idle waits a wake-up token ended (a job was posted while
//!   the worker was blocked), as opposed to waits that ran out their time
//! - `mlqd_queue_limit_held_total{queue}`: claims a queue's limits held back (jobs waiting
//!   for a rate token or a free `max_active` slot)
//! - `mlqd_handler_restarts_total{handler,reason}`: exec children stopped and restarted
//! - `mlqd_worker_breaker_state`: 0 closed, 1 open, 2 half-open;
//!   `mlqd_worker_breaker_trips_total`
//! - `mlqd_callbacks_total{outcome}`: callbacks delivered or given up
//! - `mlqd_stream_chunks_total{queue,outcome}`: output chunks `stored`, `refused` (lease
//!   lost) or `dropped` (over `--max-stream` while waiting to be stored) (flusher)
//! - and, read from Redis at each scrape, the queue gauges of
//!   [`crate::telemetry::refresh_gauges`] (`mlqd_queue_depth{queue,state}`, `mlqd_workers`…)

use std::net::SocketAddr;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::broker::Broker;
use crate::error::{Error, Result};
use crate::job::QueueName;

pub(crate) fn run_time(queue: &QueueName, took: Duration) {
    metrics::histogram!("mlqd_job_run_seconds", "queue" => queue.to_string())
        .record(took.as_secs_f64());
}

pub(crate) fn queue_wait(queue: &QueueName, waited: Duration) {
    metrics::histogram!("mlqd_job_queue_wait_seconds", "queue" => queue.to_string())
        .record(waited.as_secs_f64());
}

pub(crate) fn in_flight(queue: &QueueName, delta: f64) {
    metrics::gauge!("mlqd_worker_jobs_in_flight", "queue" => queue.to_string()).increment(delta);
}

/// An idle wait whose pop brought jobs with it (the claim rode behind the pop).
pub(crate) fn blocking_claim() {
    metrics::counter!("mlqd_worker_claims_total", "via" => "pop").increment(1);
}

/// An idle wait that a wake-up token ended.
pub(crate) fn woken() {
    metrics::counter!("mlqd_worker_wakeups_total").increment(1);
}

/// A claim sent on its own.
pub(crate) fn claim_call() {
    metrics::counter!("mlqd_worker_claims_total", "via" => "call").increment(1);
}

pub(crate) fn limit_held(queue: &QueueName) {
    metrics::counter!("mlqd_queue_limit_held_total", "queue" => queue.to_string()).increment(1);
}

/// 200 `{"status":"ready"}` while Redis answers within a second, else 503 with the reason.
async fn readiness(broker: &Broker) -> axum::response::Response {
    use axum::response::IntoResponse;
    let ping = tokio::time::timeout(Duration::from_secs(1), broker.ping()).await;
    match ping {
        Ok(Ok(())) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => unready(&e.to_string()),
        Err(_) => unready("redis did not answer within 1s"),
    }
}

fn unready(why: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({"error": {"code": "redis_unavailable", "message": why}})),
    )
        .into_response()
}

/// Binds `addr` now (so a taken port fails the start) and serves `GET /metrics` from the
/// process's recorder, `GET /healthz` and `GET /readyz` until `stop` fires. The queue
/// gauges are read through `broker` at each scrape (see
/// [`crate::telemetry::refresh_gauges`]).
pub async fn serve_metrics(
    addr: SocketAddr,
    broker: Broker,
    stop: CancellationToken,
) -> Result<SocketAddr> {
    // install the recorder before anything is recorded
    let _ = crate::telemetry::prometheus();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::invalid(format!("cannot listen on {addr} for metrics: {e}")))?;
    let local = listener.local_addr().unwrap_or(addr);
    let ready_broker = broker.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let broker = broker.clone();
                async move {
                    crate::telemetry::refresh_gauges(&broker).await;
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        crate::telemetry::render(),
                    )
                }
            }),
        )
        // liveness never touches Redis: a worker waiting out a Redis outage is not broken
        .route(
            "/healthz",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route(
            "/readyz",
            axum::routing::get(move || {
                let broker = ready_broker.clone();
                async move { readiness(&broker).await }
            }),
        );
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "metrics endpoint stopped");
        }
    });
    tracing::info!(addr = %local, "serving /metrics");
    Ok(local)
}
