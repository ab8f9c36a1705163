//! The HTTP API: the router, its shared state and `serve`. `mlqd serve` runs it alone;
//! `mlqd up` embeds it next to a worker and the reaper, so nothing here is global except the
//! process's Prometheus recorder.
//!
//! One file per resource (`jobs`: submit, status, cancel; `result`, `payload`, `events`,
//! `stream`, `queues`, `browse`, `schedules`, `overview`, `dead`, `workers`, `health`), the
//! error shape in `error`, request reading in `extract`, the token, read-only and metrics
//! layers in `layers`, the accept loop in `server`, payload schemas in `schema`, the
//! OpenAPI document in `openapi` (with `openapi_rules`: what each parameter accepts, raw
//! bodies and event streams typed), and the web dashboard (`/ui`, its
//! files embedded) in `ui`. Every route is registered through `utoipa_axum::routes!`,
//! so the router and `/openapi.json` are built from the same list.
//!
//! Everything goes through [`Client`] (one shared, reconnecting Redis connection per
//! process, and one pub/sub subscription for every waiter: `?wait=` and SSE).

mod answers;
pub mod browse;
mod dead;
pub mod error;
mod events;
mod extract;
mod health;
mod jobs;
mod layers;
pub mod openapi;
mod openapi_rules;
pub mod overview;
mod payload;
mod queues;
mod result;
mod schedules;
pub mod schema;
mod server;
mod stream;
pub mod ui;
mod workers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{Method, StatusCode, Uri, header};
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::job::{self, QueueName};
pub use error::ApiError;
pub use schema::{PayloadSchema, Schemas};

/// Default request body limit (`--max-body`).
pub const DEFAULT_MAX_BODY: u64 = job::DEFAULT_MAX_PAYLOAD;
/// Default longest `?wait=` (`--max-wait`).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// Limits on waiting jobs (pending + scheduled + retry) per queue, from `--max-pending N`
/// and `--max-pending QUEUE=N`. A queue's own limit wins; 0 there means no limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaxPending {
    pub default: Option<u64>,
    pub per_queue: HashMap<QueueName, u64>,
}

impl MaxPending {
    /// The limit for one queue, if any.
    pub fn limit(&self, queue: &QueueName) -> Option<u64> {
        match self.per_queue.get(queue) {
            Some(0) => None,
            Some(n) => Some(*n),
            None => self.default.filter(|n| *n > 0),
        }
    }

    /// Parses `N` and `QUEUE=N` specs (the flag may repeat).
    pub fn from_specs(specs: &[String]) -> Result<Self> {
        let mut out = MaxPending::default();
        for spec in specs {
            let bad = || {
                Error::invalid(format!(
                    "invalid --max-pending {spec:?}: expected N or QUEUE=N (N a whole number)"
                ))
            };
            match spec.split_once('=') {
                Some((q, n)) => {
                    let q = QueueName::new(q.trim())?;
                    let n = n.trim().parse::<u64>().map_err(|_| bad())?;
                    out.per_queue.insert(q, n);
                }
                None => {
                    let n = spec.trim().parse::<u64>().map_err(|_| bad())?;
                    out.default = Some(n);
                }
            }
        }
        Ok(out)
    }
}

/// What the API allows, as plain values (the CLI turns flags into this).
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Bearer token every `/v1` route requires; None = open (loopback only, unless allowed).
    pub token: Option<String>,
    /// Bearer token `/metrics` requires; None = open.
    pub metrics_token: Option<String>,
    /// JSON Schemas of queues whose payloads are checked.
    pub schemas: Schemas,
    /// Largest request body (payloads included).
    pub max_body: u64,
    pub max_pending: MaxPending,
    /// Longest `?wait=` a request may ask for.
    pub max_wait: Duration,
    /// On shutdown, how long in-flight requests may finish before the server stops anyway.
    pub drain_timeout: Duration,
    /// Serve the web dashboard at `/ui` (`--no-ui` turns it off).
    pub ui: bool,
    /// `--ui-read-only`: every `/v1` action (a request that changes something, job
    /// submission aside) answers 403 `read_only`, and the dashboard shows no action.
    pub read_only: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            token: None,
            metrics_token: None,
            schemas: Schemas::default(),
            max_body: DEFAULT_MAX_BODY,
            max_pending: MaxPending::default(),
            max_wait: DEFAULT_MAX_WAIT,
            drain_timeout: Duration::from_secs(30),
            ui: true,
            read_only: false,
        }
    }
}

/// What every handler shares: one `Arc`, so a clone is one reference count. axum clones
/// the state for every `State` extractor and the guard layer, several times per request,
/// and on two worker threads each count is a cache line the threads pass back and forth:
/// as loose fields (the client's four `Arc`s, the config, the token, the throughput) a
/// clone and its drop touched eight counts.
#[derive(Clone)]
pub struct AppState(Arc<AppShared>);

