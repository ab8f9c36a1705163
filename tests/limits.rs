//! Queue limits end to end: `mlqd queues limit`, `PUT /v1/queues/{queue}/limits`, and their
//! enforcement by the claim script across real worker processes: never more than
//! `max_active` running, starts spaced by the token bucket, held-back jobs left pending with
//! no attempt used, workers that wait instead of spinning, bad input refused.

mod common;

use std::time::{Duration, Instant};

use common::{
    Server, assert_error, broker, code, eventually, free_port, http, mlqd, namespace, q,
    queue_keys, quiet_worker, run, scrape, stderr, stdout, try_scrape,
};
use mlqd::limits::{Change, LimitsUpdate};
use serde_json::{Value, json};

fn ms(t: &str) -> i128 {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
        / 1_000_000
}

/// `mlqd ARGS…`, which must succeed; its stdout.
fn ok(r: &common::RedisServer, ns: &str, args: &[&str]) -> String {
    let mut cmd = mlqd(r, ns);
    cmd.args(args);
    let out = run(cmd);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Posts `n` jobs with one `mlqd post` each; their ids.
fn post_many(
    r: &common::RedisServer,
    ns: &str,
    queue: &str,
    n: usize,
    payload: &str,
) -> Vec<String> {
    (0..n)
        .map(|_| ok(r, ns, &["post", "--queue", queue, payload]))
        .collect()
}

fn queue_json(r: &common::RedisServer, ns: &str, queue: &str) -> Value {
    let all: Value = serde_json::from_str(&ok(r, ns, &["queues", "--json"])).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|s| s["queue"] == queue)
        .cloned()
        .unwrap_or_else(|| panic!("no queue {queue} in {all}"))
}

fn statuses(r: &common::RedisServer, ns: &str, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .map(|id| common::status_json(r, ns, id))
        .collect()
}

#[test]
fn max_active_holds_across_workers_and_held_jobs_use_no_attempt() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let out = ok(&r, &ns, &["queues", "limit", "gpu", "--max-active", "2"]);
    assert_eq!(out, "queue gpu: max active 2");
    let ids = post_many(&r, &ns, "gpu", 12, r#"{"ms":300}"#);
    let args = [
        "--queue",
        "gpu",
        "--concurrency",
        "4",
        "--builtin",
        "sleep",
        "--no-reaper",
    ];
    let _workers: Vec<_> = (0..3).map(|_| quiet_worker(&r, &ns, &args)).collect();
    let k = queue_keys(&ns, "gpu");
    let mut c = r.conn();
    let (mut most, mut samples, mut held_pending) = (0u64, 0, false);
    let done = eventually(Duration::from_secs(40), || {
        let (active, pending, succeeded): (u64, u64, Option<u64>) = redis::pipe()
            .zcard(k.active())
            .llen(k.pending())
            .hget(k.stats(), "succeeded")
            .query(&mut c)
            .unwrap();
        most = most.max(active);
        samples += 1;
        if active == 2 && pending > 0 {
            held_pending = true;
        }
        (succeeded == Some(12)).then_some(())
    });
    assert!(done.is_some(), "the 12 jobs did not all succeed");
    assert!(
        samples > 20,
        "too few samples ({samples}) to trust the maximum"
    );
    assert_eq!(
        most, 2,
        "never more than max_active running, and it was reached"
    );
    assert!(held_pending, "jobs waited in pending while 2 ran");
    for st in statuses(&r, &ns, &ids) {
        assert_eq!(st["state"], "succeeded", "{st}");
        assert_eq!(st["attempts"], 1, "a held-back job used an attempt: {st}");
    }
}

