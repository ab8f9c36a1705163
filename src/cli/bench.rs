//! `mlqd bench`: the load generator. Measures enqueue and drain throughput, start latency,
//! Redis CPU and memory per job and worker memory on a fresh namespace (deleted after), and
//! prints each figure next to its target.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tabled::builder::Builder;
use tabled::settings::Style;

use super::GlobalArgs;
use super::output::{line, print_json};
use crate::bench::{self, BenchConfig, Report};
use crate::units::{format_size, size_arg};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Jobs per run
    #[arg(long, env = "MLQD_JOBS", default_value_t = 20_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub jobs: u64,
    /// Queues to spread the jobs over (one worker serves them all; on a Redis Cluster they
    /// spread over the masters)
    #[arg(long, env = "MLQD_QUEUES", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub queues: u32,
    /// Worker concurrency; a list (1,2,4,8) runs once per value, for a scaling experiment
    #[arg(long, short, env = "MLQD_CONCURRENCY", value_delimiter = ',', default_value = "8",
          value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub concurrency: Vec<u32>,
    /// Payload size of each job (a JSON string)
    #[arg(long, env = "MLQD_PAYLOAD_BYTES", value_parser = size_arg, default_value = "16")]
    pub payload_bytes: u64,
    /// Jobs per handler call (the worker's dynamic batching)
    #[arg(long, env = "MLQD_BATCH_SIZE", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch_size: u32,
    /// Jobs per enqueue call (each call is one atomic script)
    #[arg(long, env = "MLQD_ENQUEUE_BATCH", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub enqueue_batch: u32,
    /// Enqueue calls in flight at once
    #[arg(long, env = "MLQD_ENQUEUE_PARALLEL", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub enqueue_parallel: u32,
    /// Jobs posted one at a time, each awaited, for the one-by-one enqueue figure (0 skips)
    #[arg(long, env = "MLQD_SERIAL_JOBS", default_value_t = 20_000)]
    pub serial_jobs: u64,
    /// Jobs posted one at a time into the idle worker for the start-latency figures (0 skips)
    #[arg(long, env = "MLQD_LATENCY_JOBS", default_value_t = 1000)]
    pub latency_jobs: u64,
    /// Arrivals per second in the start-latency phase
    #[arg(long, env = "MLQD_RATE", default_value_t = 200.0)]
    pub rate: f64,
    /// Draw drain throughput against concurrency into this SVG file
    #[arg(long, env = "MLQD_PLOT", value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Skip the worker-memory phase (it starts a real `mlqd worker` process)
    #[arg(long, env = "MLQD_NO_WORKER_PROCESS")]
    pub no_worker_process: bool,
    /// Print JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
    /// Measure streamed output instead: how fast one handler emits and Redis stores
    /// chunks, and the latency from `emit` to a reader of `GET /v1/jobs/{id}/stream`
    #[arg(long, env = "MLQD_STREAM")]
    pub stream: bool,
    /// With --stream: chunks the emit phase's handler emits
    #[arg(
        long,
        env = "MLQD_STREAM_CHUNKS",
        default_value_t = 100_000,
        requires = "stream"
    )]
    pub stream_chunks: u64,
    /// With --stream: bytes per chunk in the emit phase
    #[arg(long, env = "MLQD_CHUNK_BYTES", value_parser = size_arg, default_value = "32",
          requires = "stream")]
    pub chunk_bytes: u64,
    /// With --stream: chunks emitted for the latency figures (0 skips), at --stream-rate
    #[arg(
        long,
        env = "MLQD_STREAM_LATENCY_CHUNKS",
        default_value_t = 3000,
        requires = "stream"
    )]
    pub stream_latency_chunks: u64,
    /// With --stream: chunks per second in the latency phase
    #[arg(
        long,
        env = "MLQD_STREAM_RATE",
        default_value_t = 1000.0,
        requires = "stream"
    )]
    pub stream_rate: f64,
}

impl BenchArgs {
    fn config(&self, g: &GlobalArgs) -> anyhow::Result<BenchConfig> {
        let mut c = BenchConfig::new(g.redis_url(), g.namespace.clone());
        c.tls = g.tls();
        c.jobs = self.jobs;
        c.queues = self.queues as usize;
        c.concurrency = self.concurrency.iter().map(|&c| c as usize).collect();
        c.payload_bytes = usize::try_from(self.payload_bytes)
            .ok()
            .filter(|b| *b <= 16 * 1024 * 1024)
            .ok_or_else(|| crate::Error::invalid("--payload-bytes must be at most 16MiB"))?;
        c.batch_size = self.batch_size as usize;
        c.enqueue_batch = self.enqueue_batch as usize;
        c.enqueue_parallel = self.enqueue_parallel as usize;
        c.serial_jobs = self.serial_jobs;
        c.latency_jobs = self.latency_jobs;
        c.rate = self.rate;
        if !self.no_worker_process {
            c.worker_exe = std::env::current_exe().ok();
        }
        Ok(c)
    }
}

