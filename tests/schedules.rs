//! Schedules (periodic jobs) end to end: `mlqd cron set | list | rm`, `/v1/schedules`, and
//! the reaper leader's scheduler duty: each due run posted once across two reapers and a
//! takeover, missed runs collapsed after downtime, runs starting within a second of being
//! due, bad input refused with nothing stored.

mod common;

use std::time::{Duration, Instant};

use common::{
    Proc, RedisServer, Server, assert_error, code, eventually, http, keys, mlqd, namespace,
    queue_keys, quiet, quiet_worker, run, stderr, stdout,
};
use serde_json::{Value, json};

fn ms(t: &str) -> i64 {
    t.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn ok(r: &RedisServer, ns: &str, args: &[&str]) -> String {
    let mut cmd = mlqd(r, ns);
    cmd.args(args);
    let out = run(cmd);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn reaper(r: &RedisServer, ns: &str) -> Proc {
    let mut cmd = mlqd(r, ns);
    cmd.args(["reaper", "--interval", "250ms", "--leader-ttl", "1s"]);
    Proc::spawn(quiet(cmd))
}

/// The idempotency keys of every job a queue holds (pending or otherwise): one per run.
fn run_keys(r: &RedisServer, ns: &str, queue: &str) -> Vec<String> {
    let mut c = r.conn();
    let specs: Vec<String> = redis::cmd("HVALS")
        .arg(queue_keys(ns, queue).specs())
        .query(&mut c)
        .unwrap();
    let mut out: Vec<String> = specs
        .iter()
        .map(|s| {
            let header = s.split('\n').next().unwrap();
            let h: Value = serde_json::from_str(header).unwrap();
            h["ik"].as_str().expect("a run carries its key").to_string()
        })
        .collect();
    out.sort();
    out
}

fn leader(r: &RedisServer, ns: &str) -> Option<String> {
    let mut c = r.conn();
    redis::cmd("GET")
        .arg(keys(ns).leader())
        .query::<Option<String>>(&mut c)
        .unwrap()
}

#[test]
fn two_reapers_post_each_run_once_through_a_takeover() {
    let r = RedisServer::start();
    let ns = namespace();
    let reapers = [reaper(&r, &ns), reaper(&r, &ns)];
    let first = eventually(Duration::from_secs(10), || leader(&r, &ns)).expect("a leader");
    let out = ok(
        &r,
        &ns,
        &[
            "cron", "set", "nightly", "--every", "1s", "--queue", "cronq",
        ],
    );
    assert!(
        out.starts_with("schedule nightly created: next run "),
        "{out}"
    );
    let set_at = Instant::now();
    std::thread::sleep(Duration::from_millis(3200));
    // SIGKILL the leader (its id names its pid): the standby takes over
    let pid: u32 = first.rsplit('-').nth(1).unwrap().parse().unwrap();
    let i = reapers
        .iter()
        .position(|p| p.pid() == pid)
        .expect("the leader is ours");
    reapers[i].signal("KILL");
    let second = eventually(Duration::from_secs(5), || {
        leader(&r, &ns).filter(|l| *l != first)
    })
    .expect("the standby takes over");
    assert_ne!(second, first);
    std::thread::sleep(Duration::from_millis(6500).saturating_sub(set_at.elapsed()));
    let listed: Value = serde_json::from_str(&ok(&r, &ns, &["cron", "list", "--json"])).unwrap();
    ok(&r, &ns, &["cron", "rm", "nightly"]);
    let keys_now = run_keys(&r, &ns, "cronq");
    // six due times passed; a takeover may fold one missed run into the next
    assert!(
        (5..=7).contains(&keys_now.len()),
        "{} runs: {keys_now:?}",
        keys_now.len()
    );
    let mut distinct = keys_now.clone();
    distinct.dedup();
    assert_eq!(distinct, keys_now, "a due time was posted twice");
    // the listing names the last run and its job
    let s = &listed[0];
    assert_eq!(s["name"], "nightly");
    assert_eq!(s["every"], "1s");
    assert_eq!(s["queue"], "cronq");
    let last_job = s["last_job"].as_str().unwrap();
    let st = common::status_json(&r, &ns, last_job);
    assert_eq!(st["queue"], "cronq");
    assert!(ms(s["next_run"].as_str().unwrap()) > ms(s["last_run"].as_str().unwrap()));
    assert!(keys_now.contains(&format!("cron:nightly:{}", s["last_run"].as_str().unwrap())));
    // removed: no more runs
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(run_keys(&r, &ns, "cronq").len(), keys_now.len());
    assert_eq!(ok(&r, &ns, &["cron", "list", "--json"]), "[]");
}

#[test]
fn missed_runs_collapse_into_one_and_runs_start_within_a_second() {
    let r = RedisServer::start();
    let ns = namespace();
    ok(
        &r,
        &ns,
        &[
            "cron",
            "set",
            "tick",
            "--every",
            "1s",
            "--queue",
            "ticks",
            r#"{"n":1}"#,
        ],
    );
    // no reaper for 3.5 s: three or four runs are missed
    std::thread::sleep(Duration::from_millis(3500));
    let started = redis_now(&r);
    let _reaper = reaper(&r, &ns);
    let _worker = quiet_worker(
        &r,
        &ns,
        &["--queue", "ticks", "--builtin", "echo", "--no-reaper"],
    );
    let before = eventually(Duration::from_secs(5), || {
        let k = done_runs(&r, &ns, "ticks");
        (!k.is_empty()).then_some(k)
    })
    .expect("the reaper posts the missed run");
    assert_eq!(before.len(), 1);
    std::thread::sleep(Duration::from_millis(3000));
    let runs = done_runs(&r, &ns, "ticks");
    let due = |k: &str| ms(k.trim_start_matches("cron:tick:"));
    let missed: Vec<_> = runs.iter().filter(|(k, _)| due(k) < started).collect();
    assert_eq!(missed.len(), 1, "missed runs are not replayed: {runs:?}");
    assert!(runs.len() >= 3, "runs go on after the catch-up: {runs:?}");
    // the runs posted on time started within a second of being due
    for (k, st) in &runs {
        if due(k) > started + 500 {
            let lag = ms(st["started_at"].as_str().unwrap()) - due(k);
            assert!(
                (0..1000).contains(&lag),
                "{k} started {lag} ms after its due time"
            );
        }
        assert_eq!(st["state"], "succeeded");
    }
}

fn redis_now(r: &RedisServer) -> i64 {
    let mut c = r.conn();
    let (s, us): (i64, i64) = redis::cmd("TIME").query(&mut c).unwrap();
    s * 1000 + us / 1000
}

/// The finished runs of a queue (browsed, as `mlqd jobs` sees them) with the key each
/// was posted under (read from its record).
fn done_runs(r: &RedisServer, ns: &str, queue: &str) -> Vec<(String, Value)> {
    let mut cmd = mlqd(r, ns);
    cmd.args(["jobs", "--queue", queue, "--state", "succeeded", "--json"]);
    let out = run(cmd);
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut c = r.conn();
    let mut runs = Vec::new();
    for j in page["jobs"].as_array().unwrap() {
        let id = j["id"].as_str().unwrap();
        let ulid = id.rsplit('.').next().unwrap();
        let rec: Vec<u8> = redis::cmd("GET")
            .arg(queue_keys(ns, queue).done(ulid))
            .query(&mut c)
            .unwrap();
        let text = String::from_utf8_lossy(&rec);
        let header: Value = serde_json::from_str(text.split('\n').nth(1).unwrap()).unwrap();
        runs.push((header["ik"].as_str().unwrap().to_string(), j.clone()));
    }
    runs
}

#[test]
fn schedules_over_http_and_cron_with_a_time_zone() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let put = |name: &str, body: Value| {
        c.put(s.url(&format!("/v1/schedules/{name}")))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    let body = json!({"cron": "0 3 * * *", "tz": "Europe/Paris", "queue": "train",
        "payload": {"model": "v2"}, "options": {"priority": 5, "timeout": "10m"}});
    let res = put("nightly", body.clone());
    assert_eq!(res.status(), 201);
    let v: Value = res.json().unwrap();
    // the next 03:00 in Paris, in UTC
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap());
    let mut next = now
        .with()
        .hour(3)
        .minute(0)
        .second(0)
        .subsec_nanosecond(0)
        .build()
        .unwrap();
    if next <= now {
        next = next.tomorrow().unwrap().with().hour(3).build().unwrap();
    }
    assert_eq!(
        ms(v["next_run"].as_str().unwrap()),
        next.timestamp().as_millisecond()
    );
    assert_eq!(v["tz"], "Europe/Paris");
    assert_eq!(v["last_run"], Value::Null);
    assert_eq!(put("nightly", body).status(), 200, "a second PUT replaces");
    let list: Value = c
        .get(s.url("/v1/schedules"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list[0]["name"], "nightly");
    assert_eq!(list[0]["options"]["priority"], 5);
    let table = ok(&r, &ns, &["cron", "list"]);
    assert!(table.contains("cron 0 3 * * * (Europe/Paris)"), "{table}");
    let res = c.delete(s.url("/v1/schedules/nightly")).send().unwrap();
    assert_eq!(res.status(), 200);
    assert_error(
        c.delete(s.url("/v1/schedules/nightly")).send().unwrap(),
        404,
        "not_found",
    );
    assert!(
        r.keys(&ns).iter().all(|k| !k.contains("schedules")),
        "{:?}",
        r.keys(&ns)
    );
}

#[test]
fn bad_schedules_are_refused_and_store_nothing() {
    let r = RedisServer::start();
    let ns = namespace();
    for args in [
        &["cron", "set", "a", "--cron", "61 * * * *"][..],
        &["cron", "set", "a", "--cron", "every day"],
        &[
            "cron",
            "set",
            "a",
            "--cron",
            "0 3 * * *",
            "--tz",
            "Mars/Olympus",
        ],
        &["cron", "set", "a", "--every", "soon"],
        &["cron", "set", "a", "--every", "10ms"],
        &["cron", "set", "a", "--every", "1m", "--cron", "* * * * *"],
        &["cron", "set", "a"],
        &["cron", "set", "a", "--every", "1m", "--tz", "UTC"],
        &["cron", "set", "bad/name", "--every", "1m"],
        &["cron", "set", "a", "--every", "1m", "--queue", "bad queue"],
        &["cron", "set", "a", "--every", "1m", "not json"],
        &["cron", "set", "a", "--every", "1m", "--priority", "500"],
        &["cron", "set", "a", "--cron", "0 0 31 2 *"],
    ] {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(args);
        let out = run(cmd);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["cron", "rm", "missing"]);
    assert_eq!(code(&run(cmd)), 4);
    assert!(r.keys(&ns).is_empty(), "{:?}", r.keys(&ns));

    let s = Server::start(&r, &ns, &[]);
    let c = http();
    for (name, body) in [
        ("a", json!({"cron": "61 * * * *"})),
        ("a", json!({"cron": "0 3 * * *", "tz": "Nowhere/Land"})),
        ("a", json!({"every": "fast"})),
        ("a", json!({"every": "1m", "cron": "* * * * *"})),
        ("a", json!({})),
        ("a", json!({"every": "1m", "colour": "red"})),
        ("a", json!({"every": "1m", "options": {"delay": "1s"}})),
        ("a", json!({"every": "1m", "anchor": 5})),
        ("bad%20name", json!({"every": "1m"})),
    ] {
        let res = c
            .put(s.url(&format!("/v1/schedules/{name}")))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        assert_error(res, 400, "invalid");
    }
    assert!(r.keys(&ns).is_empty(), "{:?}", r.keys(&ns));
}
