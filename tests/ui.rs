//! The web dashboard end to end: the real `mlqd serve` and workers on a private
//! redis-server, and the page in a real headless Chromium (tests/common/browser.rs). Every
//! browser test also checks that the page asked nothing of any host but the server and
//! logged no console error.
//!
//! Screenshots for the README: `MLQD_SCREENSHOTS=docs cargo test --test ui screenshots --
//! --ignored` (writes docs/dashboard-overview.png and docs/dashboard-job.png).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::browser::Browser;
use common::{Proc, RedisServer, eventually, mlqd, namespace};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

const TOKEN: &str = "ui-test-token-5f1d";

/// A private Redis, `mlqd serve` on a free port, and an HTTP client for setting the scene.
struct Stack {
    redis: RedisServer,
    ns: String,
    _serve: Proc,
    base: String,
    http: Client,
    token: Option<String>,
}

impl Stack {
    fn start(args: &[&str]) -> Stack {
        let redis = RedisServer::start();
        let ns = namespace();
        let mut cmd = mlqd(&redis, &ns);
        cmd.env("MLQD_LOG_LEVEL", "error")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut serve = Proc::spawn(cmd);
        let stdout = serve.child.stdout.take().expect("serve stdout");
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
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        let token = args
            .iter()
            .position(|a| *a == "--token")
            .map(|i| args[i + 1].to_string());
        Stack {
            redis,
            ns,
            _serve: serve,
            base,
            http,
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authed(&self, r: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    fn get(&self, path: &str) -> Response {
        self.authed(self.http.get(self.url(path)))
            .send()
            .expect("GET")
    }

    fn get_json(&self, path: &str) -> Value {
        let res = self.get(path);
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().expect("JSON")
    }

    /// Posts a JSON payload (query: job options); returns the job id.
    fn post(&self, queue: &str, body: Value, query: &str) -> String {
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

    fn state(&self, id: &str) -> String {
        self.get_json(&format!("/v1/jobs/{id}"))["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[track_caller]
    fn wait_state(&self, id: &str, want: &str, limit: Duration) {
        let ok = eventually(limit, || (self.state(id) == want).then_some(()));
        assert!(
            ok.is_some(),
            "job {id} never became {want}: {}",
            self.state(id)
        );
    }

    fn worker(&self, args: &[&str]) -> Proc {
        let mut cmd = mlqd(&self.redis, &self.ns);
        cmd.env("MLQD_LOG_LEVEL", "error").arg("worker").args(args);
        Proc::spawn(cmd)
    }

    /// Opens the dashboard at `route` (`#/…`) in `b`.
    fn open(&self, b: &Browser, route: &str) {
        b.goto(&self.url(&format!("/ui{route}")));
    }
}

const SHORT: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(20);

/// Every request the page made (since the last look) came from the dashboard and went to
/// the server itself, or stayed in the page (`blob:` previews, `data:`). Returns the URLs.
#[track_caller]
fn assert_only_the_server(b: &Browser, s: &Stack) -> Vec<String> {
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
fn assert_no_console_errors(b: &Browser) {
    let errors = b.console();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// `[data-col=…]` cell of a queue's row on the overview.
fn cell(queue: &str, col: &str) -> String {
    format!("tr[data-queue=\"{queue}\"] td[data-col=\"{col}\"]")
}

fn texts(b: &Browser, css: &str) -> Vec<String> {
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

#[test]
fn dashboard_files_are_embedded_cacheable_and_locked_down() {
    let s = Stack::start(&[]);
    let res = s.get("/ui");
    assert_eq!(res.status().as_u16(), 200);
    assert!(header(&res, "content-type").starts_with("text/html"));
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&res, "cache-control"), "no-cache");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let etag = header(&res, "etag");
    assert!(etag.starts_with('"'), "{etag}");
    let html = res.text().expect("html");
    assert!(html.contains(r#"data-auth="none""#) && html.contains(r#"data-read-only="false""#));
    let again = s
        .http
        .get(s.url("/ui"))
        .header("if-none-match", &etag)
        .send()
        .expect("GET");
    assert_eq!(again.status().as_u16(), 304, "the ETag revalidates");

    // every file the page names, and every module those import, is served from the
    // versioned folder with its type, cacheable for good, and names no other host
    let mut todo: Vec<String> = html
        .split('"')
        .filter(|p| p.starts_with("/ui/v/"))
        .map(str::to_string)
        .collect();
    assert!(todo.len() >= 3, "{todo:?}");
    let dir = todo[0]
        .rsplit_once('/')
        .expect("a versioned dir")
        .0
        .to_string();
    let mut seen = std::collections::HashSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let res = s.get(&path);
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let ct = header(&res, "content-type");
        let want = match path.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected file {other:?}"),
        };
        assert!(ct.starts_with(want), "{path}: {ct}");
        assert!(
            header(&res, "cache-control").contains("immutable"),
            "{path}"
        );
        assert!(header(&res, "content-security-policy").contains("default-src 'self'"));
        let body = res.text().expect("text");
        for (i, _) in body.match_indices("http") {
            let url: String = body[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '\'' && *c != '"')
                .collect();
            assert!(
                !url.starts_with("http://") && !url.starts_with("https://")
                    || url == "http://www.w3.org/2000/svg",
                "{path} names another host: {url}"
            );
        }
        for (i, _) in body.match_indices(" from './") {
            let rest = &body[i + " from './".len()..];
            let name = &rest[..rest.find('\'').expect("closing quote")];
            todo.push(format!("{dir}/{name}"));
        }
    }
    assert!(seen.len() >= 10, "files: {seen:?}");

    let res = s.get(&format!("{dir}/nope.js"));
    assert_eq!(res.status().as_u16(), 404);
    // an old page's version still gets today's file, but must not keep it
    let res = s.get("/ui/v/0000/app.js");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(header(&res, "cache-control"), "no-cache");
    let root = s.http.get(s.url("/")).send().expect("GET /");
    assert_eq!(root.url().path(), "/ui", "/ leads to the dashboard");

    let off = Stack::start(&["--no-ui"]);
    assert_eq!(off.get("/ui").status().as_u16(), 404);
    assert_eq!(off.get("/").status().as_u16(), 404);
    assert_eq!(off.get("/v1/queues").status().as_u16(), 200);
}

#[test]
fn overview_and_payload_routes_give_the_dashboard_what_it_shows() {
    let s = Stack::start(&[]);
    let first = s.get_json("/v1/overview");
    assert_eq!(first["queues"], json!([]));
    assert_eq!(first["throughput"], json!([]));
    assert!(
        first["redis"]["used_memory"].as_u64().unwrap_or(0) > 0,
        "{first}"
    );
    assert!(!first["redis"]["version"].as_str().unwrap_or("").is_empty());
    assert!(first["taken_at"].as_str().unwrap_or("").ends_with('Z'));
    let started = Instant::now();

    let _w = s.worker(&["--queue", "work", "--builtin", "echo"]);
    let ids: Vec<String> = (0..4)
        .map(|i| s.post("work", json!({ "i": i }), ""))
        .collect();
    for id in &ids {
        s.wait_state(id, "succeeded", SHORT);
    }
    // the next sample is taken 3 s after the first at the earliest
    std::thread::sleep(Duration::from_millis(3100).saturating_sub(started.elapsed()));
    let o = eventually(SHORT, || {
        let o = s.get_json("/v1/overview");
        (o["leader"].is_string() && !o["throughput"].as_array()?.is_empty()).then_some(o)
    })
    .expect("a leader and a throughput interval");
    let q = &o["queues"][0];
    assert_eq!(q["queue"], "work");
    assert_eq!(q["totals"]["succeeded"], 4);
    assert_eq!(o["workers"].as_array().map(Vec::len), Some(1));
    let iv = &o["throughput"][0];
    assert_eq!(iv["succeeded"], 4, "{iv}");
    assert_eq!(iv["enqueued"], 4, "{iv}");
    assert!(iv["seconds"].as_f64().unwrap_or(0.0) >= 3.0, "{iv}");

    // payloads come back byte for byte with their type, inline or stored apart
    let png: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0, 0xff, 0xfe, 13, 10];
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut posted = Vec::new();
    for (bytes, ct) in [(png, "image/png"), (big, "application/octet-stream")] {
        let res = s
            .http
            .post(s.url("/v1/queues/idle/jobs"))
            .header("content-type", ct)
            .body(bytes.clone())
            .send()
            .expect("POST");
        let id = res.json::<Value>().expect("JSON")["id"]
            .as_str()
            .expect("id")
            .to_string();
        let res = s.get(&format!("/v1/jobs/{id}/payload"));
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(header(&res, "content-type"), ct);
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(res.bytes().expect("bytes").to_vec(), bytes);
        posted.push(id);
    }
    // a finished job keeps no payload; an unknown one is 404; a bad id 400
    let res = s
        .http
        .delete(s.url(&format!("/v1/jobs/{}", posted[0])))
        .send()
        .expect("DELETE");
    assert_eq!(res.status().as_u16(), 200);
    let res = s.get(&format!("/v1/jobs/{}/payload", posted[0]));
    assert_eq!(res.status().as_u16(), 410);
    assert_eq!(
        res.json::<Value>().expect("JSON")["error"]["code"],
        "payload_gone"
    );
    let res = s.get(&format!("/v1/jobs/{}/payload", ids[0]));
    assert_eq!(
        res.status().as_u16(),
        410,
        "succeeded jobs keep only their result"
    );
    let res = s.get("/v1/jobs/idle.01ARZ3NDEKTSV4RRFFQ69G5FAV/payload");
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        res.json::<Value>().expect("JSON")["error"]["code"],
        "not_found"
    );
    assert_eq!(s.get("/v1/jobs/nope/payload").status().as_u16(), 400);

    // a dead job keeps its payload (it can be requeued)
    let dead = s.post("doomed", json!({"x": 1}), "?max_retries=0");
    let _f = s.worker(&["--queue", "doomed", "--builtin", "fail"]);
    s.wait_state(&dead, "dead", SHORT);
    let res = s.get(&format!("/v1/jobs/{dead}/payload"));
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().expect("text"), r#"{"x":1}"#);
}

#[test]
fn read_only_refuses_every_action_but_serves_reads_and_submits() {
    let s = Stack::start(&["--ui-read-only"]);
    let id = s.post("ro", json!({}), "");
    let html = s.get("/ui").text().expect("html");
    assert!(html.contains(r#"data-read-only="true""#));
    for (method, path, body) in [
        ("POST", "/v1/queues/ro/pause".to_string(), None),
        ("POST", "/v1/queues/ro/resume".to_string(), None),
        ("DELETE", format!("/v1/jobs/{id}"), None),
        (
            "POST",
            "/v1/queues/ro/dead/requeue".to_string(),
            Some(json!({"all": true})),
        ),
        ("DELETE", "/v1/queues/ro/dead".to_string(), None),
    ] {
        let req = match method {
            "POST" => s.http.post(s.url(&path)),
            _ => s.http.delete(s.url(&path)),
        };
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(b.to_string()),
            None => req,
        };
        let res = req.send().expect("send");
        assert_eq!(res.status().as_u16(), 403, "{method} {path}");
        let v: Value = res.json().expect("JSON");
        assert_eq!(v["error"]["code"], "read_only", "{v}");
    }
    // nothing changed, and reads work
    assert_eq!(s.state(&id), "pending");
    assert_eq!(s.get_json("/v1/queues/ro")["paused"], false);
    assert_eq!(s.get_json("/v1/overview")["queues"][0]["pending"], 1);

    // the token is checked first: without it, 401 whatever the mode
    let both = Stack::start(&["--ui-read-only", "--token", TOKEN]);
    let res = both
        .http
        .post(both.url("/v1/queues/ro/pause"))
        .send()
        .expect("POST");
    assert_eq!(res.status().as_u16(), 401);
    let res = both
        .authed(both.http.post(both.url("/v1/queues/ro/pause")))
        .send()
        .expect("POST");
    assert_eq!(res.status().as_u16(), 403);
}

// ---- in the browser -------------------------------------------------------------------

#[test]
fn overview_counts_follow_posts_and_drains_without_a_reload() {
    let s = Stack::start(&[]);
    for i in 0..3 {
        s.post("ingest", json!({ "i": i }), "");
    }
    let b = Browser::start();
    s.open(&b, "");
    b.wait_text("3 pending", SHORT, &cell("ingest", "pending"), |t| t == "3");
    // a mark on the document: if the page reloaded, it would be gone
    b.eval("(window.__same_page = 42)");
    s.post("ingest", json!({ "i": 3 }), "");
    s.post("ingest", json!({ "i": 4 }), "?delay=1h");
    b.wait_text("4 pending", SHORT, &cell("ingest", "pending"), |t| t == "4");
    b.wait_text("1 scheduled", SHORT, &cell("ingest", "scheduled"), |t| {
        t == "1"
    });
    let _w = s.worker(&["--queue", "ingest", "--builtin", "echo"]);
    b.wait_text("pending drained", LONG, &cell("ingest", "pending"), |t| {
        t == "0"
    });
    b.wait_text("4 succeeded", SHORT, &cell("ingest", "succeeded"), |t| {
        t == "4"
    });
    b.wait_js(
        "the worker listed",
        SHORT,
        "document.querySelectorAll('tr[data-worker]').length === 1",
    );
    b.wait_js(
        "a reaper leader shown",
        LONG,
        "[...document.querySelectorAll('.card')].some(c => c.textContent.includes('Reaper leader') && !c.textContent.includes('none'))",
    );
    assert_eq!(
        b.eval("window.__same_page"),
        json!(42),
        "the page was not reloaded"
    );
    let requests = assert_only_the_server(&b, &s);
    assert!(requests.iter().any(|u| u.ends_with("/v1/overview")));
    assert_no_console_errors(&b);
}

#[test]
fn job_page_follows_progress_to_the_end_and_cancels() {
    let s = Stack::start(&[]);
    let _w = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--concurrency",
        "2",
    ]);
    let done = s.post("train", json!({"ms": 200}), "");
    s.wait_state(&done, "succeeded", SHORT);

    let b = Browser::start();
    s.open(&b, &format!("#/jobs/{done}"));
    b.wait_text("the final state", SHORT, ".title-row .badge", |t| {
        t == "succeeded"
    });
    b.wait_js(
        "one succeeded attempt",
        SHORT,
        "document.querySelectorAll('tr[data-outcome=\"succeeded\"]').length === 1",
    );
    let result = b.wait_text("the result preview", SHORT, "pre.preview", |t| {
        t.contains("\"ms\": 200")
    });
    assert!(result.contains('{'), "{result}");
    let href = b
        .eval("document.querySelector('a[data-download]').href")
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(href.starts_with("blob:"), "download link: {href}");

    // a long job: the bar moves while it runs, then cancel from the page
    let long = s.post("train", json!({"ms": 15000}), "");
    s.open(&b, &format!("#/jobs/{long}"));
    b.wait_text("running", SHORT, ".title-row .badge", |t| t == "active");
    let percent = |b: &Browser| -> Option<u64> {
        b.eval("document.querySelector('.progress-box [role=progressbar]')?.dataset.percent")
            .as_str()?
            .parse()
            .ok()
    };
    let first = b.wait("progress above 0", SHORT, |b| percent(b).filter(|p| *p > 0));
    let later = b.wait("progress moving", SHORT, |b| {
        percent(b).filter(|p| *p > first)
    });
    assert!(later < 100, "{later}");
    b.wait_text("the payload preview", SHORT, "pre.preview", |t| {
        t.contains("\"ms\": 15000")
    });
    b.click("button[data-action=cancel]");
    b.wait_text(
        "the confirmation",
        SHORT,
        "button[data-action=cancel]",
        |t| t.contains("Really"),
    );
    b.click("button[data-action=cancel]");
    b.wait_text("cancelled on the page", SHORT, ".title-row .badge", |t| {
        t == "cancelled"
    });
    assert_eq!(s.state(&long), "cancelled");
    b.wait_js(
        "the cancelled attempt in the history",
        SHORT,
        "document.querySelectorAll('tr[data-outcome=\"cancelled\"]').length === 1",
    );
    assert!(
        b.find("button[data-action=cancel]").is_none(),
        "no cancel on a cancelled job"
    );
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn dead_letters_requeue_one_purge_the_rest_and_pause_resume_hand_out() {
    let s = Stack::start(&[]);
    let ids: Vec<String> = (0..3)
        .map(|i| s.post("flaky", json!({ "i": i }), "?max_retries=0"))
        .collect();
    {
        let _fail = s.worker(&["--queue", "flaky", "--builtin", "fail", "--no-reaper"]);
        for id in &ids {
            s.wait_state(id, "dead", SHORT);
        }
    } // the failing worker is gone

    let b = Browser::start();
    s.open(&b, "#/queues/flaky?state=dead");
    b.wait_js(
        "three dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 3",
    );
    b.click(&format!(
        "tr[data-job=\"{}\"] button[data-action=requeue]",
        ids[0]
    ));
    b.wait_js(
        "two dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 2",
    );
    assert_eq!(s.state(&ids[0]), "pending");
    b.click("button[data-action=purge]");
    b.wait_text(
        "the confirmation",
        SHORT,
        "button[data-action=purge]",
        |t| t.contains("for good"),
    );
    b.click("button[data-action=purge]");
    b.wait_js(
        "no dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 0",
    );
    assert_eq!(s.get_json("/v1/queues/flaky")["dead"], 0);
    assert_eq!(
        s.get(&format!("/v1/jobs/{}", ids[1])).status().as_u16(),
        404
    );
    b.wait_text("the tab count", SHORT, "[data-count=dead]", |t| t == "0");

    // pause from the page: a worker hands nothing out; resume: the job runs
    b.click("button[data-action=pause]");
    b.wait_text("paused badge", SHORT, ".title-row .badge", |t| {
        t == "paused"
    });
    assert_eq!(s.get_json("/v1/queues/flaky")["paused"], true);
    let _echo = s.worker(&["--queue", "flaky", "--builtin", "echo"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        s.state(&ids[0]),
        "pending",
        "a paused queue hands nothing out"
    );
    b.click("button[data-action=resume]");
    b.wait_text("running badge", SHORT, ".title-row .badge", |t| {
        t == "running"
    });
    s.wait_state(&ids[0], "succeeded", SHORT);
    b.wait_text("pending count 0", SHORT, "[data-count=pending]", |t| {
        t == "0"
    });
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn with_a_token_nothing_shows_before_sign_in_and_a_wrong_token_is_told() {
    let s = Stack::start(&["--token", TOKEN]);
    s.post("secret-queue", json!({}), "");
    let b = Browser::start();
    s.open(&b, "");
    b.wait("the sign-in form", SHORT, |b| b.find("#token"));
    std::thread::sleep(Duration::from_millis(300));
    let before = assert_only_the_server(&b, &s);
    assert!(
        !before.iter().any(|u| u.contains("/v1/")),
        "asked the API before sign-in: {before:?}"
    );
    assert!(!b.page_text().contains("secret-queue"));
    assert_eq!(b.eval("document.getElementById('nav').hidden"), json!(true));

    b.type_into("#token", "not-the-token");
    b.click("button[data-action=sign-in]");
    b.wait_text("the refusal", SHORT, "#login-msg", |t| {
        t.contains("refused")
    });
    assert_eq!(b.eval("sessionStorage.getItem('mlqd.token')"), Value::Null);
    assert!(!b.page_text().contains("secret-queue"));
    let errors = b.console();
    assert!(
        errors.iter().all(|e| e.contains("401")),
        "only the refused check may show in the console: {errors:#?}"
    );

    b.clear("#token");
    b.type_into("#token", TOKEN);
    b.click("button[data-action=sign-in]");
    b.wait_text(
        "the queue after sign-in",
        SHORT,
        &cell("secret-queue", "pending"),
        |t| t == "1",
    );
    assert_eq!(b.eval("sessionStorage.getItem('mlqd.token')"), json!(TOKEN));
    assert_eq!(
        b.eval("localStorage.length"),
        json!(0),
        "the token is kept for the tab only"
    );
    assert_eq!(b.eval("document.cookie"), json!(""));
    let after = assert_only_the_server(&b, &s);
    assert!(
        after.iter().all(|u| !u.contains(TOKEN)),
        "the token never travels in a URL"
    );
    assert_no_console_errors(&b);
}

#[test]
fn read_only_pages_offer_no_action() {
    let s = Stack::start(&["--ui-read-only"]);
    let pending = s.post("ro", json!({}), "");
    let dead = s.post("ro-dead", json!({}), "?max_retries=0");
    let _fail = s.worker(&["--queue", "ro-dead", "--builtin", "fail"]);
    s.wait_state(&dead, "dead", SHORT);

    let b = Browser::start();
    let no_actions = |b: &Browser, page: &str| {
        assert!(
            b.find("button[data-action]").is_none(),
            "{page} has an action button"
        );
        let labels = texts(b, "button");
        assert!(
            labels
                .iter()
                .all(|l| !["Pause", "Resume", "Cancel", "Requeue", "Purge"]
                    .iter()
                    .any(|w| l.contains(w))),
            "{page} buttons: {labels:?}"
        );
    };
    s.open(&b, "");
    b.wait_text("the overview", SHORT, &cell("ro", "pending"), |t| t == "1");
    assert_eq!(
        b.eval("document.getElementById('mode').hidden"),
        json!(false)
    );
    no_actions(&b, "overview");
    s.open(&b, "#/queues/ro-dead?state=dead");
    b.wait_js(
        "the dead row",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 1",
    );
    no_actions(&b, "dead letters");
    s.open(&b, "#/queues/ro");
    b.wait_text("the queue", SHORT, ".title-row .badge", |t| t == "running");
    no_actions(&b, "queue");
    for id in [&pending, &dead] {
        s.open(&b, &format!("#/jobs/{id}"));
        b.wait_js(
            "the job",
            SHORT,
            &format!("document.querySelector('.title-row .id')?.innerText === '{id}'"),
        );
        b.wait_js(
            "its details",
            SHORT,
            "document.querySelectorAll('.facts dt').length > 5",
        );
        no_actions(&b, "job");
    }
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

/// Screenshots for the README, from a lively scene. Run on purpose:
/// `MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored`.
#[test]
#[ignore = "writes screenshots: MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored"]
fn screenshots() {
    let dir = std::path::PathBuf::from(
        std::env::var("MLQD_SCREENSHOTS").expect("set MLQD_SCREENSHOTS=<dir> (e.g. docs)"),
    );
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let s = Stack::start(&[]);
    // a job that loses its first worker, then runs again with progress
    let first = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--lease",
        "2s",
        "--no-reaper",
    ]);
    let train = s.post(
        "train",
        json!({"ms": 120000, "model": "resnet50", "epochs": 3}),
        "?priority=5",
    );
    s.wait_state(&train, "active", SHORT);
    std::thread::sleep(Duration::from_millis(1500));
    drop(first);
    let _trainer = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--concurrency",
        "2",
    ]);
    let _embedder = s.worker(&[
        "--queue",
        "embed",
        "--builtin",
        "sleep",
        "--concurrency",
        "8",
    ]);
    let _scorer = s.worker(&[
        "--queue",
        "score",
        "--builtin",
        "fail",
        "--concurrency",
        "2",
    ]);
    for i in 0..4 {
        s.post("score", json!({ "batch": i }), "?max_retries=0");
    }
    for i in 0..5 {
        s.post("reports", json!({ "day": i }), "?delay=2h");
    }
    let b = Browser::start();
    b.set_size(1280, 800);
    s.open(&b, "");
    // a varying load for ~40 s so the throughput chart has a shape
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(40) {
        let burst = 4 + (i % 7) * 3;
        for _ in 0..burst {
            s.post("embed", json!({"ms": 150 + (i % 5) * 40, "text": "…"}), "");
        }
        i += 1;
        std::thread::sleep(Duration::from_millis(900));
    }
    for j in 0..30 {
        s.post("embed", json!({"ms": 400, "doc": j}), "");
    }
    s.wait_state(&train, "active", LONG);
    std::thread::sleep(Duration::from_millis(2500));
    b.screenshot(&dir.join("dashboard-overview.png"));
    s.open(&b, &format!("#/jobs/{train}"));
    b.wait("progress past a third", LONG, |b| {
        b.eval(
            "Number(document.querySelector('.progress-box [role=progressbar]')?.dataset.percent)",
        )
        .as_u64()
        .filter(|p| *p >= 30)
    });
    b.wait_js(
        "the payload",
        SHORT,
        "document.querySelector('pre.preview')",
    );
    std::thread::sleep(Duration::from_millis(500));
    b.screenshot(&dir.join("dashboard-job.png"));
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}