/// The state behind [`AppState`].
pub struct AppShared {
    client: Client,
    config: ApiConfig,
    /// Fires when the server shuts down: waits and event streams end early.
    stopping: CancellationToken,
    /// Recent totals, for the overview's throughput (kept only while someone looks).
    throughput: Mutex<overview::Throughput>,
}

impl std::ops::Deref for AppState {
    type Target = AppShared;

    fn deref(&self) -> &AppShared {
        &self.0
    }
}

impl AppState {
    /// True when `/v1` routes want a bearer token (`--token`).
    pub fn wants_token(&self) -> bool {
        self.config.token.is_some()
    }

    /// State over a client (its broker's `op_timeout` bounds every Redis call a request
    /// makes, so keep it short for an API: about 1 s). The client's `max_payload` should be
    /// at least `config.max_body`.
    pub fn new(client: Client, config: ApiConfig) -> Self {
        Self::with_stopping(client, config, CancellationToken::new())
    }

    fn with_stopping(client: Client, config: ApiConfig, stopping: CancellationToken) -> Self {
        AppState(Arc::new(AppShared {
            client,
            config,
            stopping,
            throughput: Mutex::default(),
        }))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn config(&self) -> &ApiConfig {
        &self.config
    }
}

/// The `/v1` routes (bearer auth when a token is set).
fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jobs::submit))
        .routes(routes!(jobs::submit_batch))
        .routes(routes!(jobs::status, jobs::cancel))
        .routes(routes!(result::result))
        .routes(routes!(result::result_ext))
        .routes(routes!(payload::payload))
        .routes(routes!(events::events))
        .routes(routes!(stream::stream))
        .routes(routes!(overview::overview))
        .routes(routes!(queues::list))
        .routes(routes!(queues::get))
        .routes(routes!(queues::pause))
        .routes(routes!(queues::resume))
        .routes(routes!(queues::set_limits))
        .routes(routes!(browse::list))
        .routes(routes!(schedules::list))
        .routes(routes!(schedules::put, schedules::delete))
        .routes(routes!(dead::list, dead::purge))
        .routes(routes!(dead::requeue))
        .routes(routes!(workers::list))
}

/// Routes open without the API token: probes, metrics (own token), the OpenAPI document.
fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(openapi::openapi_json))
}

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    // install the recorder before the first request records anything
    let _ = crate::telemetry::prometheus();
    describe_metrics();
    let (v1, _) = v1_routes().split_for_parts();
    // the token, then read-only
    let v1 = v1.route_layer(layers::GuardLayer(state.clone()));
    let (public, _) = public_routes().split_for_parts();
    let mut app = v1.merge(public);
    if state.config.ui {
        app = app.merge(ui::routes());
    }
    app.fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(layers::ObserveLayer)
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` fires, then lets in-flight requests
/// finish (waits and event streams end at once) for up to the configured drain timeout.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // the same state, with the shutdown token: waits and event streams end when it fires
    let state =
        AppState::with_stopping(state.client.clone(), state.config.clone(), shutdown.clone());
    // the one pub/sub subscription, made now so the first waiter finds it live
    let _ = state.client.events();
    let drain = state.config.drain_timeout;
    // one router for every connection: built per connection, its route table cost about
    // 11 KB, held as long as the connection (2,000 parked `?wait=` requests held 20 MB)
    server::run(listener, router(state), shutdown, drain).await;
    Ok(())
}

/// Refuses to expose an open API: a non-loopback address needs a token, unless the
/// operator says `--allow-unauthenticated`.
pub fn check_exposure(
    addrs: &[SocketAddr],
    has_token: bool,
    allow_unauthenticated: bool,
) -> Result<()> {
    if has_token || allow_unauthenticated {
        return Ok(());
    }
    match addrs.iter().find(|a| !a.ip().to_canonical().is_loopback()) {
        Some(a) => Err(Error::invalid(format!(
            "refusing to serve without a token on non-loopback address {a}: set --token (or MLQD_TOKEN), or pass --allow-unauthenticated"
        ))),
        None => Ok(()),
    }
}

/// Compares a presented secret with the expected one in constant time.
fn token_matches(presented: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// True when the request carries `expected` as its bearer token (or none is required).
fn authorized(headers: &axum::http::HeaderMap, expected: Option<&str>) -> bool {
    match expected {
        None => true,
        Some(expected) => bearer(headers).is_some_and(|t| token_matches(t, expected)),
    }
}

/// Mutating `/v1` routes that stay open under `--ui-read-only`: posting jobs is what
/// applications do, not an operator's action, and the dashboard offers it nowhere.
const OPEN_WHEN_READ_ONLY: [&str; 2] = ["/v1/queues/{queue}/jobs", "/v1/queues/{queue}/jobs:batch"];

/// Whether `--ui-read-only` refuses a request to `route` (its template) with `method`:
/// everything that is not a read, unless listed in [`OPEN_WHEN_READ_ONLY`]. Routes added
/// later are refused until listed, so a new action cannot slip through.
pub fn refused_when_read_only(method: &Method, route: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !OPEN_WHEN_READ_ONLY.contains(&route)
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        format!("no route {}; see /openapi.json", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

fn describe_metrics() {
    metrics::describe_counter!(
        "mlqd_http_requests_total",
        "HTTP requests answered, by method, route and status"
    );
    metrics::describe_histogram!(
        "mlqd_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (to the response head), by method and route"
    );
    metrics::describe_counter!(
        "mlqd_jobs_enqueued_total",
        "Jobs created through the HTTP API, by queue"
    );
}

/// A bounded label for the method (custom methods would otherwise grow the label set).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route template as a `'static` label: the templates are the router's, a fixed
/// set, each leaked once. A metric label that is not `'static` is copied on every request.
fn route_label(route: &str) -> &'static str {
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    match seen.iter().find(|r| **r == route) {
        Some(r) => r,
        None => {
            let r: &'static str = Box::leak(route.to_owned().into_boxed_str());
            seen.push(r);
            r
        }
    }
}

