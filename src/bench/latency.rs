//! Start latency: jobs posted one at a time at a fixed arrival rate into idle workers; each
//! sample is from the moment the client sends the enqueue to the moment the handler
//! starts, both on this process's monotonic clock (the Redis clock has only millisecond
//! steps). It includes the enqueue round trip, the wake-up and the claim.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use super::{BenchConfig, Latency, Probe, lock, payload, phase};
use crate::broker::{Broker, NewJob};
use crate::error::{Error, Result};
use crate::job::{JobId, JobOptions};

/// Posts jobs one at a time at a fixed rate into the idle worker and collects the
/// send→start latencies.
pub(super) async fn measure(
    config: &BenchConfig,
    broker: &Broker,
    probe: &Arc<Probe>,
    bar: &ProgressBar,
    stop: &CancellationToken,
) -> Result<Option<Latency>> {
    let n = config.latency_jobs;
    phase(bar, format!("start latency at {}/s", config.rate), n);
    // let the worker settle into its idle wait
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queues = config.queue_names();
    let body = payload(config.payload_bytes);
    let every = Duration::from_secs_f64(1.0 / config.rate);
    let first = tokio::time::Instant::now();
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..n {
        tokio::select! {
            _ = stop.cancelled() => return Err(Error::Protocol("interrupted".into())),
            _ = tokio::time::sleep_until(first + every.mul_f64(i as f64)) => {}
        }
        let q = queues[i as usize % queues.len()].clone();
        let job = NewJob {
            id: JobId::generate(&q),
            payload: body.clone(),
            options: JobOptions::default(),
        };
        let broker = broker.clone();
        let probe = probe.clone();
        // open loop: a slow post does not hold back the next arrival
        posts.spawn(async move {
            lock(&probe.sent).insert(job.id.clone(), Instant::now());
            broker.enqueue(&q, std::slice::from_ref(&job), None).await
        });
        bar.inc(1);
    }
    while let Some(done) = posts.join_next().await {
        done.map_err(|e| Error::Protocol(format!("post task failed: {e}")))??;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while (lock(&probe.samples).len() as u64) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let samples = std::mem::take(&mut *lock(&probe.samples));
    Ok(Latency::from_samples(samples))
}
