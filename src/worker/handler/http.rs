//! `--http URL`: each job is one POST of its payload to a model server. 2xx → the result
//! (body and content type); 408, 429, 5xx, a connection error or a timeout → a retryable
//! failure; any other status → a permanent one (the job goes straight to the dead set).

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::{Handler, HandlerError, HandlerResult, Job, Output};
use crate::error::{Error, Result};
use crate::worker::protocol;

/// An HTTP client builder with TLS ready (rustls with the ring provider), shared by the
/// http handler and callbacks.
pub fn client_builder() -> reqwest::ClientBuilder {
    // Installing twice is harmless: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("mlqd/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
}

/// The `--http` handler.
#[derive(Clone)]
pub struct HttpHandler {
    client: reqwest::Client,
    url: String,
    max_result: u64,
}

impl HttpHandler {
    pub fn new(url: &str, max_result: u64) -> Result<Self> {
        crate::job::validate_url(url)?;
        let client = client_builder()
            .build()
            .map_err(|e| Error::invalid(format!("cannot set up the HTTP client: {e}")))?;
        Ok(HttpHandler {
            client,
            url: url.to_string(),
            max_result,
        })
    }

    async fn call(self, job: Job) -> HandlerResult {
        let mut req = self
            .client
            .post(&self.url)
            .header("X-Mlqd-Job-Id", job.id.to_string())
            .header("X-Mlqd-Attempt", job.attempt.to_string())
            .header("X-Mlqd-Queue", job.id.queue().as_str());
        if let Ok(ct) = HeaderValue::from_str(&job.payload.content_type) {
            req = req.header(CONTENT_TYPE, ct);
        }
        if let Some(t) = job.timeout {
            req = req.timeout(t);
        }
        let req = req.body(job.payload.bytes.clone());
        let stop = job.cancel_token();
        tokio::select! {
            r = self.exchange(req) => r,
            _ = stop.cancelled() => Err(HandlerError::retryable("stopped before the model server answered")),
        }
    }

    async fn exchange(&self, req: reqwest::RequestBuilder) -> HandlerResult {
        let mut resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.contains('/'))
            .unwrap_or("application/octet-stream")
            .to_string();
        // read at most max_result bytes (+1 to know it was more)
        let mut body = Vec::new();
        let cap = if status.is_success() {
            self.max_result
        } else {
            4096
        };
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() as u64 > cap {
                        if status.is_success() {
                            return Err(protocol::oversized(body.len() as u64, self.max_result));
                        }
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(&e)),
            }
        }
        if status.is_success() {
            return Ok(Output {
                bytes: body,
                content_type,
            });
        }
        let snippet = protocol::excerpt(&body[..body.len().min(300)]);
        let message = format!(
            "model server answered {status}{}",
            if snippet.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", snippet.trim())
            }
        );
        if retryable(status) {
            Err(HandlerError::retryable(message))
        } else {
            Err(HandlerError::permanent(message))
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> HandlerError {
        let what = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            format!("cannot connect ({})", root_cause(e))
        } else {
            root_cause(e)
        };
        HandlerError::retryable(format!("model server at {}: {what}", self.url))
    }
}

/// 408, 429 and 5xx may pass; other 4xx mean this request will never work.
fn retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    last
}

impl Handler for HttpHandler {
    fn handle(&self, job: Job) -> BoxFuture<'static, HandlerResult> {
        Box::pin(self.clone().call(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_statuses_are_worth_a_retry() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }

    #[test]
    fn refuses_a_bad_url() {
        assert!(HttpHandler::new("localhost:8000", 10).is_err());
        assert!(HttpHandler::new("http://127.0.0.1:8000/predict", 10).is_ok());
    }
}
