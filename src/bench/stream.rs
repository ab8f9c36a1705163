//! `mlqd bench --stream`: what streamed output costs, in-process against a real Redis, on a
//! fresh namespace deleted afterwards.
//!
//! 1. **emit**: one job whose handler calls `Job::emit` `chunks` times in a tight loop
//!    (`chunk_bytes` each). Figures: emit calls per second in the handler (the buffer
//!    push), and chunks stored per second end to end (from the first emit until the job's
//!    outcome is recorded, which waits for its last chunk), with Redis CPU per chunk (the
//!    `INFO cpu` delta); every chunk is then read back and counted.
//! 2. **latency**: the HTTP API runs in this process on a loopback port; a reader follows
//!    `GET /v1/jobs/{id}/stream` while a job emits `latency_chunks` chunks at `rate` per
//!    second, each carrying its emit instant. A sample is from the `emit` call to the
//!    moment the reader has parsed that chunk's event, both on this process's monotonic
//!    clock: it includes the flusher's gathering (5 ms), the script call, the pub/sub
//!    notice, the reader's read and the HTTP hop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tabled::builder::Builder;
use tabled::settings::Style;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Latency, cpu_seconds, load_average};
use crate::api::{self, ApiConfig, AppState};
use crate::broker::info::info_field;
use crate::broker::{Broker, BrokerConfig};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::job::{JobOptions, Payload, QueueName};
use crate::worker::{HandlerError, Job, Output, Worker, WorkerConfig};

/// What to measure.
#[derive(Clone, Debug)]
pub struct StreamBenchConfig {
    pub redis_url: String,
    /// The user's namespace; the bench works in `<namespace>-bench-<random>` beside it.
    pub namespace: String,
    /// Chunks of the emit phase.
    pub chunks: u64,
    pub chunk_bytes: usize,
    /// Chunks of the latency phase (0 = skip it).
    pub latency_chunks: u64,
    /// Chunks per second in the latency phase.
    pub rate: f64,
}

impl StreamBenchConfig {
    pub fn new(redis_url: impl Into<String>, namespace: impl Into<String>) -> Self {
        StreamBenchConfig {
            redis_url: redis_url.into(),
            namespace: namespace.into(),
            chunks: 100_000,
            chunk_bytes: 32,
            latency_chunks: 3000,
            rate: 1000.0,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.chunks == 0 || self.chunks > 10_000_000 {
            return Err(Error::invalid("--stream-chunks must be 1 to 10000000"));
        }
        if self.chunk_bytes == 0 || self.chunk_bytes > 1024 * 1024 {
            return Err(Error::invalid("--chunk-bytes must be 1 to 1MiB"));
        }
        if self.chunks.saturating_mul(self.chunk_bytes as u64) > 1 << 30 {
            return Err(Error::invalid(
                "--stream-chunks × --chunk-bytes must stay within 1GiB",
            ));
        }
        if !(self.rate > 0.0 && self.rate.is_finite() && self.rate <= 100_000.0) {
            return Err(Error::invalid(
                "--rate must be a positive number up to 100000",
            ));
        }
        Ok(())
    }
}

/// Everything the stream bench measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamReport {
    pub redis_version: String,
    pub chunks: u64,
    pub chunk_bytes: usize,
    /// `Job::emit` calls per second inside the handler.
    pub emit_per_s: f64,
    /// Chunks stored per second, first emit to the recorded outcome.
    pub stored_per_s: f64,
    pub stored_secs: f64,
    /// Chunks read back after the emit phase (must equal `chunks`).
    pub read_back: u64,
    pub redis_cpu_us_per_chunk: f64,
    pub latency_chunks: u64,
    pub rate: f64,
    /// Chunks the SSE reader got in the latency phase (must equal `latency_chunks`).
    pub delivered: u64,
    /// Emit → SSE reader.
    pub latency: Option<Latency>,
    pub load_before: Option<[f64; 3]>,
    pub load_after: Option<[f64; 3]>,
}

/// What the bench handler shares with the bench.
#[derive(Default)]
struct Shared {
    /// Set by the emit job: when it started emitting, and how long the emits took.
    emitted: Mutex<Option<(Instant, Duration)>>,
    /// The latency job waits for the reader.
    reader_ready: Notify,
}

fn queue() -> QueueName {
    QueueName::new("bench-stream").unwrap_or_else(|_| unreachable!("a valid queue name"))
}