/// `mlqd bench --stream`.
async fn run_stream(g: &GlobalArgs, a: &BenchArgs) -> anyhow::Result<u8> {
    let mut c = bench::stream::StreamBenchConfig::new(g.redis_url(), g.namespace.clone());
    c.chunks = a.stream_chunks;
    c.chunk_bytes = usize::try_from(a.chunk_bytes).unwrap_or(usize::MAX);
    c.latency_chunks = a.stream_latency_chunks;
    c.rate = a.stream_rate;
    if std::io::stderr().is_terminal() {
        eprintln!("mlqd bench --stream: measuring…");
    }
    let report = bench::stream::run(&c, &super::shutdown_on_signals()).await?;
    if a.json {
        print_json(&report)?;
    } else {
        line(report.text())?;
    }
    Ok(super::exit::OK)
}

pub async fn run(g: &GlobalArgs, a: BenchArgs) -> anyhow::Result<u8> {
    if a.stream {
        return run_stream(g, &a).await;
    }
    let config = a.config(g)?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {msg:<34} [{bar:30}] {pos}/{len} ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let stop = super::shutdown_on_signals();
    let report = bench::run(&config, &bar, &stop).await;
    bar.finish_and_clear();
    let report = report?;
    if let Some(path) = &a.plot {
        bench::plot::throughput_svg(&report, path)?;
    }
    if a.json {
        print_json(&report)?;
    } else {
        line(report_text(&report))?;
        if let Some(path) = &a.plot {
            line(format_args!("plot: {}", path.display()))?;
        }
    }
    Ok(super::exit::OK)
}

