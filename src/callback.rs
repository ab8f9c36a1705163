//! Callbacks: once a job is terminal, POST its status JSON to the job's `callback` URL,
//! signed `X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>` when a secret is set.
//! A succeeded job's body carries its result too: `"result": <value>` when the result is
//! JSON of at most [`MAX_INLINE_RESULT`] bytes, else `"result_url": "/v1/jobs/{id}/result"`
//! (relative: a worker does not know where `serve` is published).
//! Each delivery runs in its own task (never holding up the worker) and is retried 3 times
//! with backoff. Used by the worker that finished a job and by the reaper when it
//! dead-letters one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use tokio_util::task::TaskTracker;

use crate::broker::Broker;
use crate::error::Result;
use crate::job::{self, JobId, JobResult, JobState, JobStatus};

/// Retries after the first try.
const RETRIES: u32 = 3;
/// Time one delivery may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest result put in a callback body as `"result"`; a bigger one is named by
/// `"result_url"` (a callback receiver should not have to take megabytes it did not ask for).
pub const MAX_INLINE_RESULT: usize = 64 * 1024;

/// A callback's JSON body: the status, and for a succeeded job its result or where to get it.
#[derive(serde::Serialize)]
struct Body<'a> {
    #[serde(flatten)]
    status: &'a JobStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a serde_json::value::RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_url: Option<String>,
}

/// The bytes POSTed for `status` (with `result`, when it succeeded and the result was read).
/// A JSON result is put in as it was stored, byte for byte.
pub fn body(status: &JobStatus, result: Option<&JobResult>) -> serde_json::Result<Vec<u8>> {
    let inline = result
        .filter(|r| r.bytes.len() <= MAX_INLINE_RESULT && job::is_json_type(&r.content_type))
        .and_then(|r| serde_json::from_slice::<&serde_json::value::RawValue>(&r.bytes).ok());
    let succeeded = status.state == JobState::Succeeded;
    serde_json::to_vec(&Body {
        status,
        result: inline,
        result_url: (succeeded && inline.is_none())
            .then(|| format!("/v1/jobs/{}/result", status.id)),
    })
}

/// Whether the result is worth reading for the body (JSON; its size is checked once read).
fn may_inline(status: &JobStatus) -> bool {
    status.state == JobState::Succeeded
        && status
            .result_content_type
            .as_deref()
            .is_some_and(job::is_json_type)
}

/// A terminal job's status and, when it can go in the body, its result; None while the
/// job is not terminal (or is gone).
async fn read_final(broker: &Broker, id: &JobId) -> Result<Option<(JobStatus, Option<JobResult>)>> {
    match broker.status(id).await? {
        Some(st) if st.state.is_terminal() && may_inline(&st) => {
            Ok(broker.status_with_result(id).await?)
        }
        Some(st) if st.state.is_terminal() => Ok(Some((st, None))),
        _ => Ok(None),
    }
}

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
    /// Made on the first delivery: setting up TLS (the system's root certificates: ~150
    /// files read, ~20M instructions, memory kept) is wasted on the many workers that never
    /// send a callback.
    client: OnceLock<std::result::Result<reqwest::Client, String>>,
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
        Ok(CallbackSender {
            inner: Arc::new(Inner {
                client: OnceLock::new(),
                secret: secret
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_bytes().to_vec()),
                tracker: TaskTracker::new(),
                backoff,
            }),
        })
    }

    /// POSTs `status` (with `result`, see [`body`]) to `url` in the background.
    pub fn send(&self, url: &str, status: &JobStatus, result: Option<&JobResult>) {
        let body = match body(status, result) {
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
                match read_final(&broker, &id).await {
                    Ok(Some((st, result))) => return this.send(&url, &st, result.as_ref()),
                    Ok(None) => return,
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
            match read_final(&broker, &id).await {
                Ok(Some((st, result))) => {
                    if let Some(url) = st.callback.clone() {
                        this.send(&url, &st, result.as_ref());
                    }
                }
                Ok(None) => {}
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
        let client = self.client.get_or_init(|| {
            crate::worker::handler::http::client_builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .map_err(|e| e.to_string())
        });
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(job = %id, url, error = %e, "callback not sent: cannot set up the HTTP client");
                metrics::counter!("mlqd_callbacks_total", "outcome" => "failed").increment(1);
                return;
            }
        };
        let signature = self.secret.as_deref().map(|s| signature(s, &body));
        let mut delay = self.backoff;
        let mut last = String::new();
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                let jitter = 0.75 + rand::random::<f64>() * 0.5;
                tokio::time::sleep(delay.mul_f64(jitter)).await;
                delay *= 2;
            }
            let mut req = client
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

    fn status(state: JobState) -> JobStatus {
        serde_json::from_value(serde_json::json!({
            "id": "q.01JDX3ABCDEFGHJKMNPQRSTVWX", "queue": "q", "state": state,
            "priority": 0, "attempts": 1, "failures": 0, "max_retries": 3, "stalls": 0,
            "max_stalls": 3, "created_at": "2026-01-01T00:00:00.000Z",
            "content_type": "application/json", "result_ttl": "24h", "history": []
        }))
        .unwrap()
    }

    fn result(bytes: &[u8], content_type: &str) -> JobResult {
        JobResult {
            bytes: bytes.to_vec(),
            content_type: content_type.into(),
        }
    }

    fn parsed(b: Vec<u8>) -> serde_json::Value {
        serde_json::from_slice(&b).unwrap()
    }

    #[test]
    fn body_carries_a_small_json_result_exactly_and_names_the_rest() {
        let ok = status(JobState::Succeeded);
        let small = br#"{"class":"setosa","p":0.97560}"#;
        let b = body(&ok, Some(&result(small, "application/json"))).unwrap();
        // the stored bytes, not a re-encoding (0.97560 stays 0.97560)
        assert!(
            String::from_utf8_lossy(&b).contains(r#""result":{"class":"setosa","p":0.97560}"#),
            "{}",
            String::from_utf8_lossy(&b)
        );
        let v = parsed(b);
        assert_eq!(v["state"], "succeeded");
        assert!(v.get("result_url").is_none());

        let url = "/v1/jobs/q.01JDX3ABCDEFGHJKMNPQRSTVWX/result";
        let big = format!("[\"{}\"]", "x".repeat(MAX_INLINE_RESULT));
        for r in [
            Some(result(big.as_bytes(), "application/json")),
            Some(result(b"\x89PNG", "image/png")),
            Some(result(b"not json", "application/json")),
            None,
        ] {
            let v = parsed(body(&ok, r.as_ref()).unwrap());
            assert_eq!(v["result_url"], url, "{r:?}");
            assert!(v.get("result").is_none());
        }
        let at_limit = format!("\"{}\"", "y".repeat(MAX_INLINE_RESULT - 2));
        let v = parsed(body(&ok, Some(&result(at_limit.as_bytes(), "application/json"))).unwrap());
        assert_eq!(
            v["result"].as_str().map(str::len),
            Some(MAX_INLINE_RESULT - 2)
        );
    }

    #[test]
    fn body_of_a_job_that_did_not_succeed_is_its_status_alone() {
        for state in [JobState::Dead, JobState::Cancelled] {
            let v = parsed(body(&status(state), None).unwrap());
            assert_eq!(v["state"], serde_json::to_value(state).unwrap());
            assert!(v.get("result").is_none() && v.get("result_url").is_none());
        }
    }

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
