//! Prometheus metrics: one recorder per process (serve, worker and reaper may share a
//! process in `mlqd up`), installed on first use. Names follow `mlqd_<subject>_<unit>`;
//! labels stay bounded (queue, outcome, route, status — never a job id).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first call. None when
/// another recorder was installed first (e.g. by a library user).
pub fn prometheus() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the prometheus recorder; /metrics will be empty");
                None
            }
        })
        .clone()
}

/// The text exposition of every metric recorded so far.
pub fn render() -> String {
    prometheus().map(|h| h.render()).unwrap_or_default()
}
