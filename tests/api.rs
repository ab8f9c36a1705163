//! `mlqd serve` end to end: the real binary on an ephemeral port, a private redis-server,
//! real workers, and an HTTP client (reqwest). Every error answer is checked for the
//! `{"error":{"code","message"}}` shape, and every refused request for leaving Redis alone.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{
    RedisServer, Server, assert_error, assert_error_in, eventually, header, http, http_with, mlqd,
    namespace, post_json, queue_keys, read_events, status_of, submit, worker,
};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

const UNKNOWN_ID: &str = "default.01ARZ3NDEKTSV4RRFFQ69G5FAV";

#[test]
fn a_job_posted_to_one_server_is_read_waited_on_and_cancelled_through_another() {
    let r = RedisServer::start();
    let ns = namespace();
    let a = Server::start(&r, &ns, &[]);
    let b = Server::start(&r, &ns, &[]);
    let c = http();

    // read through the other server
    let id = submit(&c, &a, "predict", &json!({"text": "hello"}));
    assert!(id.starts_with("predict."), "{id}");
    let st = status_of(&c, &b, &id);
    assert_eq!(st["id"], id.as_str());
    assert_eq!(st["state"], "pending");

    // wait through the other server: the long-poll is parked before any worker exists
    let url = b.url(&format!("/v1/jobs/{id}/result?wait=20s"));
    let waiter = std::thread::spawn(move || {
        let res = http().get(url).send().expect("long-poll");
        let status = res.status();
        (status, res.text().expect("body"))
    });
    std::thread::sleep(Duration::from_millis(300));
    let _w = worker(&r, &ns, &["--queue", "predict", "--builtin", "echo"]);
    let (status, body) = waiter.join().expect("waiter");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"text":"hello"}"#);
    assert_eq!(status_of(&c, &a, &id)["state"], "succeeded");

    // cancel through the other server
    let id = submit(&c, &a, "later", &json!({}));
    let res = c.delete(b.url(&format!("/v1/jobs/{id}"))).send().unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().unwrap();
    assert_eq!(v["state"], "cancelled");
    assert_eq!(v["previous_state"], "pending");
    assert_eq!(status_of(&c, &a, &id)["state"], "cancelled");
}

/// Script calls Redis has served so far (every job read or change is one).
fn script_calls(r: &RedisServer) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut r.conn())
        .expect("INFO commandstats");
    info.lines()
        .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// Waits (at most 20 s) until Redis has run at least `least` scripts and none for
/// 300 ms; returns the count then.
fn settled_script_calls(r: &RedisServer, least: u64) -> u64 {
    let mut last = script_calls(r);
    let mut still_since = std::time::Instant::now();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = script_calls(r);
        if now != last {
            last = now;
            still_since = std::time::Instant::now();
        } else if now >= least && still_since.elapsed() >= Duration::from_millis(300) {
            return now;
        }
        if std::time::Instant::now() > deadline {
            return now;
        }
    }
}

#[test]
fn waiters_share_one_subscription_per_process_and_never_poll() {
    let r = RedisServer::start();
    let ns = namespace();
    let a = Server::start(&r, &ns, &[]);
    let b = Server::start(&r, &ns, &[]);
    let c = http();
    let id = submit(&c, &a, "idle", &json!({"n": 1}));
    let submitted = script_calls(&r);
    // three event streams on one server, two long-polls on the other
    let streams: Vec<Response> = (0..3)
        .map(|_| {
            c.get(a.url(&format!("/v1/jobs/{id}/events")))
                .send()
                .unwrap()
        })
        .collect();
    let polls: Vec<_> = (0..2)
        .map(|_| {
            let url = b.url(&format!("/v1/jobs/{id}/result?wait=30s"));
            std::thread::spawn(move || {
                let res = http().get(url).send().expect("long-poll");
                (res.status(), res.text().unwrap_or_default())
            })
        })
        .collect();
    // every waiter has made its one read of the job (5 of them) and parked; under load
    // that takes longer than any fixed pause
    let parked = settled_script_calls(&r, submitted + 5);
    let channel = common::keys(&ns).events_channel();
    let numsub: (String, u64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(&channel)
        .query(&mut r.conn())
        .expect("PUBSUB NUMSUB");
    assert_eq!(numsub.1, 2, "one subscription per serve process");
    // while nothing happens to the job, nobody reads it
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(script_calls(&r), parked, "a waiter polled redis");
    // the job runs: every waiter hears of it
    let _w = worker(&r, &ns, &["--queue", "idle", "--builtin", "echo"]);
    for p in polls {
        let (status, body) = p.join().expect("poll thread");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"n":1}"#);
    }
    for res in streams {
        let events = read_events(res);
        assert_eq!(events.last().unwrap().1["state"], "succeeded");
    }
}

