//! `mlqd up`: the one-machine mode. A managed `redis-server` child (unless `--redis-url`
//! is given), the HTTP API, a worker and the reaper in one process; Ctrl-C stops them in
//! order: the API stops taking requests, the worker drains, the reaper lets go of its
//! lock, Redis writes its AOF and exits.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::managed_redis::ManagedRedis;
use super::worker::WorkerArgs;
use super::{GlobalArgs, output};
use crate::api::{self, ApiConfig, AppState, MaxPending, Schemas};
use crate::broker::Broker;
use crate::client::{Client, ClientConfig};

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Address of the HTTP API
    #[arg(long, env = "MLQD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Bearer token required on /v1 routes (needed to listen beyond loopback)
    #[arg(long, env = "MLQD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Listen beyond loopback without a token (say you mean it)
    #[arg(long, env = "MLQD_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,
    /// Do not serve the web dashboard at /ui
    #[arg(long, env = "MLQD_NO_UI")]
    pub no_ui: bool,
    /// Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets
    /// 403; reads and job submissions still work
    #[arg(long, env = "MLQD_UI_READ_ONLY")]
    pub ui_read_only: bool,
    /// Where the managed Redis keeps its data (AOF) and its URL (redis.url, which other
    /// mlqd commands run from this directory read); ignored with --redis-url
    #[arg(long, env = "MLQD_DATA_DIR", default_value = super::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Port for the managed Redis on its first start (later starts keep the port of the last
    /// one); a free port when it is taken
    #[arg(long, env = "MLQD_REDIS_PORT", default_value_t = 6379)]
    pub redis_port: u16,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

pub async fn run(g: &GlobalArgs, a: UpArgs) -> anyhow::Result<u8> {
    let addrs = super::serve::resolve_listen(&a.listen).await?;
    api::check_exposure(&addrs, a.token.is_some(), a.allow_unauthenticated)?;
    let managed = match &g.redis_url {
        Some(_) => None,
        None => Some(ManagedRedis::start(&a.data_dir, a.redis_port).await?),
    };
    let url = match &managed {
        Some(m) => m.url.clone(),
        None => g.redis_url(),
    };
    let result = run_all(g, &a, &addrs, &url, managed.as_ref()).await;
    if let Some(m) = managed {
        m.stop().await;
        tracing::info!("managed redis stopped");
    }
    result
}

async fn run_all(
    g: &GlobalArgs,
    a: &UpArgs,
    addrs: &[SocketAddr],
    url: &str,
    managed: Option<&ManagedRedis>,
) -> anyhow::Result<u8> {
    let mut cfg = super::broker_config(g);
    cfg.redis_url = url.to_string();
    cfg.recent_cap = a.worker.recent;
    cfg.dead_cap = a.worker.dead_max;
    let broker = Broker::new(cfg.clone())?;
    broker.check_server().await?;
    if let Some(w) = broker.eviction_warning().await {
        tracing::warn!("{w}");
    }
    let mut api_broker = cfg;
    api_broker.op_timeout = std::time::Duration::from_secs(1);
    let client = Client::new(ClientConfig {
        broker: api_broker,
        max_payload: crate::job::DEFAULT_MAX_PAYLOAD,
    })?;
    let config = ApiConfig {
        token: a.token.clone(),
        metrics_token: None,
        schemas: Schemas::from_specs(&[])?,
        max_body: crate::job::DEFAULT_MAX_PAYLOAD,
        max_pending: MaxPending::from_specs(&[])?,
        max_wait: std::time::Duration::from_secs(300),
        drain_timeout: a.worker.drain_timeout,
        ui: !a.no_ui,
        read_only: a.ui_read_only,
    };
    let listener = tokio::net::TcpListener::bind(addrs)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let local = listener.local_addr().context("reading the bound address")?;

    // The banner is for people; nobody reading it (stdout closed) must not stop `up`.
    let _ = output::line(format_args!("mlqd up: API    http://{local}"));
    if !a.no_ui {
        let _ = output::line(format_args!("mlqd up: UI     http://{local}/ui"));
    }
    let _ = output::line(format_args!(
        "mlqd up: Redis  {}",
        crate::broker::redact(url)
    ));
    if let Some(m) = managed {
        let _ = output::line(format_args!("mlqd up: data   {}", m.dir.display()));
        if let Some(old) = &m.moved_from {
            let _ = output::line(format_args!(
                "mlqd up: NOTE   Redis moved from {old} (its port is taken): update MLQD_REDIS_URL wherever you exported it"
            ));
        }
        if m.url != super::DEFAULT_REDIS_URL {
            let found_here = std::path::Path::new(super::DEFAULT_DATA_DIR)
                .canonicalize()
                .is_ok_and(|d| d == m.dir);
            if found_here {
                let _ = output::line(format_args!(
                    "mlqd up: mlqd commands run from this directory find this Redis ({}/{}); elsewhere:",
                    super::DEFAULT_DATA_DIR,
                    super::managed_redis::URL_FILE,
                ));
            } else {
                let _ = output::line("mlqd up: other mlqd commands need:");
            }
            let _ = output::line(format_args!("mlqd up:   export MLQD_REDIS_URL={}", m.url));
        }
    }
    let shutdown = super::shutdown_on_signals();
    let _ = output::line(format_args!("mlqd up: Ctrl-C stops everything"));

    let http = tokio::spawn(api::serve(
        listener,
        AppState::new(client, config),
        shutdown.clone(),
    ));
    let worked = super::worker::run_worker(broker, &a.worker, shutdown.clone()).await;
    shutdown.cancel();
    match http.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "http server stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "http server task failed"),
    }
    worked?;
    Ok(super::exit::OK)
}
