//! Request parts read the API's way: path and query errors become `ApiError` (JSON, 400),
//! bodies are read under `--max-body` (413), JSON bodies must say they are JSON (415).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::job;

/// `Path<T>` whose rejection is a JSON 400.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

/// `Query<T>` whose rejection is a JSON 400 (unknown parameters are named).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let trimmed = without_empty_params(&parts.uri);
        match Query::<T>::try_from_uri(trimmed.as_ref().unwrap_or(&parts.uri)) {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::bad_request(
                e.body_text()
                    .replace("Failed to deserialize query string", "invalid query"),
            )),
        }
    }
}

/// The URI without its empty query parameters (`?priority=&delay=5s` reads as
/// `?delay=5s`): an empty value means "not given", as HTML forms send it. None when there
/// is nothing to drop.
fn without_empty_params(uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let query = uri.query()?;
    let given = |p: &&str| p.split_once('=').is_some_and(|(_, v)| !v.is_empty());
    if query.split('&').all(|p| given(&p)) {
        return None;
    }
    let kept: Vec<&str> = query.split('&').filter(given).collect();
    format!("{}?{}", uri.path(), kept.join("&")).parse().ok()
}

fn too_large(size: Option<u64>, limit: u64) -> ApiError {
    let msg = match size {
        Some(size) => format!("request body is {size} bytes, over the limit of {limit} bytes"),
        None => format!("request body is over the limit of {limit} bytes"),
    };
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", msg)
}

/// Reads the whole body, refusing one over `limit` bytes (by its Content-Length up front,
/// or while reading a body without one).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: u64) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared
        && n > limit
    {
        return Err(too_large(Some(n), limit));
    }
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, cap).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(None, limit)),
        Err(e) => Err(ApiError::bad_request(format!(
            "could not read the request body: {e}"
        ))),
    }
}

/// The request's Content-Type, if any. One that is not visible ASCII is refused (400),
/// never taken for none.
pub fn content_type(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let text = v
        .to_str()
        .map_err(|_| ApiError::bad_request("the Content-Type header is not plain ASCII text"))?;
    Ok(Some(text.trim().to_string()).filter(|s| !s.is_empty()))
}

/// Refuses a body whose declared Content-Type is not JSON (no Content-Type is taken as JSON).
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    match content_type(headers)? {
        Some(ct) if !job::is_json_type(&ct) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "this route takes a JSON body, not {ct:?}: send Content-Type: application/json"
            ),
        )),
        _ => Ok(()),
    }
}

/// A JSON body labelled as a form: `curl -d '{…}'` without `-H 'content-type:
/// application/json'`. Stored as it is labelled, the handler would get bytes it misreads,
/// so it is refused; a real form body (`a=1&b=2`) is not JSON and is kept as bytes.
pub fn json_sent_as_form(content_type: &str, body: &[u8]) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// Reads a JSON body into `T`: its Content-Type checked, its size bounded by `limit`.
pub async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
) -> Result<T, ApiError> {
    require_json(headers)?;
    let bytes = read_body(headers, body, limit).await?;
    parse_json(&bytes)
}

/// Parses a JSON body into `T`, naming what is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_labelled_as_a_form_is_told_apart_from_a_real_form() {
        let form = "application/x-www-form-urlencoded";
        assert!(json_sent_as_form(form, br#"{"features": [1, 2]}"#));
        assert!(json_sent_as_form(
            "Application/X-WWW-Form-Urlencoded; charset=utf-8",
            b"[1, 2]"
        ));
        assert!(!json_sent_as_form(form, b"a=1&b=%7B%7D"));
        assert!(!json_sent_as_form(form, b"{not json"));
        assert!(!json_sent_as_form("application/json", b"{}"));
        assert!(!json_sent_as_form("text/plain", b"{}"));
    }
}
