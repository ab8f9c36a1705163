//! An idle worker receives a job from its blocking call (the claim rides behind the pop:
//! one round trip from post to start), on one server and on a Cluster; and a worker killed
//! right after it received jobs spends no stall and no attempt of the jobs it never started.

mod common;

use std::time::{Duration, Instant};

use common::cluster::RedisCluster;
use common::{
    Deployment, Proc, RedisServer, client, eventually, free_port, namespace, poison_worker, q,
    queue_keys, quiet_worker, scrape, try_scrape,
};
use mlqd::job::JobState;
use mlqd::{JobOptions, Payload};
use serde_json::json;

/// A counter's value in a Prometheus text page (0 when absent).
fn counter(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// `calls` of one command in `INFO commandstats`.
fn calls(conn: &mut redis::Connection, cmd: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:calls=")))
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Clients of this server blocked in a BLPOP.
fn blocked_on(conn: &mut redis::Connection) -> usize {
    let list: String = redis::cmd("CLIENT").arg("LIST").query(conn).unwrap();
    list.lines().filter(|l| l.contains(" cmd=blpop ")).count()
}

/// Posts `n` jobs one at a time to an idle `mlqd worker` serving `queues` (round robin),
/// each awaited before the next, and checks from the worker's metrics that every job came
/// with a blocking pop, none by a claim sent on its own (a token-then-claim wake-up, or
/// polling, would count as `call`). Returns how many blocking pops Redis served.
fn each_job_rides_a_pop(
    r: &impl Deployment,
    ns: &str,
    queues: &[String],
    n: usize,
    blocked: impl Fn() -> usize,
) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut args: Vec<&str> = Vec::new();
    for name in queues {
        args.extend(["--queue", name]);
    }
    args.extend([
        "--builtin",
        "noop",
        "--concurrency",
        "2",
        "--metrics-listen",
        &listen,
    ]);
    let _w = quiet_worker(r, ns, &args);
    let url = format!("http://{listen}/metrics");
    eventually(Duration::from_secs(15), || try_scrape(&url).ok()).expect("worker metrics");
    // the worker is idle: blocked on every queue
    eventually(Duration::from_secs(15), || {
        (blocked() >= queues.len()).then_some(())
    })
    .expect("the worker never blocked on its queues");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _rt = rt.enter();
    let c = client(r, ns);
    for i in 0..n {
        // at odd moments: some posts find the worker blocked, some just after a wake-up
        std::thread::sleep(Duration::from_millis([20, 170, 60, 330, 5][i % 5]));
        let queue = q(&queues[i % queues.len()]);
        let st = rt.block_on(async {
            let posted = c
                .post(
                    &queue,
                    Payload::json(&json!({ "n": i })),
                    JobOptions::default(),
                )
                .await
                .unwrap();
            c.wait(&posted.id, Some(Duration::from_secs(10)))
                .await
                .unwrap()
        });
        assert_eq!(st.state, JobState::Succeeded);
        assert_eq!(st.attempts, 1);
    }
    let text = scrape(&url);
    let pop = counter(&text, "mlqd_worker_claims_total{via=\"pop\"}");
    let call = counter(&text, "mlqd_worker_claims_total{via=\"call\"}");
    assert_eq!(
        (pop, call),
        (n as f64, 0.0),
        "each job should reach the idle worker with its blocking pop"
    );
    // and each post's wake-up token ended a wait (the worker did not just come round to
    // the job when a wait ran out its time)
    let woken = counter(&text, "mlqd_worker_wakeups_total");
    assert!(woken >= n as f64, "{woken} wake-ups for {n} posts");
}

#[test]
fn an_idle_worker_receives_each_job_with_its_blocking_pop() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut conn = r.conn();
    let pops_before = calls(&mut conn, "blpop");
    each_job_rides_a_pop(&r, &ns, &["hop".to_string()], 20, || {
        blocked_on(&mut r.conn())
    });
    // Redis saw the pops (the worker's metrics are not the only witness)
    let pops = calls(&mut conn, "blpop") - pops_before;
    assert!(pops >= 20, "{pops} blocking pops for 20 jobs");
}

/// On a Cluster the worker serves two queues on different masters, each on a connection
/// of its own to its master.
#[test]
fn an_idle_worker_receives_jobs_with_its_pops_on_a_cluster() {
    let cluster = RedisCluster::start();
    let ns = namespace();
    let queues = cluster.spread_queues("hop", 2);
    assert_ne!(
        cluster.queue_owner(&queues[0]),
        cluster.queue_owner(&queues[1])
    );
    each_job_rides_a_pop(&cluster, &ns, &queues, 12, || {
        cluster
            .ports()
            .into_iter()
            .map(|p| blocked_on(&mut cluster.conn(p)))
            .sum()
    });
}

