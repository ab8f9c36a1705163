//! A batch run: one job (or one batch of jobs) through the handler, under the batch's
//! longest timeout and its jobs' cancel tokens, and each job's outcome sent to the syncer
//! (the claimer and the starter start these).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;

use super::breaker::Health;
use super::handler::{HandlerError, HandlerResult, Job};
use super::{Outcome, Shared, StopReason, metrics};
use crate::units::format_duration;

/// How a handler call ended.
enum End {
    Done(Vec<HandlerResult>),
    TimedOut(Duration),
    Stopped,
}

/// Runs one job (or one batch) and sends each job's outcome to the syncer.
pub(crate) async fn run_batch(
    shared: Arc<Shared>,
    jobs: Vec<Job>,
    permit: Option<OwnedSemaphorePermit>,
) {
    let ids: Vec<_> = jobs.iter().map(|j| (j.id.clone(), j.attempt)).collect();
    let tokens: Vec<_> = jobs.iter().map(|j| j.cancel.clone()).collect();
    // a batch runs under its longest limit
    let timeout = if jobs.iter().any(|j| j.timeout.is_none()) {
        None
    } else {
        jobs.iter().filter_map(|j| j.timeout).max()
    };
    let fut = if jobs.len() == 1 {
        let job = jobs.into_iter().next();
        let handler = shared.handler.clone();
        Box::pin(async move {
            match job {
                Some(j) => vec![handler.handle(j).await],
                None => Vec::new(),
            }
        }) as futures::future::BoxFuture<'static, Vec<HandlerResult>>
    } else {
        shared.handler.handle_batch(jobs)
    };
    let grace = shared.config.cancel_grace;
    let started = tokio::time::Instant::now();
    let all_stopped = async {
        for t in &tokens {
            t.cancelled().await;
        }
        tokio::time::sleep(grace).await;
    };
    let limit = async {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    let end = tokio::select! {
        r = fut => End::Done(r),
        _ = limit => End::TimedOut(timeout.unwrap_or_default()),
        _ = all_stopped => End::Stopped,
    };
    let took = started.elapsed();
    shared.record_run_time(took);
    let mut results: Vec<Option<HandlerResult>> = match end {
        End::Done(r) => r.into_iter().map(Some).collect(),
        End::TimedOut(t) => ids
            .iter()
            .map(|_| {
                Some(Err(HandlerError::retryable(format!(
                    "timed out after {}",
                    format_duration(t)
                ))))
            })
            .collect(),
        End::Stopped => ids.iter().map(|_| None).collect(),
    };
    results.resize_with(ids.len(), || {
        Some(Err(HandlerError::retryable(
            "handler returned fewer results than jobs",
        )))
    });
    // every chunk a job emitted is stored before its outcome: a reader sees the end last
    let finished: Vec<_> = ids.iter().map(|(id, _)| id.clone()).collect();
    shared.chunks.settle(&finished).await;
    for ((id, attempt), result) in ids.into_iter().zip(results) {
        let reason = shared.inflight().get(&id).and_then(|f| f.reason);
        metrics::run_time(id.queue(), took);
        metrics::in_flight(id.queue(), -1.0);
        let health = match (reason, &result) {
            (None, Some(Ok(_))) => Health::Healthy,
            (None, Some(Err(e))) if !e.retryable => Health::Healthy,
            (None, Some(Err(_))) => Health::Unhealthy,
            _ => Health::Unknown,
        };
        shared.breaker.record(health);
        let outcome = match (reason, result) {
            (Some(StopReason::Shutdown), Some(Ok(out))) | (None, Some(Ok(out))) => {
                if let Err(e) = crate::job::check_content_type(&out.content_type) {
                    Outcome::Failure(
                        id,
                        attempt,
                        HandlerError::permanent(format!("handler returned {e}")),
                    )
                } else if out.bytes.len() as u64 > shared.config.max_result {
                    Outcome::Failure(
                        id,
                        attempt,
                        HandlerError::permanent(format!(
                            "result is {} bytes, over the worker's --max-result of {} bytes",
                            out.bytes.len(),
                            shared.config.max_result
                        )),
                    )
                } else {
                    Outcome::Success(id, attempt, out)
                }
            }
            (Some(StopReason::Shutdown), _) => Outcome::HandBack(id, attempt),
            (Some(StopReason::Cancelled | StopReason::LeaseLost), _) => Outcome::Drop(id),
            (None, Some(Err(e))) => Outcome::Failure(id, attempt, e),
            (None, None) => Outcome::Drop(id),
        };
        let _ = shared.outcomes.send(outcome);
    }
    drop(permit);
}
