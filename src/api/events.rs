//! Server-Sent Events for one job: `event: state` when its state changes, `event: progress`
//! when it reports progress, each `data:` the status JSON; the stream ends after the
//! terminal state. Driven by the process's one pub/sub subscription (no polling): the
//! status is re-read only when an event names the job, or after the subscription was
//! remade and events may have been missed.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiPath;
use crate::client::Client;
use crate::events::Watcher;
use crate::job::{JobId, JobStatus};

/// How often an idle stream sends a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Feed {
    client: Client,
    id: JobId,
    watcher: Watcher,
    last: JobStatus,
    queued: VecDeque<Event>,
    done: bool,
    stopping: CancellationToken,
}

fn status_event(kind: &'static str, status: &JobStatus) -> Event {
    let data = serde_json::to_string(status).unwrap_or_else(|_| "{}".into());
    Event::default().event(kind).data(data)
}

impl Feed {
    /// Queues what changed between the last status sent and `now`.
    fn compare(&mut self, now: JobStatus) {
        let moved = now.state != self.last.state || now.attempts != self.last.attempts;
        if moved {
            self.queued.push_back(status_event("state", &now));
        } else if now.progress != self.last.progress && now.progress.is_some() {
            self.queued.push_back(status_event("progress", &now));
        }
        self.done = now.state.is_terminal();
        self.last = now;
    }

    async fn next_event(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(e) = self.queued.pop_front() {
                return Some((Ok(e), self));
            }
            if self.done {
                return None;
            }
            tokio::select! {
                _ = self.stopping.cancelled() => return None,
                _ = self.watcher.next() => {}
            }
            match self.client.status(&self.id).await {
                Ok(now) => self.compare(now),
                Err(e) => {
                    // the client can reconnect; the first event of a new stream is the state
                    let api = ApiError::from(e);
                    let body =
                        serde_json::json!({"error": {"code": api.code, "message": api.message}});
                    self.queued
                        .push_back(Event::default().event("error").data(body.to_string()));
                    self.done = true;
                }
            }
        }
    }
}

/// Follow a job: progress and state changes as Server-Sent Events.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/events",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (QUEUE.ULID)")),
    responses(
        (status = 200, description = "An event stream. The first event is `state` with the current status; then `state` on every state change and `progress` on every progress report, each with the status JSON as data. The stream ends after a terminal state (`succeeded`, `dead`, `cancelled`). An `error` event (data: the error JSON) ends it when Redis fails mid-stream.",
            content_type = "text/event-stream", body = String),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn events(State(st): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult {
    let id: JobId = id.parse::<JobId>().map_err(ApiError::from)?;
    // watch first, then read: nothing that happens after the read is missed
    let watcher = st.client.events().watch(&id);
    let first = st.client.status(&id).await?;
    let mut feed = Feed {
        client: st.client.clone(),
        id,
        watcher,
        last: first.clone(),
        queued: VecDeque::new(),
        done: first.state.is_terminal(),
        stopping: st.stopping.clone(),
    };
    feed.queued.push_back(status_event("state", &first));
    let stream = futures::stream::unfold(feed, Feed::next_event);
    Ok(sse(stream))
}

/// An SSE answer with keep-alive comments, passed through buffering proxies at once.
pub(super) fn sse(
    stream: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
) -> Response {
    let mut res = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // tell buffering proxies (nginx) to pass events through at once
    res.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    res
}
