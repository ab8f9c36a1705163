//! What `mlqd bench` reports: the figures of each run, and each target of issue 11 judged
//! against them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Serial;

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
