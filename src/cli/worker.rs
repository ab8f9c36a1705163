//! `mlqd worker`: run jobs from one or more queues through a handler (`--exec`, `--http`
//! or `--builtin`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{GlobalArgs, queue_arg};
use crate::broker::Broker;
use crate::callback::CallbackSender;
use crate::job::QueueName;
use crate::reaper::{Reaper, ReaperConfig};
use crate::units::{duration_arg, size_arg};
use crate::worker::{Builtin, HandlerSpec, Worker, WorkerConfig, default_worker_id};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("handler").required(true).args(["builtin", "exec", "http"])))]
pub struct WorkerArgs {
    /// Queue to take jobs from (repeat, or separate with commas)
    #[arg(long, short, env = "MLQD_QUEUE", value_parser = queue_arg, value_delimiter = ',',
          default_value = "default")]
    pub queue: Vec<QueueName>,
    /// Jobs run at once
    #[arg(long, short, env = "MLQD_CONCURRENCY", default_value_t = 1, visible_alias = "workers",
          value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub concurrency: u32,
    /// A handler built into mlqd, for tests, demos and benchmarks
    #[arg(long, env = "MLQD_BUILTIN", value_parser = builtins())]
    pub builtin: Option<String>,
    /// Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines
    /// on stdin/stdout (split like a shell would, never run through one)
    #[arg(long, env = "MLQD_EXEC", value_name = "CMD")]
    pub exec: Option<String>,
    /// Run jobs by POSTing their payloads to a model server at URL
    #[arg(long, env = "MLQD_HTTP", value_name = "URL")]
    pub http: Option<String>,
    /// Lease length; renewed every third of it while the job runs
    #[arg(long, env = "MLQD_LEASE", value_parser = duration_arg, default_value = "30s")]
    pub lease: Duration,
    /// Execution limit for jobs that do not set their own
    #[arg(long, env = "MLQD_TIMEOUT", value_parser = duration_arg)]
    pub timeout: Option<Duration>,
    /// Largest result a handler may return
    #[arg(long, env = "MLQD_MAX_RESULT", value_parser = size_arg, default_value = "64MiB")]
    pub max_result: u64,
    /// Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the
    /// oldest chunks are trimmed and readers are told
    #[arg(long, env = "MLQD_MAX_STREAM", value_parser = size_arg, default_value = "16MiB")]
    pub max_stream: u64,
    /// Jobs per handler call (dynamic batching)
    #[arg(long, env = "MLQD_BATCH_SIZE", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch_size: u32,
    /// How long to wait for a batch to fill
    #[arg(long, env = "MLQD_BATCH_WAIT", value_parser = duration_arg, default_value = "0ms")]
    pub batch_wait: Duration,
    /// On SIGTERM/SIGINT, how long running jobs may finish before they are handed back
    #[arg(long, env = "MLQD_DRAIN_TIMEOUT", value_parser = duration_arg, default_value = "30s")]
    pub drain_timeout: Duration,
    /// How long a cancelled job's handler may go on before it is stopped
    #[arg(long, env = "MLQD_CANCEL_GRACE", value_parser = duration_arg, default_value = "5s")]
    pub cancel_grace: Duration,
    /// First retry delay; each further retry doubles it (×0.75–1.25 jitter)
    #[arg(long, env = "MLQD_RETRY_BACKOFF", value_parser = duration_arg, default_value = "1s")]
    pub retry_backoff: Duration,
    /// Longest retry delay
    #[arg(long, env = "MLQD_RETRY_BACKOFF_MAX", value_parser = duration_arg, default_value = "5m")]
    pub retry_backoff_max: Duration,
    /// Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)
    #[arg(long, env = "MLQD_NO_REAPER")]
    pub no_reaper: bool,
    /// Worker id (default host-pid-random)
    #[arg(long, env = "MLQD_WORKER_ID")]
    pub worker_id: Option<String>,
    /// Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>
    #[arg(long, env = "MLQD_CALLBACK_SECRET", hide_env_values = true)]
    pub callback_secret: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics
    #[arg(long, env = "MLQD_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue's
    /// totals (`trimmed`) and logged (0: no cap)
    #[arg(long, env = "MLQD_DEAD_MAX", default_value_t = crate::broker::DEFAULT_DEAD_MAX)]
    pub dead_max: u64,
    /// Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the
    /// dashboard, newest first (0: none); older ones stay readable by id until they expire
    #[arg(long, env = "MLQD_RECENT", default_value_t = crate::broker::DEFAULT_RECENT)]
    pub recent: u64,
    /// Stop claiming after this many failed jobs in a row (0 = never)
    #[arg(long, env = "MLQD_BREAKER_THRESHOLD", default_value_t = 5)]
    pub breaker_threshold: u32,
    /// How long claiming stops when the breaker opens, before one trial job
    #[arg(long, env = "MLQD_BREAKER_COOLDOWN", value_parser = duration_arg, default_value = "30s")]
    pub breaker_cooldown: Duration,
}

