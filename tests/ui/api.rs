//! The files `/ui` serves and the API routes the dashboard relies on, over plain HTTP.

use std::time::{Duration, Instant};

use crate::common::eventually;
use crate::stack::{SHORT, Stack, TOKEN, header};
use serde_json::{Value, json};

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
    s.cli(&["cron", "set", "nightly", "--every", "1h", "--queue", "ro"]);
    let html = s.get("/ui").text().expect("html");
    assert!(html.contains(r#"data-read-only="true""#));
    // every operation the server documents that is not a read, found in its own OpenAPI
    // document (so a route added later is covered): refused with 403 read_only, and
    // documented so, except posting jobs. Bodies that would change something if let through.
    let doc = s.get_json("/openapi.json");
    let body_for = |path: &str| match path {
        "/v1/queues/{queue}/limits" => json!({"rate": "1/s", "max_active": 1}),
        "/v1/schedules/{name}" => json!({"every": "2h", "queue": "ro"}),
        "/v1/queues/{queue}/dead/requeue" => json!({"all": true}),
        _ => json!({}),
    };
    let mut refused = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let submit = matches!(
                path.as_str(),
                "/v1/queues/{queue}/jobs" | "/v1/queues/{queue}/jobs:batch"
            );
            assert_eq!(
                op["responses"]["403"].is_object(),
                !submit,
                "{method} {path}: the document says it is refused under --ui-read-only iff it is"
            );
            if submit {
                continue;
            }
            let url = s.url(
                &path
                    .replace("{queue}", "ro")
                    .replace("{id}", &id)
                    .replace("{name}", "nightly"),
            );
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let res = s
                .http
                .request(m, url)
                .header("content-type", "application/json")
                .body(body_for(path).to_string())
                .send()
                .expect("send");
            assert_eq!(res.status().as_u16(), 403, "{method} {path}");
            let v: Value = res.json().expect("JSON");
            assert_eq!(v["error"]["code"], "read_only", "{method} {path}: {v}");
            refused.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    for action in [
        "POST /v1/queues/{queue}/pause",
        "POST /v1/queues/{queue}/resume",
        "PUT /v1/queues/{queue}/limits",
        "DELETE /v1/jobs/{id}",
        "POST /v1/queues/{queue}/dead/requeue",
        "DELETE /v1/queues/{queue}/dead",
        "PUT /v1/schedules/{name}",
        "DELETE /v1/schedules/{name}",
    ] {
        assert!(
            refused.iter().any(|r| r == action),
            "{action} not tried: {refused:?}"
        );
    }
    assert_eq!(
        s.post_batch("ro", &[json!({"n": 1})]).len(),
        1,
        "batches are submissions too"
    );
    // nothing changed, and reads work
    let schedules = s.get_json("/v1/schedules");
    assert_eq!(schedules[0]["name"], "nightly", "{schedules}");
    assert_eq!(schedules[0]["every"], "1h", "{schedules}");
    assert_eq!(s.get_json("/v1/queues/ro")["limits"], Value::Null);
    // nothing changed, and reads work
    assert_eq!(s.state(&id), "pending");
    assert_eq!(s.get_json("/v1/queues/ro")["paused"], false);
    assert_eq!(s.get_json("/v1/overview")["queues"][0]["pending"], 2);

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
fn up_serves_the_dashboard_and_takes_its_flags() {
    let s = Stack::up(&["--ui-read-only"]);
    let html = s.get("/ui").text().expect("html");
    assert!(html.contains(r#"data-read-only="true""#), "{html}");
    let res = s
        .http
        .post(s.url("/v1/queues/q/pause"))
        .send()
        .expect("POST");
    assert_eq!(res.status().as_u16(), 403);
    // jobs still run: up's worker takes them
    let id = s.post("default", json!({"hi": 1}), "");
    s.wait_state(&id, "succeeded", SHORT);

    let off = Stack::up(&["--no-ui"]);
    assert_eq!(off.get("/ui").status().as_u16(), 404);
    assert_eq!(off.get("/v1/queues").status().as_u16(), 200);
}
