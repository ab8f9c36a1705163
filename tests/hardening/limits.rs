//! D1: every number is checked before it reaches a script; an outcome Redis refuses fails
//! that one job and never holds up the others.

use std::time::Duration;

use crate::common::{
    RedisServer, Server, assert_error, code, eventually, http, mlqd, namespace, post, run,
    status_json, stderr, worker, write_temp,
};

/// A result TTL made of parts each under the cap but whose sum is ~9.3e18 ms.
fn huge_ttl() -> String {
    "11574074d".repeat(9300)
}

#[test]
fn a_duration_past_what_redis_accepts_is_refused_before_it_reaches_redis() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["post", "{}", "--result-ttl", &huge_ttl()]);
    let out = run(cmd);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("too long"), "{}", stderr(&out));
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["post", "{}", "--delay", "36501d"]);
    assert_eq!(code(&run(cmd)), 2);
    assert!(r.keys(&ns).is_empty(), "nothing stored: {:?}", r.keys(&ns));

    let s = Server::start(&r, &ns, &[]);
    let c = http();
    // each part under the cap, their sum over it
    for q in [
        "result_ttl=30000d30000d",
        "timeout=40000d",
        "delay=99999999999",
    ] {
        let res = c
            .post(s.url(&format!("/v1/queues/default/jobs?{q}")))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .expect("POST");
        assert_error(res, 400, "invalid");
    }
    assert!(r.keys(&ns).is_empty(), "nothing stored: {:?}", r.keys(&ns));
}

#[test]
fn a_paging_offset_lua_would_mangle_is_a_400_not_an_outage() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let res = c
        .get(s.url("/v1/queues/default/dead?offset=100000000000000000"))
        .send()
        .expect("GET");
    assert_error(res, 400, "invalid");
    // the largest offset taken still answers (an empty page)
    let res = c
        .get(s.url("/v1/queues/default/dead?offset=1000000000"))
        .send()
        .expect("GET");
    assert_eq!(res.status().as_u16(), 200);
}

#[test]
fn a_result_larger_than_redis_accepts_fails_that_job_and_no_other() {
    let r = RedisServer::start();
    let ns = namespace();
    let big = write_temp("big.bin", &vec![b'x'; 2 * 1024 * 1024]);
    let big_id = post(
        &r,
        &ns,
        &[
            &format!("@{}", big.display()),
            "-q",
            "p5",
            "--content-type",
            "application/octet-stream",
            "--max-retries",
            "0",
        ],
    );
    let small: Vec<String> = (0..20)
        .map(|i| post(&r, &ns, &[&format!("{{\"i\":{i}}}"), "-q", "p5"]))
        .collect();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("proto-max-bulk-len")
        .arg("1mb")
        .query(&mut r.conn())
        .expect("CONFIG SET");
    let _w = worker(&r, &ns, &["--builtin", "echo", "-q", "p5", "-c", "2"]);
    let states = || -> Vec<String> {
        small
            .iter()
            .map(|id| {
                status_json(&r, &ns, id)["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    let settled = eventually(Duration::from_secs(30), || {
        states().iter().all(|s| s == "succeeded").then_some(())
    });
    assert!(
        settled.is_some(),
        "every small job succeeded beside the big one: {:?}",
        states()
    );
    let st = eventually(Duration::from_secs(30), || {
        let st = status_json(&r, &ns, &big_id);
        (st["state"] == "dead").then_some(st)
    })
    .expect("the big job is dead");
    assert!(
        st.to_string().contains("larger than Redis accepts"),
        "the reason is given: {st}"
    );
}
