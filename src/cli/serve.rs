//! `mlqd serve`: the HTTP API, `/metrics` and health probes.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::GlobalArgs;
use crate::api::{self, ApiConfig, AppState, MaxPending, Schemas};
use crate::client::{Client, ClientConfig};
use crate::error::Error;
use crate::units::{duration_arg, size_arg};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed)
    #[arg(long, env = "MLQD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Bearer token every /v1 route requires (/healthz and /readyz stay open)
    #[arg(long, env = "MLQD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Bearer token /metrics requires (open when unset)
    #[arg(long, env = "MLQD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Serve a non-loopback address without --token (anyone who reaches it can post jobs)
    #[arg(long, env = "MLQD_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,
    /// QUEUE=FILE: check that queue's payloads against the JSON Schema in FILE (repeat)
    #[arg(long, env = "MLQD_SCHEMA", value_delimiter = ',')]
    pub schema: Vec<String>,
    /// Largest request body (payload) accepted (413 over it)
    #[arg(long, env = "MLQD_MAX_BODY", value_parser = size_arg, default_value = "16MiB")]
    pub max_body: u64,
    /// N or QUEUE=N: most waiting jobs (pending + scheduled + retry) a queue may hold
    /// before posts get 429; QUEUE=0 lifts the limit for one queue (repeat)
    #[arg(long, env = "MLQD_MAX_PENDING", value_delimiter = ',')]
    pub max_pending: Vec<String>,
    /// Longest ?wait= a request may ask for
    #[arg(long, env = "MLQD_MAX_WAIT", value_parser = duration_arg, default_value = "5m")]
    pub max_wait: Duration,
    /// On SIGTERM/SIGINT, how long in-flight requests may finish
    #[arg(long, env = "MLQD_DRAIN_TIMEOUT", value_parser = duration_arg, default_value = "30s")]
    pub drain_timeout: Duration,
    /// Do not serve the web dashboard at /ui
    #[arg(long, env = "MLQD_NO_UI")]
    pub no_ui: bool,
    /// Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets
    /// 403; reads and job submissions still work
    #[arg(long, env = "MLQD_UI_READ_ONLY")]
    pub ui_read_only: bool,
    /// Longest wait for one Redis answer; past it a request gets 503
    #[arg(long, env = "MLQD_REDIS_TIMEOUT", value_parser = duration_arg, default_value = "1s")]
    pub redis_timeout: Duration,
    /// Cancelled jobs per queue kept listable (GET /v1/queues/{queue}/jobs?state=cancelled),
    /// newest first (0: none)
    #[arg(long, env = "MLQD_RECENT", default_value_t = crate::broker::DEFAULT_RECENT)]
    pub recent: u64,
}

/// A token must be non-empty visible ASCII (it travels in a header).
fn check_token(flag: &str, token: &Option<String>) -> Result<(), Error> {
    match token {
        Some(t) if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) => Err(Error::invalid(
            format!("{flag} must be non-empty visible ASCII without spaces"),
        )),
        _ => Ok(()),
    }
}

impl ServeArgs {
    /// The API's config from the flags (schemas are read and compiled here).
    pub fn config(&self) -> Result<ApiConfig, Error> {
        check_token("--token", &self.token)?;
        check_token("--metrics-token", &self.metrics_token)?;
        if self.redis_timeout < Duration::from_millis(50) {
            return Err(Error::invalid("--redis-timeout must be at least 50ms"));
        }
        Ok(ApiConfig {
            token: self.token.clone(),
            metrics_token: self.metrics_token.clone(),
            schemas: Schemas::from_specs(&self.schema)?,
            max_body: self.max_body,
            max_pending: MaxPending::from_specs(&self.max_pending)?,
            max_wait: self.max_wait,
            drain_timeout: self.drain_timeout,
            ui: !self.no_ui,
            read_only: self.ui_read_only,
        })
    }
}

/// The addresses a `--listen` value names (a bad one is a usage error).
pub async fn resolve_listen(listen: &str) -> Result<Vec<SocketAddr>, Error> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(listen)
        .await
        .map_err(|e| Error::invalid(format!("invalid --listen {listen:?}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::invalid(format!(
            "--listen {listen:?} resolves to no address"
        )));
    }
    Ok(addrs)
}

pub async fn run(g: &GlobalArgs, a: ServeArgs) -> anyhow::Result<u8> {
    let config = a.config()?;
    let addrs = resolve_listen(&a.listen).await?;
    api::check_exposure(&addrs, config.token.is_some(), a.allow_unauthenticated)?;
    let mut broker = super::broker_config(g);
    broker.op_timeout = a.redis_timeout;
    broker.recent_cap = a.recent;
    let client = Client::new(ClientConfig {
        broker,
        max_payload: a.max_body,
    })?;
    let listener = tokio::net::TcpListener::bind(&addrs[..])
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let local = listener.local_addr().context("reading the bound address")?;
    if config.token.is_none() && !local.ip().to_canonical().is_loopback() {
        tracing::warn!(address = %local, "serving WITHOUT a token on a non-loopback address (--allow-unauthenticated)");
    }
    client.broker().check_server().await?;
    if let Some(w) = client.broker().eviction_warning().await {
        tracing::warn!("{w}");
    }
    let schemas: Vec<&str> = a.schema.iter().map(String::as_str).collect();
    tracing::info!(address = %local, auth = config.token.is_some(), schemas = ?schemas,
        ui = config.ui, read_only = config.read_only, "serving the HTTP API");
    let shutdown = super::shutdown_on_signals();
    // the one line a script (or a test) reads to find a port-0 server
    let _ = super::output::line(format_args!("mlqd serve listening on http://{local}"));
    api::serve(listener, AppState::new(client, config), shutdown)
        .await
        .context("serving HTTP")?;
    tracing::info!("http server stopped");
    Ok(super::exit::OK)
}