#[test]
fn submit_and_read_answers_with_their_status_codes() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();

    // 201: Location, X-Mlqd-Job-Id, the payload's content type kept
    let res = c
        .post(s.url("/v1/queues/images/jobs?priority=5&max_retries=1&timeout=2s"))
        .header("content-type", "image/png")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = header(&res, "x-mlqd-job-id");
    assert_eq!(header(&res, "location"), format!("/v1/jobs/{id}"));
    let v: Value = res.json().unwrap();
    assert_eq!(v, json!({"id": id, "state": "pending"}));
    let st = status_of(&c, &s, &id);
    assert_eq!(st["content_type"], "image/png");
    assert_eq!(st["priority"], 5);
    assert_eq!(st["max_retries"], 1);
    assert_eq!(st["timeout"], "2s");
    // the HTTP status is exactly what `mlqd status --json` prints
    assert_eq!(st, common::status_json(&r, &ns, &id));

    // delay: scheduled
    let res = post_json(&c, &s.url("/v1/queues/images/jobs?delay=1h"), &json!({}));
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().unwrap()["state"], "scheduled");

    // 200: an idempotent repeat returns the first job
    let post_keyed = || {
        c.post(s.url("/v1/queues/images/jobs"))
            .header("content-type", "application/json")
            .header("idempotency-key", "order-42")
            .body("{}")
            .send()
            .unwrap()
    };
    let first = post_keyed();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_id = header(&first, "x-mlqd-job-id");
    let again = post_keyed();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(header(&again, "x-mlqd-job-id"), first_id);
    assert_eq!(again.json::<Value>().unwrap()["id"], first_id.as_str());

    // 202 + Retry-After while unfinished
    let res = c
        .get(s.url(&format!("/v1/jobs/{id}/result")))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&res, "retry-after"), "1");
    assert_eq!(res.json::<Value>().unwrap()["state"], "pending");

    // 409: a cancelled job has no result; cancelling twice is fine
    let cancelled = submit(&c, &s, "images", &json!({}));
    let del = || {
        c.delete(s.url(&format!("/v1/jobs/{cancelled}")))
            .send()
            .unwrap()
    };
    assert_eq!(del().status(), StatusCode::OK);
    assert_eq!(del().status(), StatusCode::OK);
    let res = c
        .get(s.url(&format!("/v1/jobs/{cancelled}/result")))
        .send()
        .unwrap();
    assert_error(res, 409, "job_cancelled");

    // 409: cancelling a succeeded job
    let _w = worker(&r, &ns, &["--queue", "done", "--builtin", "echo"]);
    let res = post_json(
        &c,
        &s.url("/v1/queues/done/jobs?wait=20s"),
        &json!({"x": 1}),
    );
    assert_eq!(res.status(), StatusCode::OK);
    let done = header(&res, "x-mlqd-job-id");
    let res = c.delete(s.url(&format!("/v1/jobs/{done}"))).send().unwrap();
    assert_error(res, 409, "conflict");

    // 404s
    for path in [
        format!("/v1/jobs/{UNKNOWN_ID}"),
        format!("/v1/jobs/{UNKNOWN_ID}/result"),
        format!("/v1/jobs/{UNKNOWN_ID}/result.png"),
        format!("/v1/jobs/{UNKNOWN_ID}/events"),
        format!("/v1/jobs/{UNKNOWN_ID}/stream"),
        "/v1/queues/never-used".to_string(),
    ] {
        assert_error(c.get(s.url(&path)).send().unwrap(), 404, "not_found");
    }
    let res = c
        .delete(s.url(&format!("/v1/jobs/{UNKNOWN_ID}")))
        .send()
        .unwrap();
    assert_error(res, 404, "not_found");
    assert_error(c.get(s.url("/v1/nope")).send().unwrap(), 404, "no_route");
    assert_error(
        c.put(s.url("/v1/queues")).send().unwrap(),
        405,
        "method_not_allowed",
    );
}