/// The status code as a `'static` label (the ones the API answers with; others are copied).
fn status_label(status: StatusCode) -> metrics::SharedString {
    let s = match status.as_u16() {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        other => return metrics::SharedString::from(other.to_string()),
    };
    metrics::SharedString::const_str(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pending_specs() {
        let m = MaxPending::from_specs(&["100".into(), "gpu=5".into(), "vip=0".into()]).unwrap();
        let q = |s: &str| QueueName::new(s).unwrap();
        assert_eq!(m.limit(&q("default")), Some(100));
        assert_eq!(m.limit(&q("gpu")), Some(5));
        assert_eq!(m.limit(&q("vip")), None);
        assert!(MaxPending::from_specs(&["x".into()]).is_err());
        assert!(MaxPending::from_specs(&["bad name=3".into()]).is_err());
        assert_eq!(MaxPending::default().limit(&q("default")), None);
    }

    #[test]
    fn exposure_needs_a_token_off_loopback() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let lo6: SocketAddr = "[::1]:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(check_exposure(&[lo, lo6], false, false).is_ok());
        let err = check_exposure(&[any], false, false).unwrap_err();
        assert!(err.to_string().contains("--token"), "{err}");
        assert!(check_exposure(&[any], true, false).is_ok());
        assert!(check_exposure(&[any], false, true).is_ok());
    }

    #[test]
    fn read_only_refuses_every_action_but_posting_jobs() {
        for (m, route) in [
            (Method::POST, "/v1/queues/{queue}/pause"),
            (Method::POST, "/v1/queues/{queue}/resume"),
            (Method::DELETE, "/v1/jobs/{id}"),
            (Method::POST, "/v1/queues/{queue}/dead/requeue"),
            (Method::DELETE, "/v1/queues/{queue}/dead"),
            (Method::PUT, "/v1/queues/{queue}/limits"),
            (Method::PUT, "/v1/schedules/{name}"),
            (Method::DELETE, "/v1/schedules/{name}"),
            (Method::PATCH, "/v1/a/route/added/later"),
        ] {
            assert!(refused_when_read_only(&m, route), "{m} {route}");
        }
        for (m, route) in [
            (Method::GET, "/v1/queues"),
            (Method::HEAD, "/v1/jobs/{id}"),
            (Method::POST, "/v1/queues/{queue}/jobs"),
            (Method::POST, "/v1/queues/{queue}/jobs:batch"),
        ] {
            assert!(!refused_when_read_only(&m, route), "{m} {route}");
        }
    }

    #[test]
    fn bearer_tokens_are_checked() {
        let mut h = axum::http::HeaderMap::new();
        assert!(authorized(&h, None));
        assert!(!authorized(&h, Some("s3cret")));
        h.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(authorized(&h, Some("s3cret")));
        assert!(!authorized(&h, Some("s3cret2")));
        h.insert(header::AUTHORIZATION, "bearer  s3cret ".parse().unwrap());
        assert!(authorized(&h, Some("s3cret")));
        h.insert(header::AUTHORIZATION, "Basic s3cret".parse().unwrap());
        assert!(!authorized(&h, Some("s3cret")));
    }
}
