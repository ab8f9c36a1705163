//! mlqd behind Redis Sentinel (`redis+sentinel://`), following a failover without restarts
//! and without losing an acknowledged job.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::sentinel::{SentinelSetup, info};
use common::{
    Proc, Server, eventually, http_with, mlqd, namespace, quiet, quiet_worker, run, status_of,
    stderr,
};
use serde_json::{Value, json};

#[test]
fn harness_sentinel_failover_promotes_the_replica() {
    let setup = SentinelSetup::start();
    let old = setup.master_port();
    assert_eq!(old, setup.data_ports()[0]);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut setup.master_conn())
        .unwrap();
    let new = setup.failover();
    assert_ne!(new, old);
    assert_eq!(new, setup.data_ports()[1]);
    let v: String = redis::cmd("GET")
        .arg("k")
        .query(&mut setup.master_conn())
        .unwrap();
    assert_eq!(v, "v", "the promoted replica has the data");
    // the old master is turned into a replica of the new one after a while
    assert!(setup.wait_replica_synced(Duration::from_secs(30)));
    assert!(info(old, "replication").contains("role:slave"));
}

const JOBS: usize = 300;

#[test]
fn a_failover_amid_300_jobs_loses_none_and_restarts_nothing() {
    let setup = SentinelSetup::start();
    let ns = namespace();
    let server = Server::start(&setup, &ns, &[]);
    let wargs = [
        "--builtin",
        "sleep",
        "--concurrency",
        "4",
        "--lease",
        "5s",
        "--no-reaper",
    ];
    let mut workers = [
        quiet_worker(&setup, &ns, &wargs),
        quiet_worker(&setup, &ns, &wargs),
    ];
    let mut reaper = mlqd(&setup, &ns);
    reaper.args(["reaper", "--interval", "250ms"]);
    let mut reaper = Proc::spawn(quiet(reaper));

    // Posts over HTTP, one every 20 ms, each with an idempotency key and retried until it
    // is acknowledged (a 503 during the failover is expected; a lost acknowledged job is not).
    let posted = Arc::new(AtomicUsize::new(0));
    let base = server.base.clone();
    let counter = posted.clone();
    let poster = std::thread::spawn(move || {
        let c = http_with(Duration::from_secs(10));
        let mut ids = Vec::with_capacity(JOBS);
        let mut acked_at = Vec::with_capacity(JOBS);
        let mut refused = 0;
        for i in 0..JOBS {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let res = c
                    .post(format!("{base}/v1/queues/default/jobs"))
                    .header("content-type", "application/json")
                    .header("idempotency-key", format!("job-{i}"))
                    .body(json!({"ms": 10, "i": i}).to_string())
                    .send();
                match res {
                    Ok(r) if r.status().as_u16() == 201 || r.status().as_u16() == 200 => {
                        let v: Value = r.json().expect("submit JSON");
                        ids.push(v["id"].as_str().expect("id").to_string());
                        acked_at.push(Instant::now());
                        break;
                    }
                    Ok(r) => {
                        assert_eq!(r.status().as_u16(), 503, "post {i}: {:?}", r.text());
                        refused += 1;
                    }
                    Err(_) => refused += 1,
                }
                assert!(Instant::now() < deadline, "post {i} never acknowledged");
                std::thread::sleep(Duration::from_millis(100));
            }
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
        }
        (ids, acked_at, refused)
    });

    assert!(
        eventually(Duration::from_secs(60), || (posted.load(Ordering::SeqCst)
            >= JOBS / 3)
            .then_some(()))
        .is_some(),
        "posting stalled before the failover"
    );
    let old = setup.master_port();
    let failover_started = Instant::now();
    let new = setup.failover();
    assert_ne!(new, old);
    // right away (the old master is still up and still a master for some seconds): serve's
    // subscription has moved to the new master, so a ?wait= hears the job end
    let c = http_with(Duration::from_secs(10));
    let body = r#"{"ms": 1, "after": "failover"}"#;
    let waited = eventually(Duration::from_secs(10), || {
        let res = c
            .post(server.url("/v1/queues/default/jobs?wait=5s"))
            .header("content-type", "application/json")
            .header("idempotency-key", "after-failover")
            .body(body)
            .send()
            .ok()?;
        match res.status().as_u16() {
            503 => None,
            200 => Some(res.text().expect("result")),
            other => panic!(
                "?wait= after the failover answered {other}: {:?}",
                res.text()
            ),
        }
    })
    .expect("?wait= kept failing after the failover");
    assert_eq!(waited, body);
    let (ids, acked_at, refused) = poster.join().expect("poster");
    assert_eq!(ids.len(), JOBS);

    // every job succeeds, its outcome recorded exactly once
    for id in &ids {
        let st = eventually(Duration::from_secs(60), || {
            let st = status_of(&c, &server, id);
            (st["state"] == "succeeded").then_some(st)
        })
        .unwrap_or_else(|| panic!("{id} did not succeed: {}", status_of(&c, &server, id)));
        let recorded = st["history"]
            .as_array()
            .map(|h| h.iter().filter(|a| a["outcome"] == "succeeded").count())
            .unwrap_or(0);
        assert_eq!(recorded, 1, "{id}: {st}");
    }
    let queues: Value = c
        .get(server.url("/v1/queues/default"))
        .send()
        .expect("GET queue")
        .json()
        .expect("queue JSON");
    // the 300, and the one posted with ?wait= right after the failover
    assert_eq!(queues["totals"]["succeeded"], JOBS as u64 + 1, "{queues}");

    // the jobs are on the new master, and no process was restarted
    let mut conn = setup.master_conn();
    let done: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert!(done > 0);
    for w in &mut workers {
        assert!(w.child.try_wait().unwrap().is_none(), "a worker exited");
    }
    assert!(
        reaper.child.try_wait().unwrap().is_none(),
        "the reaper exited"
    );
    let mut server = server;
    assert!(
        server.proc.child.try_wait().unwrap().is_none(),
        "serve exited"
    );

    // the one-shot commands find the new master through the sentinels too
    let mut cmd = mlqd(&setup, &ns);
    cmd.args(["queues", "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "queues: {}", stderr(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).expect("queues JSON");
    assert_eq!(
        listed[0]["totals"]["succeeded"],
        JOBS as u64 + 1,
        "{listed}"
    );
    let mut cmd = mlqd(&setup, &ns);
    cmd.args(["status", &ids[0], "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "status: {}", stderr(&out));
    let mut cmd = mlqd(&setup, &ns);
    cmd.args(["workers", "--json"]);
    let out = run(cmd);
    let listed: Value = serde_json::from_slice(&out.stdout).expect("workers JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");

    // acknowledged posts resumed well within 10 s of the failover
    let gap = acked_at
        .windows(2)
        .filter(|w| w[1] > failover_started)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    println!(
        "sentinel failover: {JOBS} jobs, {refused} posts refused and retried, longest wait for an acknowledgement after the failover began {gap:?}"
    );
    assert!(
        gap < Duration::from_secs(10),
        "serve followed after {gap:?}"
    );
}
