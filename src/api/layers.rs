//! What every request passes through: on `/v1`, the bearer token and `--ui-read-only`
//! ([`GuardLayer`]); on every route, metrics, a debug line and a JSON 500 for a panicking
//! handler ([`ObserveLayer`]).
//!
//! Plain tower services rather than `middleware::from_fn`: a `from_fn` layer boxes a future
//! that keeps room for the whole request (several hundred bytes, three times over), held as
//! long as the request runs, and a parked `?wait=` request runs for minutes. These futures
//! add a few words to the handler's.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use futures::future::{CatchUnwind, Either};
use tower_layer::Layer;
use tower_service::Service;

use super::{ApiError, AppState, authorized, refused_when_read_only};

/// Refuses a `/v1` request without the API token (401), then, under `--ui-read-only`,
/// one that would change something (403).
#[derive(Clone)]
pub(super) struct GuardLayer(pub(super) AppState);

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            state: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub(super) struct Guard<S> {
    inner: S,
    state: AppState,
}

/// The answer refusing `req`, if it is refused.
fn refusal(state: &AppState, req: &Request) -> Option<Response> {
    if !authorized(req.headers(), state.config.token.as_deref()) {
        return Some(ApiError::unauthorized().into_response());
    }
    if state.config.read_only {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str())
            .unwrap_or("");
        if refused_when_read_only(req.method(), route) {
            return Some(ApiError::read_only().into_response());
        }
    }
    None
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match refusal(&self.state, &req) {
            Some(res) => Either::Left(ready(Ok(res))),
            None => Either::Right(self.inner.call(req)),
        }
    }
}

/// Metrics and a debug log line for every request; a panicking handler becomes a JSON 500
/// instead of a dropped connection.
#[derive(Clone)]
pub(super) struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner }
    }
}

#[derive(Clone)]
pub(super) struct Observe<S> {
    inner: S,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| super::route_label(p.as_str()));
        let method = super::method_label(req.method());
        Observed {
            inner: AssertUnwindSafe(self.inner.call(req)).catch_unwind(),
            route,
            method,
            start: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer, recorded when it comes.
    pub(super) struct Observed<F> {
        #[pin]
        inner: CatchUnwind<AssertUnwindSafe<F>>,
        route: &'static str,
        method: &'static str,
        start: Instant,
    }
}

impl<F> Future for Observed<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = match std::task::ready!(this.inner.poll(cx)) {
            Ok(Ok(res)) => res,
            Ok(Err(never)) => match never {},
            Err(_) => {
                tracing::error!(route = %this.route, "request handler panicked");
                ApiError::internal().into_response()
            }
        };
        record(this.method, this.route, res.status(), this.start.elapsed());
        Poll::Ready(Ok(res))
    }
}

/// The metric handles of one (method, route, status): looking a labelled metric up in the
/// recorder builds its key (a label list), hashes it and takes a read lock on the registry
/// that both worker threads share, on every request.
struct Handles {
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

/// Handles per worker thread (no lock between threads), by method, the route label's
/// address (each template is leaked once, see `route_label`: its address is the template,
/// and hashing it costs less than hashing its text) and status. The labels are the
/// router's fixed set, so this stays small. [`super::router`] installs the recorder before
/// the first request, so no handle outlives a recorder change.
type HandleCache = std::collections::HashMap<(&'static str, usize, u16), Handles>;

thread_local! {
    static HANDLES: std::cell::RefCell<HandleCache> = std::cell::RefCell::default();
}

fn record(
    method: &'static str,
    route: &'static str,
    status: StatusCode,
    elapsed: std::time::Duration,
) {
    let key = (method, route.as_ptr() as usize, status.as_u16());
    HANDLES.with(|cache| {
        let mut cache = cache.borrow_mut();
        let h = cache.entry(key).or_insert_with(|| Handles {
            requests: metrics::counter!("mlqd_http_requests_total",
                "method" => method, "route" => route, "status" => super::status_label(status)),
            duration: metrics::histogram!("mlqd_http_request_duration_seconds",
                "method" => method, "route" => route),
        });
        h.requests.increment(1);
        h.duration.record(elapsed.as_secs_f64());
    });
    tracing::debug!(method, route = %route, status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "request");
}