/// Fast jobs are prefetched: a worker holds many more jobs than it runs. Workers SIGKILLed
/// at many instants right after they received jobs: every job still succeeds exactly once,
/// the jobs that were only received cost no stall and no attempt (a job's attempts are its
/// stalls plus the one that succeeded), and the stalls spent are at most the jobs that
/// were in handlers when a worker died.
#[test]
fn killing_workers_right_after_they_receive_jobs_spends_no_stall_on_unstarted_jobs() {
    let r = RedisServer::start();
    let ns = namespace();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _rt = rt.enter();
    let c = client(&r, &ns);
    let queue = q("recv");
    const JOBS: usize = 6000;
    const CONCURRENCY: usize = 2;
    let ids: Vec<_> = rt.block_on(async {
        let mut ids = Vec::new();
        for chunk in 0..JOBS / 500 {
            let jobs = (0..500)
                .map(|i| {
                    (
                        Payload::json(&json!({ "ms": 1 + (chunk * 500 + i) % 3 })),
                        JobOptions {
                            max_stalls: Some(100),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            ids.extend(
                c.post_batch(&queue, jobs, None)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.id),
            );
        }
        ids
    });
    let concurrency = CONCURRENCY.to_string();
    let args = [
        "--queue",
        "recv",
        "--builtin",
        "sleep",
        "--concurrency",
        &concurrency,
        "--lease",
        "1s",
    ];
    let mut workers: Vec<Proc> = (0..2).map(|_| quiet_worker(&r, &ns, &args)).collect();
    let started = Instant::now();
    let mut kills = 0;
    let mut conn = r.conn();
    let stats_key = queue_keys(&ns, "recv").stats();
    let pending_key = queue_keys(&ns, "recv").pending();
    while started.elapsed() < Duration::from_secs(8) {
        // kill soon after a (re)start: the first claims are when a worker fills its buffer
        std::thread::sleep(Duration::from_millis(80 + rand_u64() % 250));
        let pending: u64 = redis::cmd("LLEN")
            .arg(&pending_key)
            .query(&mut conn)
            .unwrap();
        if pending == 0 {
            break;
        }
        let victim = (rand_u64() as usize) % workers.len();
        workers[victim].signal("KILL");
        let _ = workers[victim].wait_for(Duration::from_secs(5));
        workers[victim] = quiet_worker(&r, &ns, &args);
        kills += 1;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = rt.block_on(c.broker().queue_stats(&queue)).unwrap();
        if s.totals.succeeded >= JOBS as u64 && s.pending + s.active + s.retry == 0 {
            assert_eq!(s.totals.succeeded, JOBS as u64, "an outcome recorded twice");
            assert_eq!(s.dead, 0);
            break;
        }
        assert!(Instant::now() < deadline, "not drained: {s:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let unstarted: u64 = redis::cmd("HGET")
        .arg(&stats_key)
        .arg("unstarted")
        .query::<Option<u64>>(&mut conn)
        .unwrap()
        .unwrap_or(0);
    let mut stalls = 0;
    rt.block_on(async {
        for id in &ids {
            let st = c.status(id).await.unwrap();
            assert_eq!(st.state, JobState::Succeeded, "{id}");
            assert_eq!(
                st.attempts,
                st.stalls + 1,
                "{id}: an attempt was spent without a stall: {st:?}"
            );
            stalls += st.stalls;
        }
    });
    println!(
        "{kills} SIGKILLs: {unstarted} received jobs went back without a stall, {stalls} stalls"
    );
    assert!(kills >= 5, "only {kills} kills");
    assert!(
        unstarted > 0,
        "no kill caught a worker holding received jobs"
    );
    // a kill costs a stall for each job in a handler, or finished with its outcome not
    // yet recorded; never for the buffer (some dozens of jobs for these fast ones)
    assert!(
        stalls as usize <= kills * (CONCURRENCY + 4),
        "{stalls} stalls for {kills} kills of workers running {CONCURRENCY} jobs each"
    );
}

/// The rule itself, step by step: of five jobs claimed with one for a handler now, the
/// four others are only received, each with a receipt; the worker then records that its
/// buffered jobs reached a handler up to the first of them. When the lease is lost, the
/// two that reached a handler count a stall and keep their attempt; the three never
/// started go back to pending as they were (no stall, no attempt, no history).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lease_costs_a_stall_only_for_jobs_that_reached_a_handler() {
    let r = RedisServer::start();
    let ns = namespace();
    let b = common::broker(&r, &ns);
    let c = client(&r, &ns);
    let queue = q("rule");
    post_some(&c, &queue, 5).await;
    let lease = Duration::from_millis(200);
    let claim = b.claim_buffering(&queue, "w1", 5, 1, lease).await.unwrap();
    assert_eq!(claim.jobs.len(), 5);
    let receipts: Vec<u64> = claim.jobs.iter().map(|j| j.receipt).collect();
    assert_eq!(receipts[0], 0, "the first went straight to a handler");
    assert!(
        receipts[1] > 0 && receipts.windows(2).skip(1).all(|w| w[1] == w[0] + 1),
        "buffered jobs are numbered in order: {receipts:?}"
    );
    b.mark_started(&queue, "w1", receipts[1]).await.unwrap();
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let recovered = b.recover(&queue, &[], 100).await.unwrap();
    assert_eq!(recovered.requeued.len(), 5);
    for (i, j) in claim.jobs.iter().enumerate() {
        let st = c.status(&j.id).await.unwrap();
        assert_eq!(st.state, JobState::Pending, "{i}");
        if i < 2 {
            assert_eq!(
                (st.stalls, st.attempts),
                (1, 1),
                "job {i} reached a handler"
            );
        } else {
            assert_eq!(
                (st.stalls, st.attempts),
                (0, 0),
                "job {i} was only received"
            );
            assert!(st.history.is_empty(), "job {i}: {:?}", st.history);
        }
    }
    // the next claim of a never-started job is its first attempt
    let again = b.claim(&queue, "w2", 5, lease).await.unwrap();
    let attempts: Vec<u32> = again.jobs.iter().map(|j| j.attempt).collect();
    assert_eq!(
        attempts.iter().filter(|a| **a == 1).count(),
        3,
        "{attempts:?}"
    );
    assert_eq!(
        attempts.iter().filter(|a| **a == 2).count(),
        2,
        "{attempts:?}"
    );
    assert!(again.jobs.iter().all(|j| j.receipt == 0), "none buffered");
}

/// The start record errs only the safe way: it never goes back (a late or repeated record
/// of an earlier receipt leaves it where it was), and a worker without one (its record
/// dropped) has every job it received counted as started. The reaper drops the records of
/// workers it found gone, once their jobs are back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_record_only_grows_and_a_missing_one_counts_jobs_as_started() {
    let r = RedisServer::start();
    let ns = namespace();
    let b = common::broker(&r, &ns);
    let c = client(&r, &ns);
    let queue = q("marks");
    let starts = queue_keys(&ns, "marks").starts();
    let mut conn = r.conn();
    post_some(&c, &queue, 6).await;
    let lease = Duration::from_millis(200);
    let one = b.claim_buffering(&queue, "w1", 4, 0, lease).await.unwrap();
    let two = b.claim_buffering(&queue, "w2", 2, 0, lease).await.unwrap();
    assert_eq!((one.jobs.len(), two.jobs.len()), (4, 2));
    b.mark_started(&queue, "w1", one.jobs[2].receipt)
        .await
        .unwrap();
    b.mark_started(&queue, "w1", one.jobs[0].receipt)
        .await
        .unwrap();
    let _: i64 = redis::cmd("ZREM")
        .arg(&starts)
        .arg("w2")
        .query(&mut conn)
        .unwrap();
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let gone = ["w2".to_string()];
    let recovered = b.recover(&queue, &gone, 100).await.unwrap();
    assert_eq!(recovered.requeued.len(), 6);
    let stalls = |jobs: &[mlqd::broker::ClaimedJob]| {
        let ids: Vec<_> = jobs.iter().map(|j| j.id.clone()).collect();
        let c = &c;
        async move {
            let mut out = Vec::new();
            for id in ids {
                out.push(c.status(&id).await.unwrap().stalls);
            }
            out
        }
    };
    assert_eq!(stalls(&one.jobs).await, [1, 1, 1, 0], "w1 started three");
    assert_eq!(stalls(&two.jobs).await, [1, 1], "w2 has no record");
    let w1: Option<u64> = redis::cmd("ZSCORE")
        .arg(&starts)
        .arg("w1")
        .query(&mut conn)
        .unwrap();
    assert!(w1.is_some(), "w1 was not reported gone");
    let w2: Option<u64> = redis::cmd("ZSCORE")
        .arg(&starts)
        .arg("w2")
        .query(&mut conn)
        .unwrap();
    assert_eq!(w2, None);
    // a gone worker's record goes once its jobs are back
    let three = b.claim_buffering(&queue, "w3", 2, 0, lease).await.unwrap();
    assert_eq!(three.jobs.len(), 2);
    let before = stalls(&three.jobs).await;
    let gone = ["w1".to_string(), "w3".to_string()];
    let recovered = b.recover(&queue, &gone, 100).await.unwrap();
    assert_eq!(recovered.requeued.len(), 2, "w3's jobs, at once");
    assert_eq!(stalls(&three.jobs).await, before, "w3 started none");
    let left: u64 = redis::cmd("ZCARD").arg(&starts).query(&mut conn).unwrap();
    assert_eq!(left, 0);
}

/// A worker that stops cleanly leaves no start record behind, though it buffered jobs.
#[test]
fn a_worker_that_stops_drops_its_start_record() {
    let r = RedisServer::start();
    let ns = namespace();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _rt = rt.enter();
    let c = client(&r, &ns);
    let queue = q("bye");
    let ids = rt.block_on(post_some(&c, &queue, 2000));
    let mut worker = quiet_worker(
        &r,
        &ns,
        &["--queue", "bye", "--builtin", "echo", "--concurrency", "2"],
    );
    eventually(Duration::from_secs(60), || {
        let s = rt.block_on(c.broker().queue_stats(&queue)).ok()?;
        (s.totals.succeeded == ids.len() as u64).then_some(())
    })
    .expect("not drained");
    worker.signal("TERM");
    worker
        .wait_for(Duration::from_secs(20))
        .expect("worker did not stop");
    let mut conn = r.conn();
    let k = queue_keys(&ns, "bye");
    let receipts: Option<u64> = redis::cmd("HGET")
        .arg(k.stats())
        .arg("receipts")
        .query(&mut conn)
        .unwrap();
    assert!(receipts.unwrap_or(0) > 0, "the worker buffered no job");
    let exists: u64 = redis::cmd("EXISTS")
        .arg(k.starts())
        .query(&mut conn)
        .unwrap();
    assert_eq!(exists, 0);
}

/// An exec job that kills its worker from the worker's buffer spends its stall like any
/// other: the worker records that it reached its handler before it runs (an exec child can
/// take its parent down), so the poison is dead after max_stalls deaths, no more. The
/// poison sits behind enough fast jobs for the worker to be prefetching when it comes (a
/// worker prefetches once its jobs are seen to be fast), so it arrives in the buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffered_exec_job_that_kills_its_worker_spends_its_stall() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("pills");
    let spawn = || poison_worker(&r, &ns);
    let fine = post_some(&c, &queue, 300).await;
    let poison = c
        .post(
            &queue,
            Payload::json(&json!({"poison": true})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let mut worker = spawn();
    let mut deaths = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(_)) = worker.child.try_wait() {
            deaths += 1;
            worker = spawn();
        }
        let st = c.status(&poison.id).await.unwrap();
        let stats = c.broker().queue_stats(&queue).await.unwrap();
        if st.state == JobState::Dead && stats.totals.succeeded == fine.len() as u64 {
            break;
        }
        assert!(Instant::now() < deadline, "stuck: {st:?} {stats:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let st = c.status(&poison.id).await.unwrap();
    assert_eq!((st.stalls, st.failures), (3, 0), "{st:?}");
    assert_eq!(deaths, 3, "the pill killed a worker without a stall");
    let mut conn = r.conn();
    let receipts: Option<u64> = redis::cmd("HGET")
        .arg(queue_keys(&ns, "pills").stats())
        .arg("receipts")
        .query(&mut conn)
        .unwrap();
    assert!(receipts.unwrap_or(0) > 0, "nothing was buffered");
}

/// Posts `n` small jobs, returns their ids.
async fn post_some(
    c: &mlqd::Client,
    queue: &mlqd::job::QueueName,
    n: usize,
) -> Vec<mlqd::job::JobId> {
    let mut ids = Vec::new();
    for from in (0..n).step_by(500) {
        let jobs = (from..n.min(from + 500))
            .map(|i| (Payload::json(&json!({ "n": i })), JobOptions::default()))
            .collect();
        ids.extend(
            c.post_batch(queue, jobs, None)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.id),
        );
    }
    ids
}

fn rand_u64() -> u64 {
    rand::random::<u64>()
}
