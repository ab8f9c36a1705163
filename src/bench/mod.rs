//! `mlqd bench`: measures the engine against a real Redis, in-process, on a fresh namespace
//! that it deletes afterwards.
//!
//! First, once, **one at a time** (`serial`): `serial_jobs` jobs posted through
//! `Client::post`, each awaited, and as many PINGs on the same connection.
//!
//! Then for each concurrency asked for:
//! 1. **enqueue**: `jobs` no-op jobs in atomic batches of `enqueue_batch`, `enqueue_parallel`
//!    batches in flight at once → enqueue jobs/s, and Redis memory per pending job
//!    (`INFO memory` `used_memory` before and after, over the jobs now waiting);
//! 2. **drain**: an in-process [`Worker`] (noop handler, the given concurrency) runs them
//!    all → drain jobs/s; Redis CPU per job is the `INFO cpu` delta (`used_cpu_sys` +
//!    `used_cpu_user`) over enqueue and drain, divided by the jobs;
//! 3. **start latency** (`latency`): the same worker, now idle, gets `latency_jobs` jobs
//!    posted one at a time at a fixed arrival rate; then two workers sharing the same
//!    slots do.
//!
//! Then, once, **worker RSS** (`memory`): a real `mlqd worker --builtin noop` child, idle
//! and then draining `jobs` jobs.
//!
//! `mlqd bench --stream` measures streamed output instead (`stream.rs`).

mod latency;
mod memory;
pub mod plot;
mod serial;
pub mod stream;

pub use serial::Serial;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::broker::info::{info_field, info_number};
use crate::broker::{Broker, BrokerConfig, NewJob, TlsFiles};
use crate::error::{Error, Result};
use crate::job::{JobId, JobOptions, Payload, QueueName};
use crate::worker::{Job, Output, Worker, WorkerConfig};

/// The queue bench uses inside its namespace.
pub(crate) const QUEUE: &str = "bench";
/// Most queues a bench spreads its jobs over.
const MAX_QUEUES: usize = 64;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    pub redis_url: String,
    /// TLS files for the rediss forms of the URL.
    pub tls: TlsFiles,
    /// The user's namespace; bench works in `<namespace>-bench-<random>` beside it.
    pub namespace: String,
    pub jobs: u64,
    /// One run per value.
    pub concurrency: Vec<usize>,
    pub payload_bytes: usize,
    /// Jobs per handler call (the worker's dynamic batching).
    pub batch_size: usize,
    /// Queues the jobs are spread over (round robin), all served by the one worker: on a
    /// Redis Cluster they spread over the masters.
    pub queues: usize,
    /// Jobs per enqueue call (each call is atomic).
    pub enqueue_batch: usize,
    /// Enqueue calls in flight at once.
    pub enqueue_parallel: usize,
    /// Jobs posted one at a time, each awaited, for the one-by-one enqueue figure (0 =
    /// skip).
    pub serial_jobs: u64,
    /// Jobs posted one at a time for the start-latency figures (0 = skip).
    pub latency_jobs: u64,
    /// Arrivals per second in the latency phase.
    pub rate: f64,
    /// The `mlqd` binary, to measure a real worker process's memory (None = skip).
    pub worker_exe: Option<PathBuf>,
}

impl BenchConfig {
    pub fn new(redis_url: impl Into<String>, namespace: impl Into<String>) -> Self {
        BenchConfig {
            redis_url: redis_url.into(),
            tls: TlsFiles::default(),
            namespace: namespace.into(),
            jobs: 20_000,
            concurrency: vec![8],
            payload_bytes: 16,
            batch_size: 1,
            queues: 1,
            enqueue_batch: 1000,
            enqueue_parallel: 4,
            serial_jobs: 20_000,
            latency_jobs: 1000,
            rate: 200.0,
            worker_exe: None,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.jobs == 0 {
            return Err(Error::invalid("--jobs must be at least 1"));
        }
        if self.concurrency.is_empty() || self.concurrency.contains(&0) {
            return Err(Error::invalid(
                "--concurrency needs one or more numbers from 1 up",
            ));
        }
        if !(1..=MAX_QUEUES).contains(&self.queues) {
            return Err(Error::invalid(format!(
                "--queues must be from 1 to {MAX_QUEUES}"
            )));
        }
        if self.enqueue_batch == 0 || self.enqueue_parallel == 0 {
            return Err(Error::invalid(
                "--enqueue-batch and --enqueue-parallel must be at least 1",
            ));
        }
        if !(self.rate > 0.0 && self.rate.is_finite()) {
            return Err(Error::invalid("--rate must be a positive number"));
        }
        Ok(())
    }
}

/// Start-latency percentiles, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub samples: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// Percentiles of the samples (nearest rank).
    pub fn from_samples(mut samples: Vec<Duration>) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort();
        let at = |p: f64| {
            let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            samples[rank.clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0
        };
        Some(Latency {
            samples: samples.len() as u64,
            p50_ms: at(50.0),
            p95_ms: at(95.0),
            p99_ms: at(99.0),
            max_ms: at(100.0),
        })
    }
}