#[test]
fn bad_input_gets_a_4xx_and_stores_nothing() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let json_post = |path: &str, body: &str| {
        c.post(s.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    for (path, body, word) in [
        ("/v1/queues/bad.name/jobs", "{}", "queue name"),
        ("/v1/queues/q/jobs", "{not json", "JSON"),
        ("/v1/queues/q/jobs?priority=101", "{}", "priority"),
        ("/v1/queues/q/jobs?priority=high", "{}", "priority"),
        ("/v1/queues/q/jobs?delay=soon", "{}", "delay"),
        (
            "/v1/queues/q/jobs?delay=1s&run_at=2030-01-01T00:00:00Z",
            "{}",
            "run_at",
        ),
        ("/v1/queues/q/jobs?run_at=tomorrow", "{}", "tomorrow"),
        ("/v1/queues/q/jobs?max_retries=-1", "{}", "max_retries"),
        ("/v1/queues/q/jobs?callback=ftp://x", "{}", "URL"),
        ("/v1/queues/q/jobs?prio=1", "{}", "prio"),
        ("/v1/queues/q/jobs?wait=1h", "{}", "wait"),
        ("/v1/queues/q/jobs:batch", "[]", "at least one"),
        ("/v1/queues/q/jobs:batch", "{\"a\":1}", "JSON"),
        ("/v1/queues/q/jobs:batch", "[1, 2", "JSON"),
        ("/v1/queues/q/dead/requeue", "{}", "ids"),
        (
            "/v1/queues/q/dead/requeue",
            r#"{"ids":["other.01ARZ3NDEKTSV4RRFFQ69G5FAV"]}"#,
            "not in queue q",
        ),
    ] {
        let body = assert_error(json_post(path, body), 400, "invalid");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(word), "{path}: {msg}");
    }
    for path in ["/v1/jobs/not-an-id", "/v1/queues/q/dead?limit=lots"] {
        assert_error(c.get(s.url(path)).send().unwrap(), 400, "invalid");
    }
    let res = c
        .post(s.url("/v1/queues/q/jobs"))
        .header("content-type", "application/json")
        .header(
            "idempotency-key",
            reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    // a JSON route with another content type
    let res = c
        .post(s.url("/v1/queues/q/jobs:batch"))
        .header("content-type", "text/plain")
        .body("[1]")
        .send()
        .unwrap();
    assert_error(res, 415, "unsupported_media_type");
    // requeue of ids that are not dead: 404, nothing requeued
    let res = json_post(
        "/v1/queues/q/dead/requeue",
        &json!({"ids": ["q.01ARZ3NDEKTSV4RRFFQ69G5FAV"]}).to_string(),
    );
    assert_error(res, 404, "not_found");
    assert_eq!(
        r.keys(&ns),
        Vec::<String>::new(),
        "a refused request stored something"
    );
}

#[test]
fn bearer_token_guards_every_v1_route_but_not_the_probes() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &["--token", "s3cret-token"]);
    let c = http();
    let doc: Value = c
        .get(s.url("/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/v1/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let url = s.url(&fill(path));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = c.request(m.clone(), &url).send().unwrap();
            assert_eq!(header(&res, "www-authenticate"), "Bearer realm=\"mlqd\"");
            assert_error(res, 401, "unauthorized");
            let res = c
                .request(m, &url)
                .bearer_auth("s3cret-tokeX")
                .send()
                .unwrap();
            assert_error(res, 401, "unauthorized");
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} routes checked");
    // the right token works
    let res = c
        .post(s.url("/v1/queues/default/jobs"))
        .bearer_auth("s3cret-token")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // probes, metrics and the document stay open
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(
            c.get(s.url(path)).send().unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }
    // --metrics-token guards /metrics only
    let m = Server::start(&r, &ns, &["--metrics-token", "m3trics"]);
    assert_error(
        c.get(m.url("/metrics")).send().unwrap(),
        401,
        "unauthorized",
    );
    let res = c
        .get(m.url("/metrics"))
        .bearer_auth("m3trics")
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // auth off: /v1 is open
    let res = post_json(&c, &m.url("/v1/queues/default/jobs"), &json!({}));
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// A concrete URL for an OpenAPI path template.
fn fill(path: &str) -> String {
    path.replace("{queue}", "default")
        .replace("{id}", UNKNOWN_ID)
        .replace("{ext}", "json")
}

#[test]
fn openapi_document_matches_the_routes_served() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let res = c.get(s.url("/openapi.json")).send().unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // every route of the spec is documented
    let spec = [
        ("post", "/v1/queues/{queue}/jobs"),
        ("post", "/v1/queues/{queue}/jobs:batch"),
        ("get", "/v1/jobs/{id}"),
        ("delete", "/v1/jobs/{id}"),
        ("get", "/v1/jobs/{id}/result"),
        ("get", "/v1/jobs/{id}/result.{ext}"),
        ("get", "/v1/jobs/{id}/events"),
        ("get", "/v1/jobs/{id}/stream"),
        ("get", "/v1/jobs/{id}/payload"),
        ("get", "/v1/overview"),
        ("get", "/v1/queues"),
        ("get", "/v1/queues/{queue}"),
        ("post", "/v1/queues/{queue}/pause"),
        ("post", "/v1/queues/{queue}/resume"),
        ("put", "/v1/queues/{queue}/limits"),
        ("get", "/v1/queues/{queue}/jobs"),
        ("get", "/v1/schedules"),
        ("put", "/v1/schedules/{name}"),
        ("delete", "/v1/schedules/{name}"),
        ("get", "/v1/queues/{queue}/dead"),
        ("post", "/v1/queues/{queue}/dead/requeue"),
        ("delete", "/v1/queues/{queue}/dead"),
        ("get", "/v1/workers"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
    ];
    for (m, p) in spec {
        assert!(doc["paths"][p][m].is_object(), "{m} {p} is not documented");
    }
    // every documented operation is served (no `no_route`, no 405)…
    let mut ops = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = c
                .request(m, s.url(&fill(path)))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().unwrap_or(Value::Null);
            assert_ne!(status, 405, "{method} {path}");
            assert_ne!(body["error"]["code"], "no_route", "{method} {path}");
            ops += 1;
        }
    }
    assert_eq!(ops, spec.len(), "documented operations beyond the spec's");
    // …and the check does catch a route that is not served
    let res = c.get(s.url("/v1/jobs/x/y/z")).send().unwrap();
    assert_error(res, 404, "no_route");
}

