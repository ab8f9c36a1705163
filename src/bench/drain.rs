//! One run at a concurrency: enqueue the jobs in batches, drain them with an in-process
//! worker (its noop handler notes each start in a [`Probe`]), then the start-latency
//! phases; and the helpers the other phases share (phases on the bar, Redis CPU and
//! memory readings, the payload).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use super::{BenchConfig, Run, latency};
use crate::broker::Broker;
use crate::broker::NewJob;
use crate::broker::info::info_number;
use crate::error::{Error, Result};
use crate::job::{JobId, JobOptions, Payload};
use crate::worker::{Job, Output, Worker, WorkerConfig};

/// A JSON string payload of `bytes` bytes (at least the two quotes).
pub(super) fn payload(bytes: usize) -> Payload {
    let mut s = Vec::with_capacity(bytes.max(2));
    s.push(b'"');
    s.resize(bytes.max(2) - 1, b'x');
    s.push(b'"');
    Payload::bytes(s, crate::job::JSON)
}

/// What the bench handler does: count jobs, and when armed, note when each listed job
/// started.
#[derive(Default)]
pub(super) struct Probe {
    started: AtomicU64,
    pub(super) sent: Mutex<HashMap<JobId, Instant>>,
    pub(super) samples: Mutex<Vec<Duration>>,
}