fn load(l: Option<[f64; 3]>) -> String {
    l.map(|[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"))
        .unwrap_or_else(|| "?".into())
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

/// The report as text: setup, one row per concurrency, then the targets.
pub fn report_text(r: &Report) -> String {
    let mut out = format!(
        "mlqd bench: {} no-op jobs per run{}, {} B payloads, handler batch {}, enqueue batches of {} ×{} in flight, latency at {}/s\nredis {} (AOF {}) · load average before {} · after {}\n",
        r.jobs,
        match r.queues {
            0 | 1 => String::new(),
            n => format!(" over {n} queues"),
        },
        r.payload_bytes,
        r.batch_size,
        r.enqueue_batch,
        r.enqueue_parallel,
        r.rate,
        r.redis_version,
        if r.redis_appendonly { "on" } else { "off" },
        load(r.load_before),
        load(r.load_after),
    );
    let mut b = Builder::default();
    b.push_record([
        "concurrency",
        "enqueue jobs/s",
        "drain jobs/s",
        "drained",
        "redis CPU µs/job (enq+drain)",
        "start p50/p99 ms (1 worker)",
        "(2 workers)",
        "redis B/job",
    ]);
    let lat = |l: &Option<bench::Latency>| match l {
        Some(l) => format!("{} / {}", num(l.p50_ms), num(l.p99_ms)),
        None => "-".into(),
    };
    for run in &r.runs {
        b.push_record([
            run.concurrency.to_string(),
            num(run.enqueue_per_s),
            num(run.drain_per_s),
            format!("{}/{}", run.drained, run.jobs),
            format!(
                "{} ({}+{})",
                num(run.redis_cpu_us_per_job),
                num(run.redis_cpu_enqueue_us_per_job),
                num(run.redis_cpu_drain_us_per_job)
            ),
            lat(&run.latency),
            lat(&run.latency_two),
            num(run.redis_bytes_per_job),
        ]);
    }
    let mut t = b.build();
    t.with(Style::rounded());
    out.push_str(&t.to_string());
    out.push('\n');
    if let Some(s) = &r.serial {
        out.push_str(&format!(
            "one at a time: {} jobs/s posted (each awaited), {} PING/s on the same connection, Redis CPU {} µs per post\n",
            num(s.enqueue_per_s),
            num(s.ping_per_s),
            num(s.redis_cpu_us_per_enqueue)
        ));
    }
    let mut b = Builder::default();
    b.push_record(["figure", "measured", "target", ""]);
    for t in &r.targets {
        let op = if t.higher_is_better { "≥" } else { "≤" };
        b.push_record([
            t.figure.clone(),
            t.value
                .map(|v| format!("{} {}", num(v), t.unit))
                .unwrap_or_else(|| "not measured".into()),
            format!("{op} {} {}", num(t.target), t.unit),
            match t.met {
                Some(true) => "met".into(),
                Some(false) => "MISSED".into(),
                None => "-".into(),
            },
        ]);
    }
    let mut t = b.build();
    t.with(Style::rounded());
    out.push_str(&t.to_string());
    if let Some(m) = &r.worker_memory {
        out.push_str(&format!(
            "\nworker memory: `mlqd worker --builtin noop -c {}`: RSS idle {}; draining {} jobs: peak RSS {}, RSS after {} ({} of it anonymous: heap and stacks; the rest is the mapped binary)",
            m.concurrency,
            format_size(m.idle_rss_bytes),
            m.jobs,
            format_size(m.peak_rss_bytes),
            format_size(m.rss_bytes),
            format_size(m.anon_rss_bytes)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{Latency, Run, Serial, WorkerMemory};

    #[test]
    fn every_figure_is_printed_next_to_its_target() {
        let lat = |p50_ms, p99_ms| Latency {
            samples: 1000,
            p50_ms,
            p95_ms: 0.8,
            p99_ms,
            max_ms: 3.0,
        };
        let mut r = Report {
            jobs: 20_000,
            serial: Some(Serial {
                jobs: 20_000,
                enqueue_per_s: 16_000.0,
                ping_per_s: 27_500.0,
                redis_cpu_us_per_enqueue: 9.0,
            }),
            runs: vec![Run {
                concurrency: 8,
                jobs: 20_000,
                drained: 20_000,
                drain_per_s: 62_345.0,
                enqueue_per_s: 160_000.0,
                redis_cpu_drain_us_per_job: 80.0,
                redis_bytes_per_job: 160.0,
                latency: Some(lat(0.45, 1.2)),
                latency_two: Some(lat(0.35, 1.6)),
                ..Default::default()
            }],
            worker_memory: Some(WorkerMemory {
                concurrency: 8,
                jobs: 20_000,
                idle_rss_bytes: 9_000_000,
                rss_bytes: 12_000_000,
                peak_rss_bytes: 14_000_000,
                ..Default::default()
            }),
            ..Default::default()
        };
        r.judge();
        let text = report_text(&r);
        for (figure, measured, target, verdict) in [
            (
                "enqueue one at a time (PING 27500/s)",
                "16000 jobs/s",
                "≥ 17000 jobs/s",
                "MISSED",
            ),
            ("bulk enqueue", "160000 jobs/s", "≥ 150000 jobs/s", "met"),
            (
                "drain (noop, concurrency 8)",
                "62345 jobs/s",
                "≥ 60000 jobs/s",
                "met",
            ),
            (
                "Redis CPU per drained job",
                "80.0 µs",
                "≤ 15.0 µs",
                "MISSED",
            ),
            (
                "idle start p50, 1 worker × 8",
                "0.45 ms",
                "≤ 0.40 ms",
                "MISSED",
            ),
            (
                "idle start p99, 1 worker × 8",
                "1.20 ms",
                "≤ 1.50 ms",
                "met",
            ),
            (
                "idle start p50, 2 workers × 4",
                "0.35 ms",
                "≤ 0.40 ms",
                "met",
            ),
            (
                "idle start p99, 2 workers × 4",
                "1.60 ms",
                "≤ 1.50 ms",
                "MISSED",
            ),
            ("worker RSS idle", "9.00 MB", "≤ 10.0 MB", "met"),
            ("worker RSS peak (drain)", "14.0 MB", "≤ 10.0 MB", "MISSED"),
            (
                "Redis memory per pending job",
                "160 bytes",
                "≤ 175 bytes",
                "met",
            ),
        ] {
            let line = text
                .lines()
                .find(|l| l.contains(figure))
                .unwrap_or_else(|| panic!("no {figure} in\n{text}"));
            let cells: Vec<&str> = line.split('│').map(str::trim).collect();
            assert_eq!(cells[1..5], [figure, measured, target, verdict], "{line}");
        }
        assert!(text.contains("20000/20000"), "{text}");
        assert!(
            text.contains("0.45 / 1.20") && text.contains("0.35 / 1.60"),
            "{text}"
        );
    }
}
