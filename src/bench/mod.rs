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

mod drain;
mod latency;
mod memory;
pub mod plot;
mod report;
mod serial;
pub mod stream;

pub use report::{Latency, Report, Run, Target, WorkerMemory};
pub use serial::Serial;

use std::path::PathBuf;

use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use crate::broker::info::{info_field, info_number};
use crate::broker::{Broker, BrokerConfig, TlsFiles};
use crate::error::{Error, Result};
use crate::job::QueueName;
use drain::{Probe, cpu_seconds, enqueue_all, lock, measure, payload, phase, wait_succeeded};

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

/// This machine's load averages (Linux), to note how busy it was.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}