/// The figures of one concurrency.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub concurrency: usize,
    pub jobs: u64,
    pub enqueue_secs: f64,
    pub enqueue_per_s: f64,
    /// Jobs that succeeded in the drain phase (must equal `jobs`).
    pub drained: u64,
    pub drain_secs: f64,
    pub drain_per_s: f64,
    /// Redis CPU per job over enqueue + claim + complete, µs.
    pub redis_cpu_us_per_job: f64,
    pub redis_cpu_enqueue_us_per_job: f64,
    pub redis_cpu_drain_us_per_job: f64,
    /// Redis memory per pending job (`used_memory` delta / jobs), bytes.
    pub redis_bytes_per_job: f64,
    /// Start latency with one worker of this concurrency.
    pub latency: Option<Latency>,
    /// Start latency with the same slots split over two workers.
    #[serde(default)]
    pub latency_two: Option<Latency>,
}

/// The worker process's memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerMemory {
    pub concurrency: usize,
    pub jobs: u64,
    /// `VmRSS` once started and idle, before any job, bytes.
    #[serde(default)]
    pub idle_rss_bytes: u64,
    /// `VmRSS` after the drain, bytes.
    pub rss_bytes: u64,
    /// `VmHWM` (peak resident set), bytes.
    pub peak_rss_bytes: u64,
    /// `RssAnon` after the drain: heap and stacks, without the mapped binary.
    pub anon_rss_bytes: u64,
}

/// One figure against its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub figure: String,
    pub unit: String,
    pub value: Option<f64>,
    pub target: f64,
    /// True when higher values are better (throughput), false for costs.
    pub higher_is_better: bool,
    pub met: Option<bool>,
}

impl Target {
    fn new(figure: String, unit: &str, value: Option<f64>, target: f64, higher: bool) -> Self {
        let met = value.map(|v| if higher { v >= target } else { v <= target });
        Target {
            figure,
            unit: unit.into(),
            value,
            target,
            higher_is_better: higher,
            met,
        }
    }
}

/// Everything bench measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub redis_version: String,
    /// Whether the server writes an AOF (fsync costs show up in every figure).
    pub redis_appendonly: bool,
    pub jobs: u64,
    pub payload_bytes: usize,
    pub batch_size: usize,
    /// Queues the jobs were spread over.
    pub queues: usize,
    pub enqueue_batch: usize,
    pub enqueue_parallel: usize,
    pub rate: f64,
    /// 1-, 5- and 15-minute load averages of this machine before and after.
    pub load_before: Option<[f64; 3]>,
    pub load_after: Option<[f64; 3]>,
    /// One job at a time, awaited, and the PING round trip beside it.
    pub serial: Option<Serial>,
    pub runs: Vec<Run>,
    pub worker_memory: Option<WorkerMemory>,
    pub targets: Vec<Target>,
}