impl Probe {
    pub(super) fn on_start(&self, id: &JobId) {
        let now = Instant::now();
        self.started.fetch_add(1, Ordering::Relaxed);
        // armed only in the latency phases: a drain's jobs skip the hashing of a lookup
        let sent = {
            let mut sent = lock(&self.sent);
            if sent.is_empty() {
                None
            } else {
                sent.remove(id)
            }
        };
        if let Some(at) = sent {
            lock(&self.samples).push(now.duration_since(at));
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(super) async fn cpu_seconds(b: &Broker) -> Result<f64> {
    let info = b.info("cpu").await?;
    let sys: f64 = info_number(&info, "used_cpu_sys").unwrap_or(0.0);
    let user: f64 = info_number(&info, "used_cpu_user").unwrap_or(0.0);
    Ok(sys + user)
}

/// Redis's `used_memory`, read once the keys an earlier phase unlinked are freed (UNLINK
/// frees in the background: memory falling meanwhile would hide what the jobs take).
pub(super) async fn used_memory(b: &Broker) -> Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = b.info("memory").await?;
        let freeing: u64 = info_number(&info, "lazyfree_pending_objects").unwrap_or(0);
        if freeing == 0 || Instant::now() > deadline {
            return Ok(info_number(&info, "used_memory").unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Enqueues `n` jobs in batches, several in flight. Returns the seconds it took.
pub(super) async fn enqueue_all(
    config: &BenchConfig,
    b: &Broker,
    n: u64,
    bar: &ProgressBar,
) -> Result<f64> {
    let queues = config.queue_names();
    let body = payload(config.payload_bytes);
    let batch = config.enqueue_batch as u64;
    let started = Instant::now();
    let sizes: Vec<u64> = (0..n.div_ceil(batch))
        .map(|i| batch.min(n - i * batch))
        .collect();
    let mut calls = futures::stream::iter(sizes.into_iter().enumerate())
        .map(|(i, size)| {
            let q = &queues[i % queues.len()];
            let jobs: Vec<NewJob> = (0..size)
                .map(|_| NewJob {
                    id: JobId::generate(q),
                    payload: body.clone(),
                    options: JobOptions::default(),
                })
                .collect();
            async move { b.enqueue(q, &jobs, None).await.map(|_| size) }
        })
        .buffer_unordered(config.enqueue_parallel);
    while let Some(done) = calls.next().await {
        bar.inc(done?);
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Waits until the queues' succeeded totals reach `n`. Returns their sum.
pub(super) async fn wait_succeeded(
    config: &BenchConfig,
    b: &Broker,
    n: u64,
    bar: &ProgressBar,
    stop: &CancellationToken,
) -> Result<u64> {
    let queues = config.queue_names();
    // generous: a slow machine still finishes, a stuck one does not hang forever
    let limit = Duration::from_secs(60) + Duration::from_millis(n);
    let deadline = Instant::now() + limit;
    loop {
        let mut done = 0;
        for q in &queues {
            done += b.queue_stats(q).await?.totals.succeeded;
        }
        bar.set_position(done);
        if done >= n {
            return Ok(done);
        }
        if Instant::now() > deadline {
            return Err(Error::Protocol(format!(
                "only {done} of {n} jobs ran within {}s",
                limit.as_secs()
            )));
        }
        tokio::select! {
            _ = stop.cancelled() => return Err(Error::Protocol("interrupted".into())),
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
}

pub(super) fn phase(bar: &ProgressBar, name: String, len: u64) {
    bar.set_message(name);
    bar.set_length(len);
    bar.set_position(0);
}

pub(super) async fn measure(
    config: &BenchConfig,
    broker: Broker,
    concurrency: usize,
    bar: &ProgressBar,
    stop: &CancellationToken,
) -> Result<Run> {
    let n = config.jobs;
    broker.ping().await?;

    phase(bar, format!("c={concurrency}: enqueue"), n);
    let mem0 = used_memory(&broker).await?;
    let cpu0 = cpu_seconds(&broker).await?;
    let enqueue_secs = enqueue_all(config, &broker, n, bar).await?;
    let cpu1 = cpu_seconds(&broker).await?;
    let mem1 = used_memory(&broker).await?;

    phase(bar, format!("c={concurrency}: drain"), n);
    let probe = Arc::new(Probe::default());
    let started = Instant::now();
    let one = Workers::start(&broker, config, &probe, &[concurrency])?;
    let measured = async {
        let drained = wait_succeeded(config, &broker, n, bar, stop).await?;
        let drain_secs = started.elapsed().as_secs_f64();
        let cpu2 = cpu_seconds(&broker).await?;
        let latency = if config.latency_jobs > 0 {
            latency::measure(config, &broker, &probe, bar, stop).await?
        } else {
            None
        };
        Ok::<_, Error>((drained, drain_secs, cpu2, latency))
    }
    .await;
    // the worker stops (and stops writing) before the namespace is deleted, whatever
    // happened above
    let stopped = one.stop().await;
    let (drained, drain_secs, cpu2, latency) = measured?;
    stopped?;
    // the other shape: the same slots split over two workers
    let latency_two = if config.latency_jobs > 0 && concurrency >= 2 {
        let probe = Arc::new(Probe::default());
        let half = concurrency / 2;
        let two = Workers::start(&broker, config, &probe, &[half, concurrency - half])?;
        let measured = latency::measure(config, &broker, &probe, bar, stop).await;
        let stopped = two.stop().await;
        let measured = measured?;
        stopped?;
        measured
    } else {
        None
    };
    let per_job_us = |secs: f64| secs * 1e6 / n as f64;
    Ok(Run {
        concurrency,
        jobs: n,
        enqueue_secs,
        enqueue_per_s: n as f64 / enqueue_secs.max(1e-9),
        drained,
        drain_secs,
        drain_per_s: drained as f64 / drain_secs.max(1e-9),
        redis_cpu_us_per_job: per_job_us(cpu2 - cpu0),
        redis_cpu_enqueue_us_per_job: per_job_us(cpu1 - cpu0),
        redis_cpu_drain_us_per_job: per_job_us(cpu2 - cpu1),
        redis_bytes_per_job: mem1.saturating_sub(mem0) as f64 / n as f64,
        latency,
        latency_two,
    })
}

/// In-process workers on the bench queue, each with connections of its own (like separate
/// processes) and a noop handler that notes each start in `probe`.
struct Workers {
    stop: CancellationToken,
    running: Vec<tokio::task::JoinHandle<Result<crate::worker::WorkerReport>>>,
}

impl Workers {
    /// One worker per entry of `slots`, with that concurrency.
    fn start(
        broker: &Broker,
        config: &BenchConfig,
        probe: &Arc<Probe>,
        slots: &[usize],
    ) -> Result<Workers> {
        let stop = CancellationToken::new();
        let mut running = Vec::new();
        for &c in slots {
            let mut wc = WorkerConfig::new(config.queue_names());
            wc.id = format!("bench-{:08x}", rand::random::<u32>());
            wc.concurrency = c;
            wc.batch_size = config.batch_size;
            wc.handler_name = "builtin:noop".into();
            let handler = {
                let probe = probe.clone();
                move |job: Job| {
                    probe.on_start(&job.id);
                    async { Ok(Output::empty()) }
                }
            };
            let worker = Worker::new(Broker::new(broker.config().clone())?, wc).handler(handler);
            running.push(tokio::spawn(worker.run(stop.clone())));
        }
        Ok(Workers { stop, running })
    }

    async fn stop(self) -> Result<()> {
        self.stop.cancel();
        for w in self.running {
            match tokio::time::timeout(Duration::from_secs(30), w).await {
                Ok(Ok(Ok(_))) => {}
                Ok(Ok(Err(e))) => return Err(e),
                Ok(Err(e)) => return Err(Error::Protocol(format!("bench worker failed: {e}"))),
                Err(_) => return Err(Error::Protocol("bench worker did not stop".into())),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_json_of_the_asked_size() {
        for n in [0, 2, 16, 100] {
            let p = payload(n);
            assert_eq!(p.bytes.len(), n.max(2));
            assert!(serde_json::from_slice::<serde_json::Value>(&p.bytes).is_ok());
        }
    }
}
