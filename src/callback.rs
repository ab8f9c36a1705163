//! Callbacks: once a job is terminal, POST its status JSON to the job's `callback` URL,
//! signed `X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>` when a secret is set.
//! Each delivery runs in its own task (never holding up the worker) and is retried 3 times
//! with backoff. Used by the worker that finished a job and by the reaper when it
//! dead-letters one.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use tokio_util::task::TaskTracker;

use crate::broker::Broker;
use crate::error::{Error, Result};
use crate::job::{JobId, JobStatus};

/// Retries after the first try.
const RETRIES: u32 = 3;
/// Time one delivery may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `sha256=<hex HMAC-SHA256 of body>`: the `X-Mlqd-Signature` header value.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, body);
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256=");
    for b in tag.as_ref() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Sends callbacks in the background. Cheap to clone.
#[derive(Clone)]
pub struct CallbackSender {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    secret: Option<Vec<u8>>,
    tracker: TaskTracker,
    /// First retry delay; doubles per retry.
    backoff: Duration,
}

impl CallbackSender {
    /// A sender signing with `secret` when given.
    pub fn new(secret: Option<&str>) -> Result<Self> {
        Self::with_backoff(secret, Duration::from_secs(1))
    }

    /// Same, with another first retry delay (1 s by default).
    pub fn with_backoff(secret: Option<&str>, backoff: Duration) -> Result<Self> {
        let client = crate::worker::handler::http::client_builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Error::invalid(format!("cannot set up the HTTP client: {e}")))?;
        Ok(CallbackSender {
            inner: Arc::new(Inner {
                client,
                secret: secret
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_bytes().to_vec()),
                tracker: TaskTracker::new(),
                backoff,
            }),
        })
    }

    /// POSTs `status` to `url` in the background.
    pub fn send(&self, url: &str, status: &JobStatus) {
        let body = match serde_json::to_vec(status) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(job = %status.id, error = %e, "cannot encode the callback body");
                return;
            }
        };
        let inner = self.inner.clone();
        let url = url.to_string();
        let id = status.id.clone();
        self.inner
            .tracker
            .spawn(async move { inner.deliver(&url, &id, body).await });
    }

    /// Reads the job's status and, if it is terminal, POSTs it to `url`; in the background.
    pub fn send_when_final(&self, broker: &Broker, id: &JobId, url: &str) {
        let this = self.clone();
        let broker = broker.clone();
        let id = id.clone();
        let url = url.to_string();
        self.inner.tracker.spawn(async move {
            let mut delay = Duration::from_millis(200);
            for _ in 0..=RETRIES {
                match broker.status(&id).await {
                    Ok(Some(st)) if st.state.is_terminal() => return this.send(&url, &st),
                    Ok(_) => return,
                    Err(e) => {
                        tracing::debug!(job = %id, error = %e, "cannot read the status for a callback; retrying");
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                }
            }
            tracing::warn!(job = %id, "callback not sent: the job's status could not be read");
            metrics::counter!("mlqd_callbacks_total", "outcome" => "failed").increment(1);
        });
    }

    /// Reads the job's status and, when it is terminal and names a callback, POSTs it
    /// there; in the background. (The reaper calls this for the jobs it buries.)
    pub fn notify(&self, broker: &Broker, id: &JobId) {
        let this = self.clone();
        let broker = broker.clone();
        let id = id.clone();
        self.inner.tracker.spawn(async move {
            match broker.status(&id).await {
                Ok(Some(st)) if st.state.is_terminal() => {
                    if let Some(url) = st.callback.clone() {
                        this.send(&url, &st);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(job = %id, error = %e, "callback not sent: the job's status could not be read"),
            }
        });
    }

    /// Waits up to `limit` for deliveries under way (a stopping process calls this).
    pub async fn flush(&self, limit: Duration) {
        self.inner.tracker.close();
        if tokio::time::timeout(limit, self.inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                pending = self.inner.tracker.len(),
                "stopping with callbacks still being delivered"
            );
        }
        self.inner.tracker.reopen();
    }
}

impl Inner {
    async fn deliver(&self, url: &str, id: &str, body: Vec<u8>) {
        let signature = self.secret.as_deref().map(|s| signature(s, &body));
        let mut delay = self.backoff;
        let mut last = String::new();
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                let jitter = 0.75 + rand::random::<f64>() * 0.5;
                tokio::time::sleep(delay.mul_f64(jitter)).await;
                delay *= 2;
            }
            let mut req = self
                .client
                .post(url)
                .header(CONTENT_TYPE, "application/json")
                .header("X-Mlqd-Job-Id", id)
                .body(body.clone());
            if let Some(sig) = &signature {
                req = req.header("X-Mlqd-Signature", sig.as_str());
            }
            match req.send().await {
                Ok(resp) if resp.status().is_success() => {
                    tracing::debug!(job = %id, url, "callback delivered");
                    metrics::counter!("mlqd_callbacks_total", "outcome" => "delivered")
                        .increment(1);
                    return;
                }
                Ok(resp) => {
                    let status = resp.status();
                    last = format!("answered {status}");
                    // a 4xx other than 408/429 will not change on a retry
                    if status.is_client_error()
                        && status != reqwest::StatusCode::REQUEST_TIMEOUT
                        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
                    {
                        break;
                    }
                }
                Err(e) => last = e.to_string(),
            }
            tracing::debug!(job = %id, url, error = %last, "callback attempt failed");
        }
        tracing::warn!(job = %id, url, error = %last, "callback not delivered");
        metrics::counter!("mlqd_callbacks_total", "outcome" => "failed").increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
