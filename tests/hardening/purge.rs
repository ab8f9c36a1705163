//! `dlq purge` (and the HTTP purge) of every dead job takes the jobs dead when it began,
//! a page per script call: a job that dies after it began stays, so a purge never chases
//! jobs buried meanwhile.

use crate::common::{RedisServer, client, mlqd, namespace, queue_keys, run};

/// Several pages' worth.
const JOBS: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_all_takes_the_jobs_dead_when_it_began() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let w = crate::all_dead(&r, &ns, &c, "gone", JOBS).await;
    drop(w);
    // a job that dies after the purge began: its death time is past the purge's start
    // (a purge that took whatever is dead at each page would take it too)
    let later = ulid::Ulid::generate().to_string();
    let k = queue_keys(&ns, "gone");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    let _: () = redis::pipe()
        .hset(k.specs(), &later, "{\"t\":1700000000000}\n{}")
        .hset(
            k.meta(),
            &later,
            "{\"a\":1,\"f\":1,\"s\":0,\"e\":\"failed\"}",
        )
        .zadd(k.dead(), &later, now_ms + 3_600_000)
        .query(&mut r.conn())
        .expect("bury one later");

    let mut cmd = mlqd(&r, &ns);
    cmd.args(["dlq", "purge", "--queue", "gone"]);
    let out = run(cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), format!("purged {JOBS} dead job(s)"), "{out:?}");
    let left: Vec<String> = redis::cmd("ZRANGE")
        .arg(k.dead())
        .arg(0)
        .arg(-1)
        .query(&mut r.conn())
        .expect("ZRANGE");
    assert_eq!(left, std::slice::from_ref(&later));
    let spec: bool = redis::cmd("HEXISTS")
        .arg(k.specs())
        .arg(&later)
        .query(&mut r.conn())
        .expect("HEXISTS");
    assert!(spec, "the later job is still whole");
}
