//! Prometheus metrics: one recorder per process (serve, worker and reaper may share a
//! process in `mlqd up`), installed on first use. Names follow `mlqd_<subject>_<unit>`;
//! labels stay bounded (queue, outcome, route, status — never a job id).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first call. None when
/// another recorder was installed first (e.g. by a library user).
pub fn prometheus() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match builder().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the prometheus recorder; /metrics will be empty");
                None
            }
        })
        .clone()
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

/// The text exposition of every metric recorded so far.
pub fn render() -> String {
    prometheus().map(|h| h.render()).unwrap_or_default()
}