/// Runs both phases; `stop` ends early (the namespace is deleted either way).
pub async fn run(config: &StreamBenchConfig, stop: &CancellationToken) -> Result<StreamReport> {
    config.validate()?;
    let ns = format!("{}-bench-{:08x}", config.namespace, rand::random::<u32>());
    let broker = Broker::new(BrokerConfig::new(&config.redis_url, ns))?;
    let out = measure(config, broker.clone(), stop).await;
    if let Err(e) = broker.delete_namespace().await {
        tracing::warn!(error = %e, namespace = %broker.keys().namespace(), "could not delete the bench keys");
    }
    out
}

async fn measure(
    config: &StreamBenchConfig,
    broker: Broker,
    stop: &CancellationToken,
) -> Result<StreamReport> {
    let mut report = StreamReport {
        redis_version: info_field(&broker.info("server").await?, "redis_version")
            .unwrap_or_default(),
        chunks: config.chunks,
        chunk_bytes: config.chunk_bytes,
        latency_chunks: config.latency_chunks,
        rate: config.rate,
        load_before: load_average(),
        ..Default::default()
    };
    let shared = Arc::new(Shared::default());
    let base = Instant::now();
    let mut wc = WorkerConfig::new(vec![queue()]);
    wc.concurrency = 2;
    // room for every chunk of the emit phase, so none is trimmed
    wc.max_stream = (config.chunks * config.chunk_bytes as u64 * 2).max(16 << 20);
    let handler = {
        let shared = shared.clone();
        let (n, size, rate, lat_n) = (
            config.chunks,
            config.chunk_bytes,
            config.rate,
            config.latency_chunks,
        );
        move |job: Job| {
            let shared = shared.clone();
            async move {
                if job.payload.bytes == b"\"emit\"" {
                    let chunk = vec![b'x'; size];
                    let started = Instant::now();
                    for _ in 0..n {
                        job.emit(chunk.clone());
                    }
                    *lock(&shared.emitted) = Some((started, started.elapsed()));
                } else {
                    let ready = shared.reader_ready.notified();
                    if tokio::time::timeout(Duration::from_secs(10), ready)
                        .await
                        .is_err()
                    {
                        return Err(HandlerError::permanent("the stream reader never connected"));
                    }
                    let step = Duration::from_secs_f64(1.0 / rate);
                    let mut next = tokio::time::Instant::now();
                    for _ in 0..lat_n {
                        tokio::time::sleep_until(next).await;
                        next += step;
                        job.emit(base.elapsed().as_nanos().to_string());
                    }
                }
                Ok(Output::empty())
            }
        }
    };
    let worker_stop = CancellationToken::new();
    let worker = tokio::spawn(
        Worker::new(broker.clone(), wc)
            .handler(handler)
            .run(worker_stop.clone()),
    );
    let client = Client::from_broker(broker.clone(), crate::job::DEFAULT_MAX_PAYLOAD);
    let measured = async {
        emit_phase(&client, &shared, &mut report).await?;
        if config.latency_chunks > 0 {
            latency_phase(&client, &shared, base, &mut report).await?;
        }
        Ok::<_, Error>(())
    };
    let result = tokio::select! {
        r = measured => r,
        _ = stop.cancelled() => Err(Error::Protocol("interrupted".into())),
    };
    worker_stop.cancel();
    match worker.await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "bench worker failed"),
        Err(e) => tracing::warn!(error = %e, "bench worker panicked"),
    }
    result?;
    report.load_after = load_average();
    Ok(report)
}

async fn emit_phase(client: &Client, shared: &Shared, report: &mut StreamReport) -> Result<()> {
    let broker = client.broker();
    let cpu_before = cpu_seconds(broker).await?;
    let job = client
        .post(
            &queue(),
            Payload::json(&serde_json::json!("emit")),
            JobOptions::default(),
        )
        .await?;
    let status = client.wait(&job.id, Some(Duration::from_secs(600))).await?;
    let done = Instant::now();
    if status.state != crate::job::JobState::Succeeded {
        return Err(Error::Protocol(format!(
            "the emit job ended {}: {:?}",
            status.state, status.error
        )));
    }
    let cpu = cpu_seconds(broker).await? - cpu_before;
    let (started, emitting) = lock(&shared.emitted)
        .ok_or_else(|| Error::Protocol("the emit job did not report".into()))?;
    let n = report.chunks as f64;
    report.emit_per_s = n / emitting.as_secs_f64().max(1e-9);
    report.stored_secs = done.duration_since(started).as_secs_f64();
    report.stored_per_s = n / report.stored_secs.max(1e-9);
    report.redis_cpu_us_per_chunk = cpu * 1e6 / n;
    // every chunk is there, in order
    let mut pos = None;
    loop {
        let page = broker
            .read_stream(&job.id, pos)
            .await?
            .ok_or_else(|| Error::NotFound(job.id.to_string()))?;
        let Some(last) = page.chunks.last() else {
            break;
        };
        pos = Some(last.id);
        report.read_back += page.chunks.len() as u64;
    }
    Ok(())
}