#[test]
fn schema_checks_json_payloads_of_its_queue() {
    let r = RedisServer::start();
    let ns = namespace();
    let schema = common::write_temp(
        "schema.json",
        json!({
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string"}, "top_k": {"type": "integer", "minimum": 1}}
        })
        .to_string()
        .as_bytes(),
    );
    let arg = format!("predict={}", schema.display());
    let s = Server::start(&r, &ns, &["--schema", &arg]);
    let c = http();
    let url = s.url("/v1/queues/predict/jobs");

    let body = assert_error(
        post_json(&c, &url, &json!({"text": 5})),
        422,
        "schema_violation",
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("/text"),
        "{body}"
    );
    assert_eq!(body["error"]["details"][0]["path"], "/text");
    let body = assert_error(
        post_json(&c, &url, &json!({"top_k": 0})),
        422,
        "schema_violation",
    );
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("\"text\"") && msg.contains("/top_k"), "{msg}");
    // a batch is refused whole, naming the job
    let body = assert_error(
        post_json(
            &c,
            &s.url("/v1/queues/predict/jobs:batch"),
            &json!([{"text": "a"}, {"text": 1}]),
        ),
        422,
        "schema_violation",
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("job 1: "),
        "{body}"
    );
    // a queue with a schema takes JSON only
    let res = c
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .unwrap();
    assert_error(res, 415, "unsupported_media_type");
    assert_eq!(
        r.keys(&ns),
        Vec::<String>::new(),
        "a refused payload was stored"
    );

    // passing payloads, and queues without a schema
    submit(&c, &s, "predict", &json!({"text": "hi", "top_k": 3}));
    let res = post_json(
        &c,
        &s.url("/v1/queues/predict/jobs:batch"),
        &json!([{"text": "a"}, {"text": "b"}]),
    );
    assert_eq!(res.status(), StatusCode::CREATED);
    submit(&c, &s, "other", &json!({"text": 5}));

    // a broken schema file: serve refuses to start (usage error)
    let bad = common::write_temp("bad.json", b"{\"type\": 5}");
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--schema"])
        .arg(format!("q={}", bad.display()));
    let out = common::run(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    let _ = std::fs::remove_file(schema);
    let _ = std::fs::remove_file(bad);
}

