//! `GET /v1/overview`: what the dashboard's first page shows in one request: every queue's
//! counts and totals, the workers, the reaper leader, what Redis says about itself, and the
//! throughput of the last minutes.
//!
//! Throughput comes from the queues' running totals: each overview read records the summed
//! totals (at most one sample every [`SAMPLE_EVERY_MS`], by the Redis clock) and answers the
//! differences between consecutive samples of the last [`WINDOW_MS`]. So the history is
//! collected only while someone looks, costs no background work and no Redis writes, and
//! every `serve` process keeps its own (the totals it reads are the same for all).

use std::collections::VecDeque;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use crate::broker::WorkerInfo;
use crate::broker::info::RedisInfo;
use crate::job::{self, QueueStats};

/// Shortest gap between two throughput samples.
pub const SAMPLE_EVERY_MS: i64 = 3_000;
/// How far back the throughput history reaches.
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

/// The dashboard's overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// When it was read, by the Redis clock (RFC 3339): the "now" relative times count from.
    pub taken_at: String,
    pub namespace: String,
    /// Every queue that has seen a job, as `GET /v1/queues` lists them.
    pub queues: Vec<QueueStats>,
    /// Registered workers, as `GET /v1/workers` lists them.
    pub workers: Vec<WorkerInfo>,
    /// The id of the process leading the reapers (a worker or `mlqd reaper`); null when none
    /// does, and then nothing recovers lost jobs or promotes due ones.
    pub leader: Option<String>,
    /// What Redis says about itself: one reading of the whole deployment (`Broker::redis_info`).
    pub redis: RedisInfo,
    /// Jobs per interval over the last 10 minutes, oldest first; empty until two reads at
    /// least 3 s apart.
    pub throughput: Vec<ThroughputInterval>,
}

/// How many jobs moved over all queues between two samples.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ThroughputInterval {
    /// End of the interval (RFC 3339, Redis clock).
    pub at: String,
    /// Its length in seconds.
    pub seconds: f64,
    pub enqueued: u64,
    pub succeeded: u64,
    /// Failed attempts.
    pub failed: u64,
}

/// Summed totals of every queue at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    pub at_ms: i64,
    pub enqueued: u64,
    pub succeeded: u64,
    pub failed: u64,
}

impl Sample {
    fn of(at_ms: i64, queues: &[QueueStats]) -> Self {
        queues.iter().fold(
            Sample {
                at_ms,
                ..Default::default()
            },
            |s, q| Sample {
                at_ms,
                enqueued: s.enqueued + q.totals.enqueued,
                succeeded: s.succeeded + q.totals.succeeded,
                failed: s.failed + q.totals.failed,
            },
        )
    }
}

/// The throughput history of one process.
#[derive(Debug, Default)]
pub struct Throughput {
    samples: VecDeque<Sample>,
}

impl Throughput {
    /// Keeps `s` unless the last sample is younger than [`SAMPLE_EVERY_MS`]; forgets what
    /// fell out of the window (a clock that went back starts the history over).
    pub fn record(&mut self, s: Sample) {
        if let Some(last) = self.samples.back() {
            if s.at_ms < last.at_ms {
                self.samples.clear();
            } else if s.at_ms - last.at_ms < SAMPLE_EVERY_MS {
                return;
            }
        }
        self.samples.push_back(s);
        while self
            .samples
            .front()
            .is_some_and(|f| f.at_ms < s.at_ms - WINDOW_MS)
        {
            self.samples.pop_front();
        }
    }

    /// The differences between consecutive samples, oldest first. A total that went down
    /// (the namespace was reset) counts as no jobs.
    pub fn intervals(&self) -> Vec<ThroughputInterval> {
        self.samples
            .iter()
            .zip(self.samples.iter().skip(1))
            .map(|(a, b)| ThroughputInterval {
                at: job::format_ms(b.at_ms),
                seconds: (b.at_ms - a.at_ms) as f64 / 1000.0,
                enqueued: b.enqueued.saturating_sub(a.enqueued),
                succeeded: b.succeeded.saturating_sub(a.succeeded),
                failed: b.failed.saturating_sub(a.failed),
            })
            .collect()
    }
}

/// Queues, workers, the reaper leader, Redis and recent throughput in one answer.
#[utoipa::path(
    get,
    path = "/v1/overview",
    tag = "queues",
    responses(
        (status = 200, description = "The overview", body = Overview),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn overview(State(st): State<AppState>) -> ApiResult {
    let broker = st.client.broker();
    let now_ms = broker.time_ms().await?;
    let queues = st.client.queues().await?;
    let workers = broker.workers().await?;
    let leader = broker.leader().await?;
    let redis = broker.redis_info().await?;
    let throughput = {
        let mut t = st
            .throughput
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        t.record(Sample::of(now_ms, &queues));
        t.intervals()
    };
    Ok(Json(Overview {
        taken_at: job::format_ms(now_ms),
        namespace: broker.keys().namespace().to_string(),
        queues,
        workers,
        leader,
        redis,
        throughput,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: i64, succeeded: u64) -> Sample {
        Sample {
            at_ms,
            enqueued: succeeded * 2,
            succeeded,
            failed: 1,
        }
    }

    #[test]
    fn samples_are_spaced_and_windowed() {
        let mut t = Throughput::default();
        t.record(sample(1_000, 0));
        t.record(sample(2_000, 5)); // too soon: dropped
        assert!(t.intervals().is_empty());
        t.record(sample(4_000, 6));
        t.record(sample(10_000, 12));
        let iv = t.intervals();
        assert_eq!(iv.len(), 2);
        assert_eq!(iv[0].succeeded, 6);
        assert_eq!(iv[0].enqueued, 12);
        assert_eq!(iv[0].failed, 0);
        assert_eq!(iv[0].seconds, 3.0);
        assert_eq!(iv[1].succeeded, 6);
        assert_eq!(iv[1].at, job::format_ms(10_000));
        // eleven minutes later only the newest samples are left
        t.record(sample(10_000 + WINDOW_MS + 60_000, 20));
        assert!(t.intervals().is_empty());
        t.record(sample(10_000 + WINDOW_MS + 70_000, 25));
        assert_eq!(t.intervals().len(), 1);
    }

    #[test]
    fn a_reset_counts_as_nothing_and_a_clock_going_back_restarts() {
        let mut t = Throughput::default();
        t.record(sample(10_000, 50));
        t.record(sample(20_000, 3));
        assert_eq!(t.intervals()[0].succeeded, 0);
        t.record(sample(5_000, 3));
        assert!(t.intervals().is_empty());
    }
}