async fn latency_phase(
    client: &Client,
    shared: &Shared,
    base: Instant,
    report: &mut StreamReport,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Error::Protocol(format!("cannot listen on loopback: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Protocol(e.to_string()))?;
    let server_stop = CancellationToken::new();
    let state = AppState::new(client.clone(), ApiConfig::default());
    let server = tokio::spawn(api::serve(listener, state, server_stop.clone()));
    let read = async {
        let job = client
            .post(
                &queue(),
                Payload::json(&serde_json::json!("latency")),
                JobOptions::default(),
            )
            .await?;
        let http = reqwest::Client::new();
        let url = format!("http://{addr}/v1/jobs/{}/stream", job.id);
        let mut res = http
            .get(&url)
            .send()
            .await
            .map_err(|e| Error::Protocol(format!("GET {url}: {e}")))?;
        if !res.status().is_success() {
            return Err(Error::Protocol(format!("GET {url}: {}", res.status())));
        }
        shared.reader_ready.notify_one();
        let mut samples = Vec::with_capacity(report.latency_chunks as usize);
        let mut buf = String::new();
        let mut event = String::new();
        while let Some(bytes) = res
            .chunk()
            .await
            .map_err(|e| Error::Protocol(format!("reading {url}: {e}")))?
        {
            buf.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(nl) = buf.find('\n') {
                let line: String = buf.drain(..=nl).collect();
                let line = line.trim_end();
                if let Some(name) = line.strip_prefix("event: ") {
                    event = name.to_string();
                } else if let Some(data) = line.strip_prefix("data: ")
                    && event == "chunk"
                {
                    let now = base.elapsed();
                    let sent = serde_json::from_str::<serde_json::Value>(data)
                        .ok()
                        .and_then(|v| v["text"].as_str()?.parse::<u64>().ok());
                    if let Some(ns) = sent {
                        samples.push(now.saturating_sub(Duration::from_nanos(ns)));
                    }
                }
            }
            if event == "end" {
                break;
            }
        }
        report.delivered = samples.len() as u64;
        report.latency = Latency::from_samples(samples);
        Ok(())
    };
    let out = read.await;
    server_stop.cancel();
    let _ = server.await;
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

impl StreamReport {
    /// The report as text for people.
    pub fn text(&self) -> String {
        let load = |l: Option<[f64; 3]>| {
            l.map(|[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"))
                .unwrap_or_else(|| "?".into())
        };
        let mut out = format!(
            "mlqd bench --stream: redis {} · load average before {} · after {}\n",
            self.redis_version,
            load(self.load_before),
            load(self.load_after)
        );
        let mut b = Builder::default();
        b.push_record(["figure", "measured"]);
        b.push_record([
            format!(
                "one handler: Job::emit calls ({} chunks of {} B)",
                self.chunks, self.chunk_bytes
            ),
            format!("{} chunks/s", num(self.emit_per_s)),
        ]);
        b.push_record([
            "stored in Redis, first emit to recorded outcome".to_string(),
            format!(
                "{} chunks/s ({} s; {}/{} read back)",
                num(self.stored_per_s),
                num(self.stored_secs),
                self.read_back,
                self.chunks
            ),
        ]);
        b.push_record([
            "Redis CPU per chunk".to_string(),
            format!("{} µs", num(self.redis_cpu_us_per_chunk)),
        ]);
        match &self.latency {
            Some(l) => {
                let at = format!(
                    "emit → SSE reader at {}/s ({}/{} delivered)",
                    num(self.rate),
                    self.delivered,
                    self.latency_chunks
                );
                b.push_record([
                    format!("{at}: p50 / p95 / p99 / max"),
                    format!(
                        "{} / {} / {} / {} ms",
                        num(l.p50_ms),
                        num(l.p95_ms),
                        num(l.p99_ms),
                        num(l.max_ms)
                    ),
                ]);
            }
            None => {
                b.push_record(["emit → SSE reader latency", "not measured"]);
            }
        }
        let mut t = b.build();
        t.with(Style::rounded());
        out.push_str(&t.to_string());
        out
    }
}