#[test]
fn body_and_queue_limits_answer_413_and_429() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(
        &r,
        &ns,
        &[
            "--max-body",
            "1KiB",
            "--max-pending",
            "2",
            "--max-pending",
            "vip=0",
        ],
    );
    let c = http();
    // 413 by Content-Length, and for a chunked body without one
    let res = c
        .post(s.url("/v1/queues/default/jobs"))
        .header("content-type", "application/octet-stream")
        .body(vec![7u8; 2048])
        .send()
        .unwrap();
    assert_error(res, 413, "payload_too_large");
    let chunked = reqwest::blocking::Body::new(std::io::Cursor::new(vec![7u8; 4096]));
    let res = c
        .post(s.url("/v1/queues/default/jobs"))
        .header("content-type", "application/octet-stream")
        .body(chunked)
        .send()
        .unwrap();
    assert_error(res, 413, "payload_too_large");
    let big: Vec<Value> = (0..100)
        .map(|i| json!({"i": i, "pad": "xxxxxxxxxx"}))
        .collect();
    let res = post_json(&c, &s.url("/v1/queues/default/jobs:batch"), &json!(big));
    assert_error(res, 413, "payload_too_large");
    assert_eq!(
        r.keys(&ns),
        Vec::<String>::new(),
        "an oversized body was stored"
    );

    // 429 past --max-pending, counting scheduled jobs too
    submit(&c, &s, "default", &json!({}));
    let res = post_json(&c, &s.url("/v1/queues/default/jobs?delay=1h"), &json!({}));
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = post_json(&c, &s.url("/v1/queues/default/jobs"), &json!({}));
    assert_eq!(header(&res, "retry-after"), "1");
    assert_error(res, 429, "queue_full");
    // a batch that would overflow is refused whole
    let res = post_json(&c, &s.url("/v1/queues/other/jobs:batch"), &json!([1, 2, 3]));
    assert_error(res, 429, "queue_full");
    let v: Value = c.get(s.url("/v1/queues")).send().unwrap().json().unwrap();
    let default = v
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "default")
        .unwrap();
    assert_eq!(default["totals"]["enqueued"], 2);
    assert!(
        !v.as_array().unwrap().iter().any(|q| q["queue"] == "other"),
        "{v}"
    );
    // QUEUE=0 lifts the limit for that queue
    for _ in 0..3 {
        submit(&c, &s, "vip", &json!({}));
    }
}

#[test]
fn wait_answers_with_the_result_or_202_or_409() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let _echo = worker(&r, &ns, &["--queue", "fast", "--builtin", "echo"]);
    let _sleep = worker(&r, &ns, &["--queue", "slow", "--builtin", "sleep"]);
    let _fail = worker(&r, &ns, &["--queue", "doomed", "--builtin", "fail"]);

    // fast: 200 with the result bytes and their content type
    let res = c
        .post(s.url("/v1/queues/fast/jobs?wait=20s"))
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "text/csv");
    let id = header(&res, "x-mlqd-job-id");
    assert!(id.starts_with("fast."), "{id}");
    assert_eq!(res.text().unwrap(), "a,b\n1,2\n");
    // the stored result, with a content type from the extension
    let res = c
        .get(s.url(&format!("/v1/jobs/{id}/result.txt")))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(res.text().unwrap(), "a,b\n1,2\n");

    // slow: 202 with the id when the wait runs out
    let started = Instant::now();
    let res = post_json(
        &c,
        &s.url("/v1/queues/slow/jobs?wait=300ms"),
        &json!({"ms": 1500}),
    );
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert!(started.elapsed() < Duration::from_secs(5));
    let id = header(&res, "x-mlqd-job-id");
    assert_eq!(header(&res, "location"), format!("/v1/jobs/{id}"));
    let v: Value = res.json().unwrap();
    assert_eq!(v["id"], id.as_str());
    assert!(v["state"] == "pending" || v["state"] == "active", "{v}");
    // result?wait= long-polls until it is done
    let res = c
        .get(s.url(&format!("/v1/jobs/{id}/result?wait=20s")))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().unwrap(), json!({"ms": 1500}));

    // doomed: 409 carrying the status JSON
    let res = post_json(
        &c,
        &s.url("/v1/queues/doomed/jobs?wait=20s&max_retries=0"),
        &json!({}),
    );
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let id = header(&res, "x-mlqd-job-id");
    let st: Value = res.json().unwrap();
    assert_eq!(st["id"], id.as_str());
    assert_eq!(st["state"], "dead");
    assert!(st["error"].as_str().unwrap().contains("fail"), "{st}");
    let res = c
        .get(s.url(&format!("/v1/jobs/{id}/result")))
        .send()
        .unwrap();
    assert_error(res, 409, "job_dead");
}

#[test]
fn events_stream_progress_and_end_at_the_terminal_state() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let id = submit(&c, &s, "slow", &json!({"ms": 1200}));
    let res = c
        .get(s.url(&format!("/v1/jobs/{id}/events")))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "content-type").starts_with("text/event-stream"));
    // the stream is open before the job starts
    let _w = worker(&r, &ns, &["--queue", "slow", "--builtin", "sleep"]);
    let started = Instant::now();
    let events = read_events(res);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the stream did not end"
    );
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    let states: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, d)| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["pending", "active", "succeeded"], "{kinds:?}");
    let progress: Vec<u64> = events
        .iter()
        .filter(|(k, _)| k == "progress")
        .map(|(_, d)| d["progress"]["percent"].as_u64().unwrap())
        .collect();
    assert!(progress.len() >= 3, "{kinds:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    for (_, d) in &events {
        assert_eq!(d["id"], id.as_str());
    }
    assert_eq!(events.last().unwrap().1["state"], "succeeded");

    // a finished job: one event, then the end
    let events = read_events(
        c.get(s.url(&format!("/v1/jobs/{id}/events")))
            .send()
            .unwrap(),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "state");
}

