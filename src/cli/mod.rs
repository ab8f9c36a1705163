//! The `mlqd` command line: one file per subcommand (its `Args` and `run`), plus `exit`
//! (errors → exit codes), `output` (tables, JSON, progress bars) and `follow` (a job's
//! streamed output on the terminal). clap and anyhow stay
//! in this module; the engine sees plain config structs.

pub mod bench;
pub mod cancel;
pub mod completions;
pub mod cron;
pub mod dlq;
pub mod exit;
mod follow;
pub mod jobs;
pub mod man;
mod managed_redis;
pub mod output;
pub mod post;
pub mod queues;
pub mod reaper;
pub mod result;
pub mod serve;
pub mod status;
pub mod top;
pub mod up;
pub mod worker;
pub mod workers;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use crate::broker::{BrokerConfig, TlsFiles};
use crate::client::{Client, ClientConfig};
use crate::job::{JobId, QueueName};

/// mlqd: a distributed job queue for machine-learning work, backed by Redis.
#[derive(Debug, Parser)]
#[command(name = "mlqd", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes (shown under their own heading in every command's help).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Redis URL: redis:// or rediss:// (TLS) for one server,
    /// redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a
    /// Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when
    /// there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is
    /// given]
    #[arg(long, global = true, env = "MLQD_REDIS_URL")]
    pub redis_url: Option<String>,
    /// PEM CA certificate to trust for TLS, in addition to the system roots
    #[arg(long, global = true, env = "MLQD_REDIS_CA", value_name = "FILE")]
    pub redis_ca: Option<PathBuf>,
    /// PEM client certificate to present (mutual TLS; with --redis-key)
    #[arg(long, global = true, env = "MLQD_REDIS_CERT", value_name = "FILE")]
    pub redis_cert: Option<PathBuf>,
    /// PEM private key of --redis-cert
    #[arg(long, global = true, env = "MLQD_REDIS_KEY", value_name = "FILE")]
    pub redis_key: Option<PathBuf>,
    /// Key prefix, so several mlqd setups can share one Redis
    #[arg(long, global = true, env = "MLQD_NAMESPACE", default_value = "mlqd")]
    pub namespace: String,
    /// Log format on stderr
    #[arg(long, global = true, env = "MLQD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log level filter (e.g. `info`, `debug`, `mlqd=debug`)
    #[arg(long, global = true, env = "MLQD_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Post a job and print its id
    Post(post::PostArgs),
    /// Show a job's state, progress, attempts and history
    Status(status::StatusArgs),
    /// Write a finished job's result bytes
    Result(result::ResultArgs),
    /// Cancel a pending or running job
    Cancel(cancel::CancelArgs),
    /// List, requeue or purge dead jobs
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// Show every queue's counts and limits; set limits (`queues limit`)
    Queues(queues::QueuesArgs),
    /// List a queue's jobs in one state, a page at a time
    Jobs(jobs::JobsArgs),
    /// Periodic jobs: set, list or remove schedules
    #[command(subcommand)]
    Cron(cron::CronCommand),
    /// Serve the HTTP API, /metrics and health probes
    Serve(serve::ServeArgs),
    /// Run jobs
    Worker(worker::WorkerArgs),
    /// Run the leader-elected maintenance only (lost jobs, due jobs, retention)
    Reaper(reaper::ReaperArgs),
    /// One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process
    Up(up::UpArgs),
    /// Show the live workers
    Workers(workers::WorkersArgs),
    /// Live view of queues, workers, throughput and the reaper leader
    #[command(long_about = top::LONG_ABOUT)]
    Top(top::TopArgs),
    /// Load generator: enqueue and drain throughput, start latency, Redis cost per job
    Bench(bench::BenchArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Print the manual page, or write every page with --dir
    Man(man::ManArgs),
}

/// Sets up `tracing` on stderr, as text or one JSON object per line.
pub fn init_tracing(global: &GlobalArgs) {
    let mut filter = tracing_subscriber::EnvFilter::try_new(&global.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // redis-rs logs every reconnection attempt of its cluster client; mlqd says what
    // matters itself (one line for an unreachable Redis). `--log-level info,redis=warn`
    // brings them back.
    if !global.log_level.contains("redis")
        && let Ok(quiet) = "redis=off".parse()
    {
        filter = filter.add_directive(quiet);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match global.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs the command and turns its end into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    // `mlqd worker` runs handlers that are other processes (exec), other servers (http) or
    // trivial (builtin): one thread keeps up, and each thread costs memory (its stack and a
    // malloc arena: ~0.8 MB of a draining worker's RSS). The other commands use two.
    let threads = match cli.command {
        Command::Worker(_) => 1,
        _ => 2,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mlqd: error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // The command runs as a task on a worker thread, like the connection tasks it talks to:
    // a Redis reply then wakes it on the thread that read the reply. Run on this (main)
    // thread instead, every round trip crossed threads twice (`perf stat` of one-at-a-time
    // posts: 5.4 context switches per round trip; as a task: 1.0).
    let outcome = runtime.block_on(async {
        match tokio::spawn(dispatch(cli)).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(anyhow::anyhow!("the command stopped: {e}")),
        }
    });
    // don't wait for background tasks (subscriptions) to notice
    runtime.shutdown_timeout(Duration::from_millis(100));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => exit::report(&err),
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let mut g = cli.global;
    let mut url_file = None;
    // `up` decides its own Redis; completions and man pages need none
    let needs_redis = !matches!(
        cli.command,
        Command::Up(_) | Command::Completions(_) | Command::Man(_)
    );
    if needs_redis
        && g.redis_url.is_none()
        && let Some((url, path)) = url_of_up()
    {
        tracing::debug!(
            url = %crate::broker::redact(&url),
            file = %path.display(),
            "no --redis-url or MLQD_REDIS_URL given: using the Redis that `mlqd up` runs for this directory"
        );
        g.redis_url = Some(url);
        url_file = Some(path);
    }
    let outcome = run_command(&g, cli.command).await;
    match (outcome, url_file) {
        (Err(e), Some(path)) if is_unavailable(&e) => Err(e.context(format!(
            "the Redis URL came from {} (written by `mlqd up`; is it still running?)",
            path.display()
        ))),
        (outcome, _) => outcome,
    }
}

fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<crate::Error>())
        .any(crate::Error::is_unavailable)
}

