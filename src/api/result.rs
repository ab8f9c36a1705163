//! A job's result over HTTP: `GET /v1/jobs/{id}/result` (the bytes with the content type
//! the handler gave them) and `result.{ext}` (with the content type of a file extension),
//! both able to wait for the job first.

use axum::extract::State;

use super::AppState;
use super::answers::{accepted, result_bytes};
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::jobs::{Submitted, WaitQuery, parse_id};
use crate::error::Error;

/// The content type a result file extension asks for.
fn ext_content_type(ext: &str) -> &'static str {
    match ext.to_ascii_lowercase().as_str() {
        "json" => "application/json",
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "csv" => "text/csv",
        "html" | "htm" => "text/html; charset=utf-8",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "tif" | "tiff" => "image/tiff",
        "pdf" => "application/pdf",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "parquet" => "application/vnd.apache.parquet",
        "jsonl" | "ndjson" => "application/x-ndjson",
        _ => "application/octet-stream",
    }
}

async fn result_impl(st: AppState, id: &str, ext: Option<&str>, q: WaitQuery) -> ApiResult {
    let id = parse_id(id)?;
    let wait = st.wait_for(&q.wait)?;
    if let Some(w) = wait {
        let waited = tokio::select! {
            r = st.client.wait(&id, Some(w)) => r,
            _ = st.stopping.cancelled() => Err(Error::WaitTimeout(id.to_string())),
        };
        match waited {
            Ok(_) | Err(Error::WaitTimeout(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // boxed, so a parked waiter does not hold room for the result read (see wait_with)
    match Box::pin(st.client.result(&id)).await {
        Ok((_, result)) => Ok(result_bytes(&id, result, ext.map(ext_content_type))),
        Err(Error::NotFinished { state, .. }) => Ok(accepted(&id, state)),
        Err(e) => Err(e.into()),
    }
}

/// A finished job's result bytes, with the content type the handler gave them.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/result",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (QUEUE.ULID)"), WaitQuery),
    responses(
        (status = 200, description = "The result bytes", content_type = "*/*", body = Vec<u8>,
            headers(("X-Mlqd-Job-Id" = String))),
        (status = 202, description = "Not finished yet", body = Submitted,
            headers(("Retry-After" = u64), ("Location" = String))),
        (status = 400, description = "Malformed id or wait", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "The job is dead or cancelled: no result", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn result(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> ApiResult {
    result_impl(st, &id, None, q).await
}

/// The result served with the content type of a file extension (`result.png`).
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/result.{ext}",
    tag = "jobs",
    params(
        ("id" = String, Path, description = "Job id (QUEUE.ULID)"),
        ("ext" = String, Path, description = "File extension: json, txt, csv, png, jpg, webp, wav, mp3, mp4, pdf, …; unknown ones are application/octet-stream"),
        WaitQuery
    ),
    responses(
        (status = 200, description = "The result bytes", content_type = "*/*", body = Vec<u8>),
        (status = 202, description = "Not finished yet", body = Submitted, headers(("Retry-After" = u64))),
        (status = 400, description = "Malformed id, extension or wait", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "The job is dead or cancelled: no result", body = ErrorBody),
        (status = 503, description = "Redis unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
    )
)]
pub async fn result_ext(
    State(st): State<AppState>,
    ApiPath((id, ext)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> ApiResult {
    result_impl(st, &id, Some(&ext), q).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiConfig;
    use crate::client::{Client, ClientConfig};

    /// A parked `?wait=` request holds this future (boxed by axum) for the whole wait, so
    /// what is only needed before or after the wait is not in it: the Redis reads are boxed
    /// and the status read is dropped before waiting. Measured in a debug build: 1,136
    /// bytes; 1,536 with the status held across the wait (as it was), 1,688 with the reads
    /// unboxed too.
    const MAX_WAITING_REQUEST: usize = 1280;

    #[tokio::test]
    async fn a_waiting_result_request_holds_a_small_future() {
        let client = Client::new(ClientConfig::new("redis://127.0.0.1:1", "sizes")).unwrap();
        let st = AppState::new(client, ApiConfig::default());
        let wait = WaitQuery {
            wait: Some("30s".into()),
        };
        let id = ApiPath("q.01KBF1E2ZV3TQ0Y7Q3C1Y7H5RM".to_string());
        let request = result(State(st), id, ApiQuery(wait));
        let size = std::mem::size_of_val(&request);
        assert!(size <= MAX_WAITING_REQUEST, "{size} bytes");
    }

    #[test]
    fn extensions_choose_content_types() {
        assert_eq!(ext_content_type("PNG"), "image/png");
        assert_eq!(ext_content_type("json"), "application/json");
        assert_eq!(ext_content_type("weird"), "application/octet-stream");
    }
}