/// What each builtin handler does with a job: its contract, shown by `--help`, the man
/// pages and the README.
pub const BUILTIN_CONTRACTS: [(&str, &str); 5] = [
    (
        "echo",
        "returns the payload as the result, with its content type",
    ),
    (
        "sleep",
        r#"takes {"ms": N}: sleeps N ms, reporting progress about ten times, then returns the payload (a payload without "ms" fails for good)"#,
    ),
    (
        "fail",
        "always fails, retryably (the job is retried, then dead)",
    ),
    ("noop", "returns an empty result at once"),
    (
        "stream",
        r#"takes {"chunks": N, "ms": M}: emits N lines of output ("chunk 0", "chunk 1", …) M ms apart, then returns {"chunks": N}"#,
    ),
];

fn builtins() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        BUILTIN_CONTRACTS.map(|(name, does)| clap::builder::PossibleValue::new(name).help(does)),
    )
}

impl WorkerArgs {
    /// The engine's config from the flags.
    pub fn config(&self) -> WorkerConfig {
        let mut c = WorkerConfig::new(self.queue.clone());
        c.id = self.worker_id.clone().unwrap_or_else(default_worker_id);
        c.concurrency = self.concurrency as usize;
        c.lease = self.lease;
        c.timeout = self.timeout;
        c.max_result = self.max_result;
        c.max_stream = self.max_stream;
        c.batch_size = self.batch_size as usize;
        c.batch_wait = self.batch_wait;
        c.drain_timeout = self.drain_timeout;
        c.cancel_grace = self.cancel_grace;
        c.backoff = crate::broker::Backoff {
            base: self.retry_backoff,
            cap: self.retry_backoff_max,
        };
        c.breaker_threshold = self.breaker_threshold;
        c.breaker_cooldown = self.breaker_cooldown;
        c.callback_secret = self.callback_secret.clone();
        if let Ok(spec) = self.handler_spec() {
            c.handler_name = spec.name();
        }
        c
    }

    /// Which handler the flags name (exactly one of `--exec`, `--http`, `--builtin`).
    pub fn handler_spec(&self) -> crate::Result<HandlerSpec> {
        match (&self.exec, &self.http, &self.builtin) {
            (Some(cmd), None, None) => Ok(HandlerSpec::Exec(cmd.clone())),
            (None, Some(url), None) => Ok(HandlerSpec::Http(url.clone())),
            (None, None, Some(name)) => name
                .parse::<Builtin>()
                .map(HandlerSpec::Builtin)
                .map_err(crate::Error::Invalid),
            (None, None, None) => Err(crate::Error::invalid(
                "a worker needs a handler: --exec CMD, --http URL or --builtin NAME",
            )),
            _ => Err(crate::Error::invalid(
                "give only one of --exec, --http and --builtin",
            )),
        }
    }
}

/// Builds the handler the flags name, for `mlqd worker` and `mlqd up` (an exec handler
/// starts its processes here).
pub async fn handler_from_args(
    a: &WorkerArgs,
    config: &WorkerConfig,
) -> crate::Result<std::sync::Arc<dyn crate::worker::Handler>> {
    a.handler_spec()?.build(config).await
}

pub async fn run(g: &GlobalArgs, a: WorkerArgs) -> anyhow::Result<u8> {
    let mut config = super::broker_config(g);
    config.recent_cap = a.recent;
    config.dead_cap = a.dead_max;
    let broker = Broker::new(config)?;
    broker.check_server().await?;
    if let Some(w) = broker.eviction_warning().await {
        tracing::warn!("{w}");
    }
    let shutdown = super::shutdown_on_signals();
    run_worker(broker, &a, shutdown).await?;
    Ok(super::exit::OK)
}

/// Runs a worker as the flags describe (and, unless `--no-reaper`, the reaper beside it)
/// until `shutdown` fires and the worker has drained. `mlqd up` runs the same.
pub async fn run_worker(
    broker: Broker,
    a: &WorkerArgs,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    // /metrics stays up while the worker drains
    let metrics_stop = tokio_util::sync::CancellationToken::new();
    let _stop_metrics = metrics_stop.clone().drop_guard();
    if let Some(addr) = a.metrics_listen {
        crate::worker::metrics::serve_metrics(addr, broker.clone(), metrics_stop).await?;
    }
    let config = a.config();
    let handler = handler_from_args(a, &config).await?;
    let reaper = if a.no_reaper {
        None
    } else {
        let callbacks = CallbackSender::new(config.callback_secret.as_deref())?;
        let r = Reaper::new(broker.clone(), ReaperConfig::new(config.id.clone()))
            .with_callbacks(callbacks);
        Some(tokio::spawn(r.run(shutdown.clone())))
    };
    let worked = Worker::new(broker, config)
        .handler_arc(handler)
        .run(shutdown.clone())
        .await;
    shutdown.cancel();
    if let Some(r) = reaper {
        let _ = r.await;
    }
    worked?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn help_gives_every_builtins_contract() {
        let names: Vec<&str> = BUILTIN_CONTRACTS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, Builtin::NAMES, "one contract per builtin");
        let mut cmd = super::super::Cli::command();
        let help = cmd
            .find_subcommand_mut("worker")
            .unwrap()
            .render_long_help()
            .to_string();
        for (name, does) in BUILTIN_CONTRACTS {
            assert!(help.contains(&format!("- {name}:")), "{name} in:\n{help}");
            // clap wraps long help; compare without the line breaks
            let flat: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(does), "{does}");
        }
    }
}