#[test]
fn redis_outage_answers_503_fast_and_serve_recovers_by_itself() {
    let mut r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http_with(Duration::from_secs(10));
    let id = submit(&c, &s, "default", &json!({}));
    assert_eq!(
        c.get(s.url("/readyz")).send().unwrap().status(),
        StatusCode::OK
    );

    r.kill();
    let calls: Vec<(&str, String)> = vec![
        ("POST", "/v1/queues/default/jobs".into()),
        ("POST", "/v1/queues/default/jobs?wait=10s".into()),
        ("POST", "/v1/queues/default/jobs:batch".into()),
        ("GET", format!("/v1/jobs/{id}")),
        ("GET", format!("/v1/jobs/{id}/result?wait=10s")),
        ("GET", format!("/v1/jobs/{id}/events")),
        ("GET", format!("/v1/jobs/{id}/stream")),
        ("DELETE", format!("/v1/jobs/{id}")),
        ("GET", "/v1/queues".into()),
        ("POST", "/v1/queues/default/pause".into()),
        ("GET", "/v1/queues/default/dead".into()),
        ("GET", "/v1/workers".into()),
        ("GET", "/readyz".into()),
    ];
    for round in 0..2 {
        for (method, path) in &calls {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let body = if path.contains("batch") { "[{}]" } else { "{}" };
            let started = Instant::now();
            let res = c
                .request(m, s.url(path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            let took = started.elapsed();
            assert!(
                took < Duration::from_secs(2),
                "{method} {path} took {took:?} (round {round})"
            );
            assert_eq!(header(&res, "retry-after"), "1", "{method} {path}");
            // a submit that went out on the connection Redis dropped may have been applied
            // (outcome_unknown, with the id); once the connection is refused, nothing was
            let job_id = header(&res, "x-mlqd-job-id");
            let body = assert_error_in(res, 503, &["redis_unavailable", "outcome_unknown"]);
            if body["error"]["code"] == "outcome_unknown" {
                assert!(
                    method == &"POST" && path.contains("jobs"),
                    "{method} {path}"
                );
                assert!(
                    job_id.starts_with("default."),
                    "{method} {path}: {job_id:?}"
                );
            }
        }
    }
    // the process is alive
    assert_eq!(
        c.get(s.url("/healthz")).send().unwrap().status(),
        StatusCode::OK
    );

    r.restart();
    let back = eventually(Duration::from_secs(15), || {
        let res = post_json(&c, &s.url("/v1/queues/default/jobs"), &json!({})).status();
        (res == StatusCode::CREATED).then_some(())
    });
    assert!(
        back.is_some(),
        "serve did not recover after redis came back"
    );
    assert_eq!(
        c.get(s.url("/readyz")).send().unwrap().status(),
        StatusCode::OK
    );
    // and waiting works again (the event subscription came back too)
    let _w = worker(&r, &ns, &["--builtin", "echo"]);
    let res = post_json(
        &c,
        &s.url("/v1/queues/default/jobs?wait=10s"),
        &json!({"back": true}),
    );
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().unwrap(), json!({"back": true}));
}

/// The pid of a test redis-server, from its own INFO.
fn redis_pid(r: &RedisServer) -> String {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut r.conn())
        .expect("INFO server");
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .expect("process_id")
        .trim()
        .to_string()
}