#[test]
fn rate_limit_spaces_starts_and_clearing_it_lets_the_rest_run() {
    let r = common::RedisServer::start();
    let ns = namespace();
    ok(&r, &ns, &["queues", "limit", "api", "--rate", "5/s"]);
    let ids = post_many(&r, &ns, "api", 15, "{}");
    let args = [
        "--queue",
        "api",
        "--concurrency",
        "4",
        "--builtin",
        "echo",
        "--no-reaper",
    ];
    let _w1 = quiet_worker(&r, &ns, &args);
    let _w2 = quiet_worker(&r, &ns, &args);
    let all_done = || {
        eventually(Duration::from_secs(30), || {
            let sts = statuses(&r, &ns, &ids);
            sts.iter().all(|s| s["state"] == "succeeded").then_some(sts)
        })
    };
    let sts = all_done().expect("all 15 succeed");
    let starts: Vec<i128> = sts
        .iter()
        .map(|s| ms(s["started_at"].as_str().unwrap()))
        .collect();
    let span = starts.iter().max().unwrap() - starts.iter().min().unwrap();
    // burst 1: the first start takes the saved token, the other 14 one every 200 ms
    assert!(span >= 2600, "15 starts at 5/s spanned only {span} ms");
    assert!(sts.iter().all(|s| s["attempts"] == 1));

    // a slow rate holds the next batch back; clearing it lets them all run at once (the
    // bucket keeps what it saved across a change of rate: let it fill first)
    std::thread::sleep(Duration::from_millis(500));
    ok(&r, &ns, &["queues", "limit", "api", "--rate", "1/m"]);
    let ids = post_many(&r, &ns, "api", 20, "{}");
    let first = eventually(Duration::from_secs(10), || {
        let sts = statuses(&r, &ns, &ids);
        let n = sts.iter().filter(|s| s["state"] == "succeeded").count();
        (n >= 1).then_some(n)
    })
    .expect("the saved token starts one job");
    std::thread::sleep(Duration::from_millis(1500));
    let sts = statuses(&r, &ns, &ids);
    let pending: Vec<&Value> = sts.iter().filter(|s| s["state"] == "pending").collect();
    assert!(
        first <= 1 && pending.len() >= 19,
        "1/m let more than one start"
    );
    for s in pending {
        assert_eq!(s["attempts"], 0, "held back, not started: {s}");
    }
    let out = ok(&r, &ns, &["queues", "limit", "api", "--clear"]);
    assert_eq!(out, "queue api: no limits");
    let cleared = Instant::now();
    let sts = eventually(Duration::from_secs(15), || {
        let sts = statuses(&r, &ns, &ids);
        sts.iter().all(|s| s["state"] == "succeeded").then_some(sts)
    })
    .expect("clearing the limit lets the other 19 run");
    // at 1/m they would have taken 19 minutes
    assert!(cleared.elapsed() < Duration::from_secs(15));
    assert!(sts.iter().all(|s| s["attempts"] == 1));
    assert_eq!(queue_json(&r, &ns, "api")["limits"], Value::Null);
}

#[test]
fn a_held_back_worker_waits_instead_of_spinning() {
    let r = common::RedisServer::start();
    let ns = namespace();
    ok(&r, &ns, &["queues", "limit", "slow", "--rate", "1/h"]);
    post_many(&r, &ns, "slow", 3, "{}");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _w = quiet_worker(
        &r,
        &ns,
        &[
            "--queue",
            "slow",
            "--builtin",
            "echo",
            "--no-reaper",
            "--metrics-listen",
            &listen,
        ],
    );
    let url = format!("http://{listen}/metrics");
    let held = |text: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with("mlqd_queue_limit_held_total{queue=\"slow\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let before = eventually(Duration::from_secs(15), || {
        let t = try_scrape(&url).ok()?;
        (held(&t) >= 1.0).then(|| held(&t))
    })
    .expect("the worker was held back");
    std::thread::sleep(Duration::from_secs(3));
    let after = held(&scrape(&url));
    // one claim per idle period (1 s) at most, not a busy loop
    assert!(
        after - before <= 6.0,
        "held back {} times in 3 s: the worker spins",
        after - before
    );
    let text = scrape(&url);
    assert!(
        text.contains("mlqd_queue_limit_rate_per_second{queue=\"slow\"}"),
        "{text}"
    );
    let q = queue_json(&r, &ns, "slow");
    assert_eq!(q["pending"], 2, "{q}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_report_when_a_limit_lets_the_next_job_start() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let b = broker(&r, &ns);
    let c = common::client(&r, &ns);
    let queue = q("bucket");
    let limits = b
        .set_limits(
            &queue,
            &LimitsUpdate {
                rate: Change::Set("2/s".parse().unwrap()),
                burst: Change::Set(3),
                max_active: Change::Keep,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (limits.rate.as_deref(), limits.burst),
        (Some("2/s"), Some(3))
    );
    for _ in 0..10 {
        c.post(&queue, mlqd::Payload::json(&json!({})), Default::default())
            .await
            .unwrap();
    }
    let lease = Duration::from_secs(30);
    // the full bucket lets a burst of 3 start at once, then none
    let first = b.claim(&queue, "w", 10, lease).await.unwrap();
    assert_eq!(first.jobs.len(), 3);
    assert_eq!(first.held, None);
    let second = b.claim(&queue, "w", 10, lease).await.unwrap();
    assert!(second.jobs.is_empty());
    let wait = second.held.expect("held back by the rate");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(500),
        "next token in {wait:?}"
    );
    tokio::time::sleep(wait).await;
    let third = b.claim(&queue, "w", 10, lease).await.unwrap();
    assert_eq!(third.jobs.len(), 1, "one token came due");
    assert_eq!(b.queue_stats(&queue).await.unwrap().pending, 6);

    // max_active counts every running job of the queue, whoever claimed it
    b.set_limits(
        &queue,
        &LimitsUpdate {
            rate: Change::Clear,
            burst: Change::Keep,
            max_active: Change::Set(5),
        },
    )
    .await
    .unwrap();
    let more = b.claim(&queue, "other", 10, lease).await.unwrap();
    assert_eq!(more.jobs.len(), 1, "4 already run; 1 more may");
    let none = b.claim(&queue, "other", 10, lease).await.unwrap();
    assert!(none.jobs.is_empty() && none.held.is_some());
}

