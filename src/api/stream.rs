//! `GET /v1/jobs/{id}/stream`: a job's streamed output as Server-Sent Events. `chunk`
//! (id `<attempt>-<seq>`), `attempt` when a new attempt starts, `trimmed` when older output
//! is gone, `end` with the final status; `Last-Event-ID` resumes right after a chunk. The
//! reading itself (in order, live, nothing lost or repeated) is [`crate::stream`]'s.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::Event;
use base64::Engine;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::events::sse;
use super::extract::ApiPath;
use crate::job::JobId;
use crate::stream::{ChunkId, OutputStream, StreamItem};

/// What a client that lost the stream to an outage waits before reconnecting (`retry:`).
const RECONNECT_MS: u64 = 1000;

struct Feed {
    output: OutputStream,
    stopping: CancellationToken,
    done: bool,
}

/// One item as an event.
fn event(item: StreamItem) -> Event {
    match item {
        StreamItem::Chunk { id, data } => {
            let body = match String::from_utf8(data) {
                Ok(text) => json!({"attempt": id.attempt, "seq": id.seq, "text": text}),
                Err(e) => json!({
                    "attempt": id.attempt,
                    "seq": id.seq,
                    "b64": base64::engine::general_purpose::STANDARD.encode(e.as_bytes()),
                }),
            };
            Event::default()
                .event("chunk")
                .id(id.to_string())
                .data(body.to_string())
        }
        StreamItem::Attempt(a) => Event::default()
            .event("attempt")
            .data(json!({"attempt": a}).to_string()),
        StreamItem::Trimmed { first } => Event::default()
            .event("trimmed")
            .data(json!({"attempt": first.attempt, "first_seq": first.seq}).to_string()),
        StreamItem::End(status) => Event::default()
            .event("end")
            .data(serde_json::to_string(&status).unwrap_or_else(|_| "{}".into())),
    }
}

impl Feed {
    async fn next_event(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        if self.done {
            return None;
        }
        let next = tokio::select! {
            _ = self.stopping.cancelled() => return None,
            n = self.output.next() => n,
        };
        let ev = match next? {
            Ok(item) => {
                self.done = matches!(item, StreamItem::End(_));
                event(item)
            }
            Err(e) => {
                // the client reconnects on a 503-type code, from its last chunk
                let api = ApiError::from(e);
                self.done = true;
                let body = json!({"error": {"code": api.code, "message": api.message}});
                let ev = Event::default().event("error").data(body.to_string());
                if api.status.as_u16() == 503 {
                    ev.retry(std::time::Duration::from_millis(RECONNECT_MS))
                } else {
                    ev
                }
            }
        };
        Some((Ok(ev), self))
    }
}

/// The position a `Last-Event-ID` header names (absent or empty: the start).
fn resume_from(headers: &HeaderMap) -> Result<Option<ChunkId>, ApiError> {
    let Some(v) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = v
        .to_str()
        .map_err(|_| ApiError::bad_request("invalid Last-Event-ID: not text"))?
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<ChunkId>()
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("invalid Last-Event-ID: {e}")))
}

/// Follow a job's streamed output (tokens, log lines…) as Server-Sent Events.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/stream",
    tag = "jobs",
    params(
        ("id" = String, Path, description = "Job id (QUEUE.ULID)"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume right after this chunk (`<attempt>-<seq>`, the id of the last `chunk` event received)"),
    ),
    responses(
        (status = 200, description = "An event stream of the job's output: every retained chunk from the start (or after `Last-Event-ID`), then live ones, in order, none repeated. `event: chunk`, `id: <attempt>-<seq>`, data `{\"attempt\":A,\"seq\":S,\"text\":\"…\"}` (`\"b64\"` instead of `\"text\"` for bytes that are not UTF-8; `seq` counts from 0 within an attempt). `event: attempt`, data `{\"attempt\":A}`: a new attempt started (retry, lost worker), the earlier attempts' output is superseded. `event: trimmed`, data `{\"attempt\":A,\"first_seq\":S}`: older output was dropped to keep the job under the worker's `--max-stream`; the next chunk (A-S) is the first kept. `event: end`, data: the job's status JSON, after its last chunk, once it is terminal; then the stream closes. `event: error`, data: the error JSON, ends the stream (a `redis_unavailable` one comes with `retry:`; reconnect with `Last-Event-ID`). A comment every 15 s keeps an idle stream open.",
            content_type = "text/event-stream", body = String),
        (status = 400, description = "Malformed id or Last-Event-ID", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn stream(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult {
    let id: JobId = id.parse::<JobId>().map_err(ApiError::from)?;
    let after = resume_from(&headers)?;
    let output = st.client.stream(&id, after).await?;
    let feed = Feed {
        output,
        stopping: st.stopping.clone(),
        done: false,
    };
    Ok(sse(futures::stream::unfold(feed, Feed::next_event)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_is_a_chunk_id_or_nothing() {
        let mut h = HeaderMap::new();
        assert_eq!(resume_from(&h).unwrap(), None);
        h.insert("last-event-id", " ".parse().unwrap());
        assert_eq!(resume_from(&h).unwrap(), None);
        h.insert("last-event-id", "1-24".parse().unwrap());
        assert_eq!(
            resume_from(&h).unwrap(),
            Some(ChunkId {
                attempt: 1,
                seq: 24
            })
        );
        for bad in ["24", "x-1", "0-1", "1-2-3"] {
            h.insert("last-event-id", bad.parse().unwrap());
            let e = resume_from(&h).unwrap_err();
            assert_eq!((e.status.as_u16(), e.code), (400, "invalid"), "{bad}");
        }
    }
}
