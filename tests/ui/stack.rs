//! The scene every dashboard test sets: Redis, `mlqd serve`, workers; and the checks
//! every browser test ends with.

use std::time::Duration;

use crate::common::browser::Browser;
use crate::common::{
    Proc, RedisServer, Server, eventually, http, mlqd, namespace, run, stderr, stdout,
};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

pub const TOKEN: &str = "ui-test-token-5f1d";

/// A private Redis, `mlqd serve` on a free port, and an HTTP client for setting the scene.
pub struct Stack {
    pub redis: RedisServer,
    pub ns: String,
    _server: Server,
    pub base: String,
    pub http: Client,
    pub token: Option<String>,
}

impl Stack {
    pub fn start(args: &[&str]) -> Stack {
        Self::run(&["serve", "--listen", "127.0.0.1:0"], args)
    }

    /// `mlqd up` (an echo worker, the reaper and the API in one process) on the private
    /// Redis instead of `serve`.
    pub fn up(args: &[&str]) -> Stack {
        Self::run(
            &["up", "--builtin", "echo", "--listen", "127.0.0.1:0"],
            args,
        )
    }

    fn run(role: &[&str], args: &[&str]) -> Stack {
        let redis = RedisServer::start();
        let ns = namespace();
        let mut cmd = mlqd(&redis, &ns);
        cmd.env("MLQD_LOG_LEVEL", "error").args(role).args(args);
        let server = Server::spawn(cmd);
        let token = args
            .iter()
            .position(|a| *a == "--token")
            .map(|i| args[i + 1].to_string());
        Stack {
            base: server.base.clone(),
            redis,
            ns,
            _server: server,
            http: http(),
            token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn authed(&self, r: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.authed(self.http.get(self.url(path)))
            .send()
            .expect("GET")
    }

    pub fn get_json(&self, path: &str) -> Value {
        let res = self.get(path);
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().expect("JSON")
    }

    /// Posts a JSON payload (query: job options); returns the job id.
    pub fn post(&self, queue: &str, body: Value, query: &str) -> String {
        let res = self
            .authed(
                self.http
                    .post(self.url(&format!("/v1/queues/{queue}/jobs{query}"))),
            )
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .expect("POST");
        assert_eq!(res.status().as_u16(), 201, "post to {queue}");
        let v: Value = res.json().expect("submit JSON");
        v["id"].as_str().expect("id").to_string()
    }

    /// Posts JSON payloads in one batch (`jobs:batch`, all stored or none); their ids.
    pub fn post_batch(&self, queue: &str, payloads: &[Value]) -> Vec<String> {
        let res = self
            .authed(
                self.http
                    .post(self.url(&format!("/v1/queues/{queue}/jobs:batch"))),
            )
            .header("content-type", "application/json")
            .body(Value::from(payloads.to_vec()).to_string())
            .send()
            .expect("POST batch");
        assert_eq!(res.status().as_u16(), 201, "batch to {queue}");
        let v: Value = res.json().expect("batch JSON");
        v.as_array()
            .expect("a list")
            .iter()
            .map(|j| j["id"].as_str().expect("id").to_string())
            .collect()
    }

    pub fn state(&self, id: &str) -> String {
        self.get_json(&format!("/v1/jobs/{id}"))["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[track_caller]
    pub fn wait_state(&self, id: &str, want: &str, limit: Duration) {
        let ok = eventually(limit, || (self.state(id) == want).then_some(()));
        assert!(
            ok.is_some(),
            "job {id} never became {want}: {}",
            self.state(id)
        );
    }

    /// `mlqd ARGS…` on this stack's Redis and namespace, which must succeed; its stdout.
    #[track_caller]
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = mlqd(&self.redis, &self.ns);
        cmd.args(args);
        let out = run(cmd);
        assert!(out.status.success(), "mlqd {args:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// `mlqd ARGS… --json` parsed.
    #[track_caller]
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let out = self.cli(&[args, &["--json"]].concat());
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("mlqd {args:?} --json: {e}: {out}"))
    }

    pub fn worker(&self, args: &[&str]) -> Proc {
        self.worker_env(args, &[])
    }

    /// A worker with extra environment variables (an exec handler's `PYTHONPATH`).
    pub fn worker_env(&self, args: &[&str], env: &[(&str, &str)]) -> Proc {
        let mut cmd = mlqd(&self.redis, &self.ns);
        cmd.env("MLQD_LOG_LEVEL", "error").arg("worker").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Proc::spawn(cmd)
    }

    /// Opens the dashboard at `route` (`#/…`) in `b`.
    pub fn open(&self, b: &Browser, route: &str) {
        b.goto(&self.url(&format!("/ui{route}")));
    }
}

pub const SHORT: Duration = Duration::from_secs(10);
pub const LONG: Duration = Duration::from_secs(20);

/// Every request the page made (since the last look) came from the dashboard and went to
/// the server itself, or stayed in the page (`blob:` previews, `data:`). Returns the URLs.
#[track_caller]
pub fn assert_only_the_server(b: &Browser, s: &Stack) -> Vec<String> {
    let origin = format!("{}/", s.base);
    let requests = b.requests();
    for (doc, url) in &requests {
        assert!(
            doc.starts_with(&origin),
            "a request from another page: {doc} asked {url}"
        );
        assert!(
            url.starts_with(&origin) || url.starts_with("blob:") || url.starts_with("data:"),
            "the page asked another host: {url}"
        );
    }
    requests.into_iter().map(|(_, u)| u).collect()
}

#[track_caller]
pub fn assert_no_console_errors(b: &Browser) {
    let errors = b.console();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// The page fits the viewport's width (wide tables scroll inside their own box).
#[track_caller]
pub fn assert_fits_width(b: &Browser, page: &str) {
    let (doc, view) = (
        b.eval("document.documentElement.scrollWidth"),
        b.eval("window.innerWidth"),
    );
    assert!(
        doc.as_u64() <= view.as_u64(),
        "{page} is {doc} px wide in a {view} px viewport"
    );
}

pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// `[data-col=…]` cell of a queue's row on the overview.
pub fn cell(queue: &str, col: &str) -> String {
    format!("tr[data-queue=\"{queue}\"] td[data-col=\"{col}\"]")
}

pub fn texts(b: &Browser, css: &str) -> Vec<String> {
    b.run(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim());",
        json!([css]),
    )
    .as_array()
    .map(|a| {
        a.iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    })
    .unwrap_or_default()
}

// ---- the files and the API routes the page relies on -----------------------------------