#[test]
fn limits_show_in_queues_http_and_metrics() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let put = |body: Value| {
        c.put(s.url("/v1/queues/predict/limits"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    let res = put(json!({"rate": "10/s", "burst": 10, "max_active": 2}));
    assert_eq!(res.status(), 200);
    let v: Value = res.json().unwrap();
    assert_eq!(
        v["limits"],
        json!({"rate": "10/s", "burst": 10, "max_active": 2})
    );
    // absent keeps, null clears one
    let v: Value = put(json!({"burst": null})).json().unwrap();
    assert_eq!(
        v["limits"],
        json!({"rate": "10/s", "burst": 1, "max_active": 2})
    );
    let v: Value = put(json!({"rate": null})).json().unwrap();
    assert_eq!(
        v["limits"],
        json!({"rate": null, "burst": null, "max_active": 2})
    );
    let one: Value = c
        .get(s.url("/v1/queues/predict"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(one["limits"]["max_active"], 2);
    let all: Value = c.get(s.url("/v1/queues")).send().unwrap().json().unwrap();
    assert_eq!(all[0]["limits"]["max_active"], 2, "{all}");
    let table = ok(&r, &ns, &["queues"]);
    assert!(table.contains("max active 2"), "{table}");
    let metrics = scrape(&s.url("/metrics"));
    assert!(
        metrics.contains("mlqd_queue_limit_max_active{queue=\"predict\"} 2"),
        "{metrics}"
    );
    let v: Value = put(json!({"max_active": null})).json().unwrap();
    assert_eq!(v["limits"], Value::Null);
}

#[test]
fn bad_limits_are_refused_and_store_nothing() {
    let r = common::RedisServer::start();
    let ns = namespace();
    for args in [
        &["queues", "limit", "q1", "--rate", "5/d"][..],
        &["queues", "limit", "q1", "--rate", "fast"],
        &["queues", "limit", "q1", "--rate", "0/s"],
        &["queues", "limit", "q1", "--max-active", "-1"],
        &["queues", "limit", "q1", "--max-active", "0"],
        &["queues", "limit", "q1", "--burst", "0", "--rate", "1/s"],
        &["queues", "limit", "q1", "--burst", "3"],
        &["queues", "limit", "q1"],
        &["queues", "limit", "bad name", "--max-active", "1"],
    ] {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(args);
        let out = run(cmd);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
    assert!(r.keys(&ns).is_empty(), "{:?}", r.keys(&ns));

    let s = Server::start(&r, &ns, &[]);
    let c = http();
    for body in [
        r#"{"rate":"5/d"}"#,
        r#"{"max_active":-1}"#,
        r#"{"max_active":0}"#,
        r#"{"burst":3}"#,
        r#"{"rate":"1/s","colour":"red"}"#,
        r#"{"rate":5}"#,
        r#"not json"#,
    ] {
        let res = c
            .put(s.url("/v1/queues/q1/limits"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        assert_error(res, 400, "invalid");
    }
    let res = c
        .put(s.url("/v1/queues/bad%20name/limits"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_error(res, 400, "invalid");
    assert!(r.keys(&ns).is_empty(), "{:?}", r.keys(&ns));
}