impl Report {
    /// The run the targets are judged on: concurrency 8 when measured, else the largest.
    pub fn reference_run(&self) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| r.concurrency == 8)
            .or_else(|| self.runs.iter().max_by_key(|r| r.concurrency))
    }

    /// Puts each figure next to its target.
    pub(crate) fn judge(&mut self) {
        let r = self.reference_run().cloned();
        let c = r.as_ref().map(|r| r.concurrency).unwrap_or(8);
        let lat = r.as_ref().and_then(|r| r.latency.clone());
        let two = r.as_ref().and_then(|r| r.latency_two.clone());
        let serial = self.serial.as_ref();
        let mb = |b: u64| b as f64 / 1_000_000.0;
        let mem = self.worker_memory.as_ref();
        self.targets = vec![
            Target::new(
                match serial {
                    Some(s) => format!("enqueue one at a time (PING {:.0}/s)", s.ping_per_s),
                    None => "enqueue one at a time".into(),
                },
                "jobs/s",
                serial.map(|s| s.enqueue_per_s),
                17_000.0,
                true,
            ),
            Target::new(
                "bulk enqueue".into(),
                "jobs/s",
                r.as_ref().map(|r| r.enqueue_per_s),
                150_000.0,
                true,
            ),
            Target::new(
                format!("drain (noop, concurrency {c})"),
                "jobs/s",
                r.as_ref().map(|r| r.drain_per_s),
                60_000.0,
                true,
            ),
            Target::new(
                "Redis CPU per drained job".into(),
                "µs",
                r.as_ref().map(|r| r.redis_cpu_drain_us_per_job),
                15.0,
                false,
            ),
            Target::new(
                format!("idle start p50, 1 worker × {c}"),
                "ms",
                lat.as_ref().map(|l| l.p50_ms),
                0.4,
                false,
            ),
            Target::new(
                format!("idle start p99, 1 worker × {c}"),
                "ms",
                lat.as_ref().map(|l| l.p99_ms),
                1.5,
                false,
            ),
            Target::new(
                format!("idle start p50, 2 workers × {}", c / 2),
                "ms",
                two.as_ref().map(|l| l.p50_ms),
                0.4,
                false,
            ),
            Target::new(
                format!("idle start p99, 2 workers × {}", c / 2),
                "ms",
                two.as_ref().map(|l| l.p99_ms),
                1.5,
                false,
            ),
            Target::new(
                "worker RSS idle".into(),
                "MB",
                mem.map(|m| mb(m.idle_rss_bytes)),
                10.0,
                false,
            ),
            Target::new(
                "worker RSS peak (drain)".into(),
                "MB",
                mem.map(|m| mb(m.peak_rss_bytes)),
                10.0,
                false,
            ),
            Target::new(
                "Redis memory per pending job".into(),
                "bytes",
                r.as_ref().map(|r| r.redis_bytes_per_job),
                175.0,
                false,
            ),
        ];
    }
}

/// Runs every phase. `bar` shows progress (hide it for machines); `stop` ends early (the
/// namespace is deleted either way).
pub async fn run(
    config: &BenchConfig,
    bar: &ProgressBar,
    stop: &CancellationToken,
) -> Result<Report> {
    config.validate()?;
    let probe = Broker::new(config.broker_config(&config.namespace))?;
    let server = probe.info("server").await?;
    let persistence = probe.info("persistence").await?;
    let mut report = Report {
        redis_version: info_field(&server, "redis_version").unwrap_or_default(),
        redis_appendonly: info_number::<u8>(&persistence, "aof_enabled") == Some(1),
        jobs: config.jobs,
        payload_bytes: config.payload_bytes,
        batch_size: config.batch_size,
        queues: config.queues,
        enqueue_batch: config.enqueue_batch,
        enqueue_parallel: config.enqueue_parallel,
        rate: config.rate,
        load_before: load_average(),
        ..Default::default()
    };
    if config.serial_jobs > 0 {
        phase(bar, "enqueue one at a time".into(), config.serial_jobs);
        let serial = in_namespace(config, |broker| async move {
            let client =
                crate::client::Client::from_broker(broker, crate::job::DEFAULT_MAX_PAYLOAD);
            serial::measure(
                &client,
                &config.queue_names()[0],
                config.serial_jobs,
                config.payload_bytes,
                bar,
                stop,
            )
            .await
        })
        .await?;
        report.serial = Some(serial);
    }
    for &c in &config.concurrency {
        let run = in_namespace(config, |broker| measure(config, broker, c, bar, stop)).await?;
        report.runs.push(run);
    }
    if let Some(exe) = &config.worker_exe {
        let c = config.concurrency.iter().copied().max().unwrap_or(1);
        let mem = in_namespace(config, |broker| {
            memory::measure(config, broker, exe, c, bar, stop)
        })
        .await?;
        report.worker_memory = Some(mem);
    }
    report.load_after = load_average();
    report.judge();
    Ok(report)
}

/// Runs `f` on a broker for a fresh namespace, and deletes that namespace afterwards
/// whatever happened.
async fn in_namespace<T, F, Fut>(config: &BenchConfig, f: F) -> Result<T>
where
    F: FnOnce(Broker) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let ns = format!("{}-bench-{:08x}", config.namespace, rand::random::<u32>());
    let broker = Broker::new(config.broker_config(&ns))?;
    let out = f(broker.clone()).await;
    if let Err(e) = broker.delete_namespace().await {
        tracing::warn!(error = %e, namespace = %broker.keys().namespace(), "could not delete the bench keys");
    }
    out
}

impl BenchConfig {
    fn broker_config(&self, namespace: &str) -> BrokerConfig {
        let mut c = BrokerConfig::new(&self.redis_url, namespace);
        c.tls = self.tls.clone();
        c
    }

    /// `bench` for one queue, else `bench-0`, `bench-1`, ….
    pub(crate) fn queue_names(&self) -> Vec<QueueName> {
        let names: Vec<String> = match self.queues {
            0 | 1 => vec![QUEUE.to_string()],
            n => (0..n).map(|i| format!("{QUEUE}-{i}")).collect(),
        };
        names
            .iter()
            .map(|n| {
                QueueName::new(n).unwrap_or_else(|_| unreachable!("bench-N is a valid queue name"))
            })
            .collect()
    }
}

