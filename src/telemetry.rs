//! Prometheus metrics: one recorder per process (serve, worker and reaper may share a
//! process in `mlqd up`), installed on first use. Names follow `mlqd_<subject>_<unit>`;
//! labels stay bounded (queue, outcome, route, status — never a job id).

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::broker::Broker;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first call. None when
/// another recorder was installed first (e.g. by a library user).
pub fn prometheus() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match builder().install_recorder() {
            Ok(h) => {
                describe();
                keep_up(h.clone());
                Some(h)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the prometheus recorder; /metrics will be empty");
                None
            }
        })
        .clone()
}

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP: Duration = Duration::from_secs(5);

/// Folds histogram samples into buckets every few seconds. The recorder keeps every
/// sample until then (until a scrape, without this): a server nobody scrapes grew by
/// 8 bytes per request and sample, and allocated a sample block every few requests.
fn keep_up(handle: PrometheusHandle) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(async move {
                loop {
                    tokio::time::sleep(UPKEEP).await;
                    handle.run_upkeep();
                }
            });
        }
        Err(_) => tracing::debug!("no async runtime: histogram samples are folded at each scrape"),
    }
}

/// Durations (`*_seconds`) are histograms with these buckets (seconds), so they add up
/// across processes (summaries would not).
const SECONDS_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    120.0,
];

fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
        .unwrap_or_else(|_| PrometheusBuilder::new())
}

/// HELP lines for the metrics every role shares.
fn describe() {
    metrics::describe_gauge!(
        "mlqd_queue_depth",
        "Jobs per queue and state (pending, scheduled, active, retry, dead), read from Redis at scrape time"
    );
    metrics::describe_gauge!("mlqd_queue_paused", "1 while the queue is paused");
    metrics::describe_gauge!(
        "mlqd_queue_limit_max_active",
        "The queue's max_active limit (0: none)"
    );
    metrics::describe_gauge!(
        "mlqd_queue_limit_rate_per_second",
        "The queue's rate limit in starts per second (0: none)"
    );
    metrics::describe_gauge!(
        "mlqd_queue_limit_burst",
        "Starts the queue's rate limit lets save up (0: no rate limit)"
    );
    metrics::describe_counter!(
        "mlqd_queue_limit_held_total",
        "Claims of this worker that the queue's limits held back"
    );
    metrics::describe_gauge!("mlqd_workers", "Workers with a recent heartbeat");
    metrics::describe_gauge!(
        "mlqd_reaper_leader_present",
        "1 while some process holds the reaper leadership"
    );
    metrics::describe_gauge!(
        "mlqd_reaper_leader",
        "1 while this process leads the reapers"
    );
    metrics::describe_counter!(
        "mlqd_reaper_actions_total",
        "Reaper actions taken by this process, by action"
    );
}

/// The text exposition of every metric recorded so far.
pub fn render() -> String {
    prometheus().map(|h| h.render()).unwrap_or_default()
}

/// How often the shared-state gauges may be read from Redis; scrapes closer together get
/// the values of the last read (so a scrape storm costs Redis nothing more).
const GAUGE_REFRESH: Duration = Duration::from_secs(1);
/// A worker whose last heartbeat is older than this is not counted in `mlqd_workers`
/// (the reaper's default worker timeout).
const WORKER_ALIVE: Duration = Duration::from_secs(10);
/// The longest a scrape waits for Redis before it serves the last values it has.
const GAUGE_BUDGET: Duration = Duration::from_secs(1);

static LAST_REFRESH: Mutex<Option<(String, Instant)>> = Mutex::new(None);

/// Refreshes the gauges that describe state shared by every process (read from Redis, not
/// counted locally), right before `/metrics` renders them:
/// - `mlqd_queue_depth{queue,state}`: jobs per queue in pending, scheduled, active,
///   retry and dead;
/// - `mlqd_queue_paused{queue}`: 1 while the queue is paused;
/// - `mlqd_queue_limit_max_active{queue}`, `mlqd_queue_limit_rate_per_second{queue}`,
///   `mlqd_queue_limit_burst{queue}`: the queue's limits (0 where none is set);
/// - `mlqd_workers`: workers whose heartbeat is recent;
/// - `mlqd_reaper_leader_present`: 1 while some process holds the reaper leadership.
///
/// Read on scrape rather than by a background task: the numbers are as fresh as the
/// scrape, nothing runs when nobody scrapes, and a process without `/metrics` never reads
/// them. Redis errors are logged and leave the last values in place.
pub async fn refresh_gauges(broker: &Broker) {
    let ns = broker.keys().namespace().to_string();
    {
        let mut last = LAST_REFRESH.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((n, at)) = last.as_ref()
            && *n == ns
            && at.elapsed() < GAUGE_REFRESH
        {
            return;
        }
        *last = Some((ns, Instant::now()));
    }
    match tokio::time::timeout(GAUGE_BUDGET, read_gauges(broker)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "could not refresh queue gauges"),
        Err(_) => tracing::debug!("queue gauges: redis did not answer in time"),
    }
}

async fn read_gauges(broker: &Broker) -> crate::Result<()> {
    for q in broker.queue_names().await? {
        let s = broker.queue_stats(&q).await?;
        for (state, n) in [
            ("pending", s.pending),
            ("scheduled", s.scheduled),
            ("active", s.active),
            ("retry", s.retry),
            ("dead", s.dead),
        ] {
            metrics::gauge!("mlqd_queue_depth", "queue" => s.queue.clone(), "state" => state)
                .set(n as f64);
        }
        metrics::gauge!("mlqd_queue_paused", "queue" => s.queue.clone()).set(if s.paused {
            1.0
        } else {
            0.0
        });
        let l = s.limits.clone().unwrap_or_default();
        let rate = l
            .rate
            .as_deref()
            .and_then(|r| r.parse::<crate::limits::Rate>().ok())
            .map_or(0.0, |r| r.per_second());
        for (name, value) in [
            (
                "mlqd_queue_limit_max_active",
                l.max_active.unwrap_or(0) as f64,
            ),
            ("mlqd_queue_limit_rate_per_second", rate),
            ("mlqd_queue_limit_burst", l.burst.unwrap_or(0) as f64),
        ] {
            metrics::gauge!(name, "queue" => s.queue.clone()).set(value);
        }
    }
    let now = broker.time_ms().await?;
    let alive = broker
        .workers()
        .await?
        .iter()
        .filter(|w| now - w.seen_ms <= WORKER_ALIVE.as_millis() as i64)
        .count();
    metrics::gauge!("mlqd_workers").set(alive as f64);
    let leader = broker.leader().await?;
    metrics::gauge!("mlqd_reaper_leader_present").set(if leader.is_some() { 1.0 } else { 0.0 });
    Ok(())
}