#[test]
fn hung_redis_answers_503_within_the_timeout_not_a_hang() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let id = submit(&c, &s, "default", &json!({}));
    // a frozen server accepts bytes and never answers: only our own timeout ends a call
    let pid = redis_pid(&r);
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(&pid)
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{sig} {pid}");
    };
    signal("STOP");
    let mut answers = Vec::new();
    for (method, path) in [
        ("POST", "/v1/queues/default/jobs".to_string()),
        ("GET", format!("/v1/jobs/{id}")),
        ("GET", format!("/v1/jobs/{id}/result?wait=10s")),
        ("GET", "/readyz".to_string()),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let started = Instant::now();
        let res = c
            .request(m, s.url(&path))
            .header("content-type", "application/json")
            .body("{}")
            .send();
        answers.push((method, path, started.elapsed(), res));
    }
    signal("CONT");
    let mut sent = String::new();
    for (method, path, took, res) in answers {
        let res = res.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert!(
            took < Duration::from_secs(2),
            "{method} {path} took {took:?}"
        );
        if method == "POST" {
            // sent to a frozen server: it runs the command once it thaws, so the answer is
            // "outcome unknown", with the id to look up
            sent = header(&res, "x-mlqd-job-id");
            assert_error(res, 503, "outcome_unknown");
        } else {
            assert_error(res, 503, "redis_unavailable");
        }
    }
    let stored = eventually(Duration::from_secs(15), || {
        let res = c.get(s.url(&format!("/v1/jobs/{sent}"))).send().ok()?;
        (res.status() == StatusCode::OK).then_some(())
    });
    assert!(
        stored.is_some(),
        "the job sent to the frozen server is stored: {sent}"
    );
    let back = eventually(Duration::from_secs(15), || {
        let res = post_json(&c, &s.url("/v1/queues/default/jobs"), &json!({})).status();
        (res == StatusCode::CREATED).then_some(())
    });
    assert!(back.is_some(), "serve did not recover after redis thawed");
}

