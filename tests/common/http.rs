//! HTTP against a real `mlqd serve`: the server process, a client, and the request and
//! answer helpers the API tests share.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

use super::{Deployment, Proc, mlqd};

/// A running `mlqd serve` and its base URL.
pub struct Server {
    pub proc: Proc,
    pub base: String,
}

impl Server {
    pub fn start(r: &(impl Deployment + ?Sized), ns: &str, args: &[&str]) -> Server {
        let mut cmd = mlqd(r, ns);
        cmd.env("MLQD_LOG_LEVEL", "error")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args);
        Self::spawn(cmd)
    }

    /// Spawns a prepared `serve` command and reads the address it prints.
    pub fn spawn(mut cmd: Command) -> Server {
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut proc = Proc::spawn(cmd);
        let stdout = proc.child.stdout.take().expect("serve stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(i) = line.find("http://") {
                    let _ = tx.send(line[i..].trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve printed its address");
        Server { proc, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub fn http() -> Client {
    http_with(Duration::from_secs(30))
}

pub fn http_with(timeout: Duration) -> Client {
    // reqwest is built without a bundled TLS provider (the crate picks ring); install it
    // once for the test process, as the worker's HTTP client does
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(timeout)
        .build()
        .expect("http client")
}

/// POSTs a JSON payload; returns the answer.
pub fn post_json(c: &Client, url: &str, body: &Value) -> Response {
    c.post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .expect("POST")
}

/// Asserts an error answer: status, `{"error":{"code","message"}}`, a message. Returns the body.
#[track_caller]
pub fn assert_error(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for {code}");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let body: Value = res.json().expect("error JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    let msg = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!msg.is_empty(), "{body}");
    body
}

/// Like [`assert_error`], for an answer that may carry any of `codes`.
#[track_caller]
pub fn assert_error_in(res: Response, status: u16, codes: &[&str]) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for {codes:?}");
    let body: Value = res.json().expect("error JSON");
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert!(codes.contains(&code), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// Posts a job and returns its id.
#[track_caller]
pub fn submit(c: &Client, s: &Server, queue: &str, body: &Value) -> String {
    let res = post_json(c, &s.url(&format!("/v1/queues/{queue}/jobs")), body);
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().expect("submit JSON");
    v["id"].as_str().expect("id").to_string()
}

pub fn status_of(c: &Client, s: &Server, id: &str) -> Value {
    let res = c.get(s.url(&format!("/v1/jobs/{id}"))).send().expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().expect("status JSON")
}

pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Reads an SSE stream to its end: (event, data) pairs.
pub fn read_events(res: Response) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut event = String::new();
    for line in BufReader::new(res).lines() {
        let line = line.expect("read event stream");
        if let Some(e) = line.strip_prefix("event:") {
            event = e.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data:") {
            let data: Value = serde_json::from_str(d.trim()).expect("event data is JSON");
            out.push((std::mem::take(&mut event), data));
        }
    }
    out
}

/// GETs a URL's text, which must answer 2xx.
pub fn scrape(url: &str) -> String {
    try_scrape(url).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// GETs a URL's text; an error when it is not listening yet or answers other than 2xx (for
/// polling a process that is still starting).
pub fn try_scrape(url: &str) -> reqwest::Result<String> {
    http_with(Duration::from_secs(10))
        .get(url)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.text())
}

/// One Server-Sent Event: its name, its id (None when it set none) and its data.
#[derive(Clone, Debug, PartialEq)]
pub struct Sse {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl Sse {
    /// The data as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }
}

/// Reads an event stream event by event (comments skipped), as a browser would.
pub struct SseReader {
    lines: std::io::Lines<BufReader<Response>>,
}

impl SseReader {
    pub fn new(res: Response) -> Self {
        SseReader {
            lines: BufReader::new(res).lines(),
        }
    }

    /// The next event; None when the stream ends.
    pub fn next_event(&mut self) -> Option<Sse> {
        let (mut event, mut id, mut data) = (String::new(), None, Vec::new());
        for line in self.lines.by_ref() {
            let line = line.expect("read event stream");
            if line.is_empty() {
                if data.is_empty() {
                    continue;
                }
                let event = if event.is_empty() {
                    "message".into()
                } else {
                    event
                };
                return Some(Sse {
                    event,
                    id,
                    data: data.join("\n"),
                });
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((&line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value).to_string();
            match field {
                "event" => event = value,
                "id" => id = Some(value),
                "data" => data.push(value),
                _ => {}
            }
        }
        None
    }

    /// Every event to the end of the stream.
    pub fn all(mut self) -> Vec<Sse> {
        let mut out = Vec::new();
        while let Some(e) = self.next_event() {
            out.push(e);
        }
        out
    }
}