/// The URL `mlqd up` wrote to ./.mlqd/redis.url, with the file's path, when there is one.
fn url_of_up() -> Option<(String, PathBuf)> {
    let path = Path::new(DEFAULT_DATA_DIR).join(managed_redis::URL_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let url = text.trim();
    if !url.starts_with("redis://") {
        tracing::warn!(file = %path.display(), "ignoring a redis.url that holds no redis:// URL");
        return None;
    }
    Some((url.to_string(), path))
}

async fn run_command(g: &GlobalArgs, command: Command) -> anyhow::Result<u8> {
    let g = g.clone();
    match command {
        Command::Post(a) => post::run(&g, a).await,
        Command::Status(a) => status::run(&g, a).await,
        Command::Result(a) => result::run(&g, a).await,
        Command::Cancel(a) => cancel::run(&g, a).await,
        Command::Dlq(a) => dlq::run(&g, a).await,
        Command::Queues(a) => queues::run(&g, a).await,
        Command::Jobs(a) => jobs::run(&g, a).await,
        Command::Cron(a) => cron::run(&g, a).await,
        Command::Serve(a) => serve::run(&g, a).await,
        Command::Worker(a) => worker::run(&g, a).await,
        Command::Reaper(a) => reaper::run(&g, a).await,
        Command::Up(a) => up::run(&g, a).await,
        Command::Workers(a) => workers::run(&g, a).await,
        Command::Top(a) => top::run(&g, a).await,
        Command::Bench(a) => bench::run(&g, a).await,
        Command::Completions(a) => completions::run(&g, a).await,
        Command::Man(a) => man::run(&g, a).await,
    }
}

impl GlobalArgs {
    /// The Redis URL given, or the default.
    pub fn redis_url(&self) -> String {
        self.redis_url
            .clone()
            .unwrap_or_else(|| DEFAULT_REDIS_URL.to_string())
    }

    /// The TLS files given (for the rediss forms).
    pub fn tls(&self) -> TlsFiles {
        TlsFiles {
            ca: self.redis_ca.clone(),
            cert: self.redis_cert.clone(),
            key: self.redis_key.clone(),
        }
    }
}

pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// Where `mlqd up` keeps its managed Redis's data and URL by default; every other command,
/// given no URL, reads the URL there.
pub const DEFAULT_DATA_DIR: &str = "./.mlqd";

/// Which Redis and namespace a command read, for messages about finding nothing there.
pub fn read_from(g: &GlobalArgs) -> String {
    format!(
        "{} (namespace {})",
        crate::broker::redact(&g.redis_url()),
        g.namespace
    )
}

/// The broker settings the global flags describe.
pub fn broker_config(g: &GlobalArgs) -> BrokerConfig {
    let mut config = BrokerConfig::new(g.redis_url(), g.namespace.clone());
    config.tls = g.tls();
    config
}

/// A client from the global flags.
pub fn client(g: &GlobalArgs) -> anyhow::Result<Client> {
    Ok(Client::new(ClientConfig {
        broker: broker_config(g),
        max_payload: crate::job::DEFAULT_MAX_PAYLOAD,
    })?)
}

/// clap value parser for queue names.
pub fn queue_arg(s: &str) -> Result<QueueName, String> {
    QueueName::new(s).map_err(|e| e.to_string())
}

/// clap value parser for job ids.
pub fn job_id_arg(s: &str) -> Result<JobId, String> {
    s.parse::<JobId>().map_err(|e| e.to_string())
}

/// A token that fires on SIGTERM or SIGINT (Ctrl-C). The handlers are in place when this
/// returns (a signal that arrives right after, e.g. once a banner is printed, is caught).
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::spawn(async move {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
                        _ = int.recv() => tracing::info!("SIGINT received; shutting down"),
                    }
                    t.cancel();
                });
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM/SIGINT");
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    t.cancel();
                });
            }
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        t.cancel();
    });
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_reads_an_mlqd_env_var() {
        fn walk(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if arg.is_positional() || matches!(id, "help" | "version") {
                    continue;
                }
                let env = arg
                    .get_env()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let long = arg.get_long().unwrap_or(id);
                let expected = format!("MLQD_{}", long.to_uppercase().replace('-', "_"));
                assert_eq!(env, expected, "{path} --{long}");
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        walk(&Cli::command(), "mlqd");
    }
}