#[test]
fn batches_queues_dead_letters_and_workers() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();

    // batch: 201, ids in order, each header-listed; a keyed repeat returns the same jobs
    let post_batch = || {
        c.post(s.url("/v1/queues/doomed/jobs:batch?max_retries=0"))
            .header("content-type", "application/json")
            .header("idempotency-key", "batch-1")
            .body(r#"[{"n":1},{"n":2}]"#)
            .send()
            .unwrap()
    };
    let res = post_batch();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ids_header = header(&res, "x-mlqd-job-id");
    let jobs: Value = res.json().unwrap();
    let ids: Vec<String> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            assert_eq!(j["state"], "pending");
            j["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids_header, ids.join(","));
    assert_eq!(header(&post_batch_of(&c, &s, 2), "x-mlqd-job-count"), "2");
    let again = post_batch();
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().unwrap();
    assert_eq!(again[0]["id"], ids[0].as_str());
    // a full batch: the header stays small (some clients refuse big headers) and names
    // the first job; the count and the body tell the rest
    let res = post_batch_of(&c, &s, 1000);
    assert_eq!(res.status(), StatusCode::CREATED);
    let first = header(&res, "x-mlqd-job-id");
    assert_eq!(header(&res, "x-mlqd-job-count"), "1000");
    let jobs: Value = res.json().unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 1000);
    assert_eq!(first, jobs[0]["id"].as_str().unwrap());

    // pause: a worker takes nothing; resume: it runs them (and they die: `fail`)
    let res = c.post(s.url("/v1/queues/doomed/pause")).send().unwrap();
    assert_eq!(res.json::<Value>().unwrap()["paused"], true);
    let _w = worker(&r, &ns, &["--queue", "doomed", "--builtin", "fail"]);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(status_of(&c, &s, &ids[0])["state"], "pending");
    let res = c.post(s.url("/v1/queues/doomed/resume")).send().unwrap();
    assert_eq!(res.json::<Value>().unwrap()["paused"], false);
    let dead = eventually(Duration::from_secs(15), || {
        let v: Value = c
            .get(s.url("/v1/queues/doomed/dead"))
            .send()
            .ok()?
            .json()
            .ok()?;
        (v["total"] == 2).then_some(v)
    })
    .expect("both jobs dead");
    assert_eq!(dead["jobs"].as_array().unwrap().len(), 2);
    assert_eq!(dead["jobs"][0]["state"], "dead");
    let q: Value = c
        .get(s.url("/v1/queues/doomed"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(q["dead"], 2);

    // workers
    let workers: Value = c.get(s.url("/v1/workers")).send().unwrap().json().unwrap();
    assert!(
        workers
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["queues"] == json!(["doomed"])),
        "{workers}"
    );

    // requeue: one unknown id refuses the whole request
    let res = post_json(
        &c,
        &s.url("/v1/queues/doomed/dead/requeue"),
        &json!({"ids": [ids[0], "doomed.01ARZ3NDEKTSV4RRFFQ69G5FAV"]}),
    );
    assert_error(res, 404, "not_found");
    let v: Value = c
        .get(s.url("/v1/queues/doomed/dead"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["total"], 2);
    let res = post_json(
        &c,
        &s.url("/v1/queues/doomed/dead/requeue"),
        &json!({"ids": [ids[0]]}),
    );
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().unwrap()["requeued"], json!([ids[0]]));
    // the fail worker kills it again
    eventually(Duration::from_secs(15), || {
        let v: Value = c
            .get(s.url("/v1/queues/doomed/dead"))
            .send()
            .ok()?
            .json()
            .ok()?;
        (v["total"] == 2).then_some(())
    })
    .expect("dead again");
    let res = c.delete(s.url("/v1/queues/doomed/dead")).send().unwrap();
    assert_eq!(res.json::<Value>().unwrap()["purged"], 2);
    let v: Value = c
        .get(s.url("/v1/queues/doomed/dead"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["total"], 0);
}

#[test]
fn metrics_count_requests_and_enqueued_jobs() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    for _ in 0..3 {
        submit(&c, &s, "predict", &json!({}));
    }
    let _ = c
        .get(s.url(&format!("/v1/jobs/{UNKNOWN_ID}")))
        .send()
        .unwrap();
    let text = c.get(s.url("/metrics")).send().unwrap().text().unwrap();
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle));
    assert!(
        has(
            r#"mlqd_http_requests_total{method="POST",route="/v1/queues/{queue}/jobs",status="201"} 3"#
        ),
        "{text}"
    );
    assert!(
        has(r#"mlqd_http_requests_total{method="GET",route="/v1/jobs/{id}",status="404"} 1"#),
        "{text}"
    );
    assert!(
        has(r#"mlqd_jobs_enqueued_total{queue="predict"} 3"#),
        "{text}"
    );
    assert!(has("mlqd_http_request_duration_seconds_bucket{"), "{text}");
}

#[test]
fn non_loopback_address_needs_a_token() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["serve", "--listen", "0.0.0.0:0"]);
    let out = common::run(cmd);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--token") && err.contains("--allow-unauthenticated"),
        "{err}"
    );
    // either a token or the explicit opt-out lets it start
    for extra in [
        ["--token", "t0ken"].as_slice(),
        ["--allow-unauthenticated"].as_slice(),
    ] {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["serve", "--listen", "0.0.0.0:0"]).args(extra);
        let s = Server::spawn(cmd);
        let port = s.base.rsplit(':').next().unwrap().to_string();
        let res = http()
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut s = Server::start(&r, &ns, &[]);
    let c = http();
    let id = submit(&c, &s, "idle", &json!({}));
    let submitted = script_calls(&r);
    // a long-poll and an event stream are in flight (no worker: neither would end soon)
    let url = s.url(&format!("/v1/jobs/{id}/result?wait=60s"));
    let poll = std::thread::spawn(move || {
        let res = http()
            .get(url)
            .send()
            .expect("in-flight long-poll answered");
        (res.status(), header(&res, "x-mlqd-job-id"))
    });
    let events = c
        .get(s.url(&format!("/v1/jobs/{id}/events")))
        .send()
        .unwrap();
    // both have read the job once and parked (a fixed pause is not enough under load)
    settled_script_calls(&r, submitted + 2);
    s.proc.signal("TERM");
    let (status, job) = poll.join().expect("poll thread");
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(job, id);
    let seen = read_events(events);
    assert_eq!(seen.len(), 1, "{seen:?}");
    let exit = s
        .proc
        .wait_for(Duration::from_secs(10))
        .expect("serve exited");
    assert_eq!(exit.code(), Some(0));
}

/// Posts a batch of `n` small payloads to the `probe` queue.
fn post_batch_of(c: &Client, s: &Server, n: usize) -> Response {
    let items: Vec<Value> = (0..n).map(|i| json!({ "i": i })).collect();
    post_json(c, &s.url("/v1/queues/probe/jobs:batch"), &json!(items))
}

#[test]
fn an_error_reply_from_redis_is_a_500_for_its_queue_alone() {
    let r = RedisServer::start();
    let ns = namespace();
    // a key of the wrong type where the queue's pending list belongs
    let broken = queue_keys(&ns, "broken");
    let _: () = redis::cmd("SET")
        .arg(broken.pending())
        .arg("not a list")
        .query(&mut r.conn())
        .unwrap();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    for _ in 0..2 {
        let res = post_json(&c, &s.url("/v1/queues/broken/jobs"), &json!({"a": 1}));
        let body = assert_error(res, 500, "internal");
        let msg = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !msg.contains("WRONGTYPE") && !msg.contains("redis://"),
            "{body}"
        );
        // another queue keeps working
        let id = submit(&c, &s, "fine", &json!({"a": 2}));
        assert_eq!(status_of(&c, &s, &id)["state"], "pending");
    }
}
