//! `mlqd reaper`: leader-elected maintenance only (safe to run many; one leads).

use std::time::Duration;

use clap::Args;

use super::GlobalArgs;
use crate::broker::Broker;
use crate::callback::CallbackSender;
use crate::reaper::{Reaper, ReaperConfig};
use crate::units::duration_arg;

#[derive(Debug, Clone, Args)]
pub struct ReaperArgs {
    /// How often the duties run
    #[arg(long, env = "MLQD_INTERVAL", value_parser = duration_arg, default_value = "1s")]
    pub interval: Duration,
    /// Leader lock lifetime; another reaper takes over within it when the leader dies
    #[arg(long, env = "MLQD_LEADER_TTL", value_parser = duration_arg, default_value = "10s")]
    pub leader_ttl: Duration,
    /// A worker silent this long is gone and its running jobs are requeued at once
    #[arg(long, env = "MLQD_WORKER_TIMEOUT", value_parser = duration_arg, default_value = "10s")]
    pub worker_timeout: Duration,
    /// How often the invariant sweep runs (it reads every live job, so not too often)
    #[arg(long, env = "MLQD_SWEEP_INTERVAL", value_parser = duration_arg, default_value = "10m")]
    pub sweep_interval: Duration,
    /// How long dead jobs are kept
    #[arg(long, env = "MLQD_DEAD_RETENTION", value_parser = duration_arg, default_value = "7d")]
    pub dead_retention: Duration,
    /// Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue's
    /// totals (`trimmed`) and logged (0: no cap)
    #[arg(long, env = "MLQD_DEAD_MAX", default_value_t = crate::broker::DEFAULT_DEAD_MAX)]
    pub dead_max: u64,
    /// Sign the callbacks of jobs the reaper buries: X-Mlqd-Signature: sha256=<HMAC>
    #[arg(long, env = "MLQD_CALLBACK_SECRET")]
    pub callback_secret: Option<String>,
    /// Serve Prometheus metrics (leadership, reaper actions, queue depth) at http://ADDR/metrics
    #[arg(long, env = "MLQD_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl ReaperArgs {
    /// The engine's config from the flags.
    pub fn config(&self, id: String) -> Result<ReaperConfig, crate::Error> {
        if self.leader_ttl < Duration::from_millis(300) {
            return Err(crate::Error::invalid("--leader-ttl must be at least 300ms"));
        }
        if self.interval < Duration::from_millis(10) {
            return Err(crate::Error::invalid("--interval must be at least 10ms"));
        }
        let mut c = ReaperConfig::new(id);
        c.interval = self.interval;
        c.leader_ttl = self.leader_ttl;
        c.worker_timeout = self.worker_timeout;
        c.sweep_interval = self.sweep_interval;
        c.dead_retention = self.dead_retention;
        Ok(c)
    }
}

/// `reaper-<host>-<pid>-<rand>`.
pub fn reaper_id() -> String {
    format!("reaper-{}", crate::worker::default_worker_id())
}

pub async fn run(g: &GlobalArgs, a: ReaperArgs) -> anyhow::Result<u8> {
    let config = a.config(reaper_id())?;
    let mut broker_config = super::broker_config(g);
    broker_config.dead_cap = a.dead_max;
    let broker = Broker::new(broker_config)?;
    broker.check_server().await?;
    if let Some(w) = broker.eviction_warning().await {
        tracing::warn!("{w}");
    }
    let metrics_stop = tokio_util::sync::CancellationToken::new();
    let _stop_metrics = metrics_stop.clone().drop_guard();
    if let Some(addr) = a.metrics_listen {
        crate::worker::metrics::serve_metrics(addr, broker.clone(), metrics_stop).await?;
    }
    tracing::info!(id = %config.id, "reaper started");
    let shutdown = super::shutdown_on_signals();
    let callbacks = CallbackSender::new(a.callback_secret.as_deref())?;
    Reaper::new(broker, config)
        .with_callbacks(callbacks.clone())
        .run(shutdown)
        .await;
    callbacks.flush(Duration::from_secs(10)).await;
    Ok(super::exit::OK)
}
