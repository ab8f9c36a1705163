//! D4: while Redis refuses writes for lack of memory nothing is half-done and nothing is
//! taken from a live worker: its heartbeats and lease renewals still land (they carry
//! `allow-oom`), every other script is refused whole, and the reaper waits.

use std::time::Duration;

use crate::common::{
    Proc, RedisServer, eventually, mlqd, namespace, post, quiet, status_json, worker,
};

fn config_set(r: &RedisServer, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(&mut r.conn())
        .expect("CONFIG SET");
}

#[test]
fn out_of_memory_never_takes_jobs_from_a_live_worker() {
    let r = RedisServer::start();
    let ns = namespace();
    // two jobs finish while Redis is out of memory, two after
    let ids: Vec<String> = [3000, 3000, 9000, 9000]
        .iter()
        .map(|ms| post(&r, &ns, &[&format!("{{\"ms\":{ms}}}"), "-q", "oom"]))
        .collect();
    let _w = worker(
        &r,
        &ns,
        &[
            "--builtin",
            "sleep",
            "-q",
            "oom",
            "-c",
            "4",
            "--lease",
            "1s",
            "--no-reaper",
        ],
    );
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["reaper", "--worker-timeout", "2s", "--interval", "200ms"]);
    let _reaper = Proc::spawn(quiet(cmd));
    eventually(Duration::from_secs(10), || {
        ids.iter()
            .all(|id| status_json(&r, &ns, id)["state"] == "active")
            .then_some(())
    })
    .expect("all four running");

    // out of memory for longer than a lease and the reaper's worker timeout
    config_set(&r, "maxmemory", "1");
    let mut c = r.conn();
    let refused: redis::RedisResult<()> = redis::cmd("SET").arg("probe").arg("x").query(&mut c);
    assert!(refused.is_err(), "redis refuses writes now");
    std::thread::sleep(Duration::from_secs(6));
    config_set(&r, "maxmemory", "0");

    for id in &ids {
        let st = eventually(Duration::from_secs(30), || {
            let st = status_json(&r, &ns, id);
            (st["state"] == "succeeded").then_some(st)
        })
        .unwrap_or_else(|| panic!("{id} succeeded: {}", status_json(&r, &ns, id)));
        assert_eq!(st["attempts"], 1, "{id} ran once: {st}");
    }
}
