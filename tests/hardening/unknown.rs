//! D3: a submit sent to Redis that got no answer is `outcome_unknown` with the job's id
//! (the job may be stored, and is here); a plain `redis_unavailable` means nothing was
//! stored.

use std::time::Duration;

use serde_json::Value;

use crate::common::{RedisServer, Server, assert_error, header, http, namespace, submit};

/// Keeps Redis busy in a script for `ms` milliseconds (it serves nobody meanwhile).
fn busy_for(r: &RedisServer, ms: u64) -> std::thread::JoinHandle<()> {
    let mut conn = r.conn();
    std::thread::spawn(move || {
        let script = "local function now() local t = redis.call('TIME') \
            return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end \
            local s = now() while now() - s < tonumber(ARGV[1]) do end return 1";
        let _: redis::RedisResult<i64> = redis::cmd("EVAL")
            .arg(script)
            .arg(0)
            .arg(ms)
            .query(&mut conn);
    })
}

#[test]
fn a_submit_redis_took_but_never_answered_is_outcome_unknown_with_the_job_id() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &["--redis-timeout", "500ms"]);
    let c = http();
    submit(&c, &s, "default", &serde_json::json!({"warm": true}));

    let busy = busy_for(&r, 2500);
    std::thread::sleep(Duration::from_millis(200));
    let res = c
        .post(s.url("/v1/queues/default/jobs"))
        .header("content-type", "application/json")
        .body("{\"n\":1}")
        .send()
        .expect("POST");
    let id = header(&res, "x-mlqd-job-id");
    let body = assert_error(res, 503, "outcome_unknown");
    assert!(id.starts_with("default."), "the id is given: {id:?} {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&id)
    );
    busy.join().expect("busy script");

    // Redis ran the command once the script ended: GET tells the truth
    let res = c.get(s.url(&format!("/v1/jobs/{id}"))).send().expect("GET");
    assert_eq!(res.status().as_u16(), 200);
    let st: Value = res.json().expect("status");
    assert_eq!(st["state"], "pending", "{st}");
}

#[test]
fn a_submit_redis_refused_is_redis_unavailable_and_stores_nothing() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &["--redis-timeout", "2s"]);
    let c = http();
    submit(&c, &s, "default", &serde_json::json!({"warm": true}));
    let mut conn = r.conn();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("busy-reply-threshold")
        .arg(100)
        .query(&mut conn)
        .expect("CONFIG SET");
    // past the threshold Redis answers BUSY to everyone: the request is refused, not run
    let busy = busy_for(&r, 60_000);
    std::thread::sleep(Duration::from_millis(400));
    let res = c
        .post(s.url("/v1/queues/default/jobs"))
        .header("content-type", "application/json")
        .body("{\"n\":2}")
        .send()
        .expect("POST");
    assert_eq!(header(&res, "x-mlqd-job-id"), "");
    assert_error(res, 503, "redis_unavailable");
    let _: () = redis::cmd("SCRIPT")
        .arg("KILL")
        .query(&mut conn)
        .expect("SCRIPT KILL");
    busy.join().expect("busy script");
    let res = c
        .get(s.url("/v1/queues/default/jobs?state=pending"))
        .send()
        .expect("GET");
    let page: Value = res.json().expect("page");
    assert_eq!(page["jobs"].as_array().map(Vec::len), Some(1), "{page}");
}