/// A JSON string payload of `bytes` bytes (at least the two quotes).
fn payload(bytes: usize) -> Payload {
    let mut s = Vec::with_capacity(bytes.max(2));
    s.push(b'"');
    s.resize(bytes.max(2) - 1, b'x');
    s.push(b'"');
    Payload::bytes(s, crate::job::JSON)
}

/// What the bench handler does: count jobs, and when armed, note when each listed job
/// started.
#[derive(Default)]
struct Probe {
    started: AtomicU64,
    sent: Mutex<HashMap<JobId, Instant>>,
    samples: Mutex<Vec<Duration>>,
}

impl Probe {
    fn on_start(&self, id: &JobId) {
        let now = Instant::now();
        self.started.fetch_add(1, Ordering::Relaxed);
        let sent = lock(&self.sent).remove(id);
        if let Some(at) = sent {
            lock(&self.samples).push(now.duration_since(at));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn cpu_seconds(b: &Broker) -> Result<f64> {
    let info = b.info("cpu").await?;
    let sys: f64 = info_number(&info, "used_cpu_sys").unwrap_or(0.0);
    let user: f64 = info_number(&info, "used_cpu_user").unwrap_or(0.0);
    Ok(sys + user)
}

async fn used_memory(b: &Broker) -> Result<u64> {
    Ok(info_number(&b.info("memory").await?, "used_memory").unwrap_or(0))
}

/// Enqueues `n` jobs in batches, several in flight. Returns the seconds it took.
async fn enqueue_all(config: &BenchConfig, b: &Broker, n: u64, bar: &ProgressBar) -> Result<f64> {
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
async fn wait_succeeded(
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

fn phase(bar: &ProgressBar, name: String, len: u64) {
    bar.set_message(name);
    bar.set_length(len);
    bar.set_position(0);
}

async fn measure(
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

/// This machine's load averages (Linux), to note how busy it was.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::from_samples(samples).unwrap();
        assert_eq!(l.samples, 100);
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p95_ms, 95.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert_eq!(Latency::from_samples(Vec::new()), None);
        let one = Latency::from_samples(vec![Duration::from_micros(300)]).unwrap();
        assert!((one.p99_ms - 0.3).abs() < 1e-9);
    }

    #[test]
    fn payloads_are_json_of_the_asked_size() {
        for n in [0, 2, 16, 100] {
            let p = payload(n);
            assert_eq!(p.bytes.len(), n.max(2));
            assert!(serde_json::from_slice::<serde_json::Value>(&p.bytes).is_ok());
        }
    }

    #[test]
    fn targets_judge_the_concurrency_8_run() {
        let lat = |p50_ms, p99_ms| Latency {
            samples: 10,
            p50_ms,
            p95_ms: p99_ms,
            p99_ms,
            max_ms: 3.0,
        };
        let mut r = Report {
            serial: Some(Serial {
                jobs: 100,
                enqueue_per_s: 18_000.0,
                ping_per_s: 27_000.0,
                redis_cpu_us_per_enqueue: 9.0,
            }),
            runs: vec![
                Run {
                    concurrency: 1,
                    drain_per_s: 80_000.0,
                    ..Default::default()
                },
                Run {
                    concurrency: 8,
                    drain_per_s: 30_000.0,
                    enqueue_per_s: 200_000.0,
                    redis_cpu_drain_us_per_job: 12.0,
                    redis_bytes_per_job: 180.0,
                    latency: Some(lat(0.3, 2.0)),
                    latency_two: Some(lat(0.5, 1.0)),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        r.judge();
        let met: Vec<Option<bool>> = r.targets.iter().map(|t| t.met).collect();
        assert_eq!(
            met,
            [
                Some(true),  // 18k ≥ 17k one at a time
                Some(true),  // 200k ≥ 150k
                Some(false), // drain 30k < 60k
                Some(true),  // 12 µs ≤ 15
                Some(true),  // p50 0.3 ≤ 0.4
                Some(false), // p99 2.0 > 1.5
                Some(false), // two workers: p50 0.5 > 0.4
                Some(true),  // two workers: p99 1.0 ≤ 1.5
                None,        // worker memory not measured
                None,
                Some(false), // 180 > 175 bytes
            ]
        );
        assert!(r.targets[0].figure.contains("PING 27000/s"));
        assert!(r.targets[2].figure.contains("concurrency 8"));
        assert!(r.targets[6].figure.contains("2 workers × 4"));
    }
}
