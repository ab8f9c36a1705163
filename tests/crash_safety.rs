//! No job is lost and nothing needs a human when a process dies: proven by killing
//! workers, reapers and Redis for real.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::cluster::RedisCluster;
use common::{
    Deployment, Proc, RedisServer, broker, client, eventually, mlqd, namespace, poison_worker, q,
    queue_keys, quiet, quiet_worker, until,
};
use mlqd::broker::Broker;
use mlqd::job::{AttemptOutcome, JobState};
use mlqd::{Client, JobId, JobOptions, Payload, QueueName};
use serde_json::json;

async fn wait_drained(c: &Client, queue: &QueueName, total: u64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(s) = c.broker().queue_stats(queue).await
            && s.totals.succeeded >= total
            && s.pending + s.active + s.retry + s.scheduled == 0
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_killing_workers_loses_no_job_and_records_each_outcome_once() {
    let r = RedisServer::start();
    chaos(&r, &["chaos".to_string()]).await;
}

/// The same chaos on a Redis Cluster, the jobs spread over queues on different masters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_on_a_cluster_loses_no_job_and_records_each_outcome_once() {
    let cluster = RedisCluster::start();
    let queues = cluster.spread_queues("chaos", 3);
    chaos(&cluster, &queues).await;
}

/// 5000 short jobs over `queues`, three workers SIGKILLed and replaced every half second
/// or so for 11 s: every job ends succeeded with exactly one recorded outcome.
async fn chaos(r: &impl Deployment, queue_names: &[String]) {
    let ns = namespace();
    let c = client(r, &ns);
    let queues: Vec<QueueName> = queue_names.iter().map(|n| q(n)).collect();
    const JOBS: usize = 5000;
    let mut ids: Vec<JobId> = Vec::with_capacity(JOBS);
    for chunk in 0..(JOBS / 500) {
        let queue = &queues[chunk % queues.len()];
        let jobs = (0..500)
            .map(|i| {
                let n = chunk * 500 + i;
                (
                    Payload::json(&json!({ "ms": 1 + (n * 7919) % 20 })),
                    JobOptions {
                        max_stalls: Some(100),
                        ..Default::default()
                    },
                )
            })
            .collect();
        ids.extend(
            c.post_batch(queue, jobs, None)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.id),
        );
    }
    let mut args: Vec<&str> = Vec::new();
    for name in queue_names {
        args.extend(["--queue", name]);
    }
    args.extend(["--builtin", "sleep", "--concurrency", "2", "--lease", "1s"]);
    let mut workers: Vec<Proc> = (0..3).map(|_| quiet_worker(r, &ns, &args)).collect();
    let started = Instant::now();
    let mut kills = 0;
    while started.elapsed() < Duration::from_secs(11) {
        let pause = 500 + rand::random::<u64>() % 500;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let victim = rand::random::<u64>() as usize % workers.len();
        workers[victim].signal("KILL");
        let _ = workers[victim].wait_for(Duration::from_secs(5));
        workers[victim] = quiet_worker(r, &ns, &args);
        kills += 1;
    }
    let mut succeeded = 0;
    for (i, queue) in queues.iter().enumerate() {
        // each queue got every n-th chunk of 500
        let total = (0..JOBS / 500).filter(|c| c % queues.len() == i).count() as u64 * 500;
        assert!(
            wait_drained(&c, queue, total, Duration::from_secs(180)).await,
            "jobs were not all done: {:?}",
            c.broker().queue_stats(queue).await
        );
        let stats = c.broker().queue_stats(queue).await.unwrap();
        assert_eq!(
            stats.totals.succeeded, total,
            "an outcome was recorded twice"
        );
        assert_eq!(
            (stats.pending, stats.active, stats.retry, stats.dead),
            (0, 0, 0, 0)
        );
        succeeded += stats.totals.succeeded;
    }
    assert_eq!(succeeded, JOBS as u64);
    let drained = started.elapsed();
    let mut ran_again = 0;
    let mut executions = 0;
    for id in &ids {
        let st = c.status(id).await.unwrap();
        assert_eq!(st.state, JobState::Succeeded, "{id}");
        let recorded = st
            .history
            .iter()
            .filter(|h| h.outcome == AttemptOutcome::Succeeded)
            .count();
        assert_eq!(recorded, 1, "{id} has {recorded} recorded outcomes");
        executions += st.attempts;
        if st.attempts > 1 {
            ran_again += 1;
        }
    }
    println!(
        "chaos: {JOBS} jobs on {} queue(s) at {}, 3 workers, {kills} SIGKILLs over 11 s; {ran_again} jobs ran more than once ({executions} executions); drained {:.1} s after the first kill round began",
        queues.len(),
        r.url(),
        drained.as_secs_f64()
    );
    assert!(kills >= 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reapers_acting_at_once_requeue_an_expired_job_once() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("race");
    let posted = c
        .post(&queue, Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap();
    let b = broker(&r, &ns);
    let claim = b
        .claim(&queue, "ghost", 1, Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(claim.jobs.len(), 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // eight reapers on their own connections, all at once, half of them also told the
    // owner is gone
    let reapers: Vec<Broker> = (0..8).map(|_| broker(&r, &ns)).collect();
    let gone = vec!["ghost".to_string()];
    let results = futures::future::join_all(reapers.iter().enumerate().map(|(i, rb)| {
        let queue = queue.clone();
        let gone = if i % 2 == 0 { gone.clone() } else { Vec::new() };
        async move { rb.recover(&queue, &gone, 100).await.unwrap() }
    }))
    .await;
    let requeued: usize = results.iter().map(|r| r.requeued.len()).sum();
    assert_eq!(requeued, 1, "requeued {requeued} times");
    let st = c.status(&posted.id).await.unwrap();
    assert_eq!(st.state, JobState::Pending);
    assert_eq!(st.stalls, 1);
    assert_eq!(st.history.len(), 1);
    let mut conn = r.conn();
    let copies: Vec<i64> = redis::cmd("LPOS")
        .arg(queue_keys(&ns, "race").pending())
        .arg(posted.id.ulid())
        .arg("COUNT")
        .arg(0)
        .query(&mut conn)
        .unwrap();
    assert_eq!(
        copies.len(),
        1,
        "the job sits in pending {} times",
        copies.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_leader_dies_another_reaper_takes_over_and_reaps() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let reaper = || {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["reaper", "--leader-ttl", "2s", "--interval", "200ms"]);
        Proc::spawn(quiet(cmd))
    };
    let reapers = [reaper(), reaper()];
    let first = until(Duration::from_secs(5), || async {
        b.leader().await.ok().flatten()
    })
    .await
    .expect("nobody leads");
    let pid_of = |holder: &str| -> u32 {
        holder
            .rsplit('-')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap()
    };
    let leader_pid = pid_of(&first);
    let (dead, alive) = if reapers[0].pid() == leader_pid {
        (0, 1)
    } else {
        (1, 0)
    };
    assert_eq!(
        reapers[dead].pid(),
        leader_pid,
        "leader {first} is not one of ours"
    );
    reapers[dead].signal("KILL");
    let killed = Instant::now();
    let second = until(Duration::from_secs(5), || async {
        let h = b.leader().await.ok().flatten()?;
        (h != first).then_some(h)
    })
    .await
    .expect("no one took over");
    let took = killed.elapsed();
    assert_eq!(pid_of(&second), reapers[alive].pid());
    assert!(
        took <= Duration::from_millis(2000 + 600),
        "took over after {took:?}"
    );
    // the new leader reaps: a lease expires with no worker around to notice
    let queue = q("orphans");
    let posted = c
        .post(&queue, Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap();
    b.claim(&queue, "vanished", 1, Duration::from_millis(300))
        .await
        .unwrap();
    let st = until(Duration::from_secs(5), || async {
        let st = c.status(&posted.id).await.ok()?;
        (st.state == JobState::Pending).then_some(st)
    })
    .await
    .expect("expired lease was not reaped");
    assert_eq!(st.stalls, 1);
    assert_eq!(st.history[0].outcome, AttemptOutcome::LeaseLost);
    println!("leader {first} killed; {second} took over after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_job_is_promoted_within_a_second_by_a_lone_reaper() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("cron");
    // register the queue first, so the reaper sees it
    c.post(
        &queue,
        Payload::json(&json!({})),
        JobOptions {
            delay: Some(Duration::from_secs(3600)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["reaper", "--interval", "1s"]);
    let _reaper = Proc::spawn(quiet(cmd));
    let posted = c
        .post(
            &queue,
            Payload::json(&json!({})),
            JobOptions {
                delay: Some(Duration::from_millis(1500)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let due = c.status(&posted.id).await.unwrap().run_at.unwrap();
    let due_ms = time::OffsetDateTime::parse(&due, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
        / 1_000_000;
    let seen = until(Duration::from_secs(6), || async {
        let st = c.status(&posted.id).await.ok()?;
        if st.state == JobState::Pending {
            b.time_ms().await.ok()
        } else {
            None
        }
    })
    .await
    .expect("never promoted");
    let late = seen as i128 - due_ms;
    assert!((0..=1000).contains(&late), "promoted {late} ms after due");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_with_aof_loses_no_job_and_everyone_recovers() {
    let mut r = RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
    ]);
    let ns = namespace();
    let queue = q("durable");
    let args = [
        "--queue",
        "durable",
        "--builtin",
        "sleep",
        "--concurrency",
        "4",
        "--lease",
        "3s",
    ];
    let mut workers = vec![quiet_worker(&r, &ns, &args), quiet_worker(&r, &ns, &args)];
    let c = client(&r, &ns);
    const JOBS: usize = 2000;
    let mut ids = Vec::with_capacity(JOBS);
    let mut outage = Duration::ZERO;
    for i in 0..JOBS {
        if i == 700 {
            r.kill();
            let down = Instant::now();
            tokio::time::sleep(Duration::from_secs(1)).await;
            r.restart();
            outage = down.elapsed();
        }
        // an idempotency key makes a post that may or may not have landed safe to retry
        let opts = JobOptions {
            idempotency_key: Some(format!("job-{i}")),
            ..Default::default()
        };
        let payload = Payload::json(&json!({ "ms": 1 + i % 5 }));
        let id = loop {
            match c.post(&queue, payload.clone(), opts.clone()).await {
                Ok(e) => break e.id,
                Err(e) => {
                    assert!(e.is_unavailable(), "{e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        ids.push(id);
    }
    assert!(
        wait_drained(&c, &queue, JOBS as u64, Duration::from_secs(120)).await,
        "not drained: {:?}",
        c.broker().queue_stats(&queue).await
    );
    let stats = c.broker().queue_stats(&queue).await.unwrap();
    assert_eq!(stats.totals.enqueued, JOBS as u64);
    for id in &ids {
        assert_eq!(
            c.status(id).await.unwrap().state,
            JobState::Succeeded,
            "{id}"
        );
    }
    for w in &mut workers {
        assert!(
            w.child.try_wait().unwrap().is_none(),
            "a worker died with redis"
        );
    }
    println!("aof: {JOBS} jobs, redis down {outage:?} after job 700, all succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_workers_late_outcome_is_rejected() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let log = common::write_temp("frozen.log", b"");
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "worker",
        "--queue",
        "ice",
        "--builtin",
        "sleep",
        "--lease",
        "1500ms",
        "--worker-id",
        "frozen-a",
        "--no-reaper",
    ])
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&log).unwrap());
    let frozen = Proc::spawn(cmd);
    let posted = c
        .post(
            &q("ice"),
            Payload::json(&json!({"ms": 2500})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    until(Duration::from_secs(5), || async {
        let st = c.status(&posted.id).await.ok()?;
        (st.state == JobState::Active).then_some(())
    })
    .await
    .expect("job never started");
    frozen.signal("STOP");
    let _b = quiet_worker(
        &r,
        &ns,
        &["--queue", "ice", "--builtin", "sleep", "--worker-id", "b"],
    );
    let done = c
        .wait(&posted.id, Some(Duration::from_secs(15)))
        .await
        .unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.worker.as_deref(), Some("b"));
    frozen.signal("CONT");
    // give the thawed worker time to finish its sleep and try to record it
    let tried = until(Duration::from_secs(10), || async {
        let text = std::fs::read_to_string(&log).ok()?;
        text.contains("lease").then_some(text)
    })
    .await;
    assert!(
        tried.is_some(),
        "the frozen worker never noticed its lease was gone"
    );
    let st = c.status(&posted.id).await.unwrap();
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(st.worker.as_deref(), Some("b"));
    let outcomes: Vec<_> = st
        .history
        .iter()
        .map(|h| (h.worker.as_str(), h.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("frozen-a", AttemptOutcome::LeaseLost),
            ("b", AttemptOutcome::Succeeded)
        ]
    );
    let stats = c.broker().queue_stats(&q("ice")).await.unwrap();
    assert_eq!(stats.totals.succeeded, 1);
    let _ = std::fs::remove_file(log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_repairs_broken_invariants_and_counts_them() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("sweep");
    let good = c
        .post(&queue, Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap();
    let k = queue_keys(&ns, "sweep");
    let ulid = || ulid::Ulid::generate().to_string();
    let (lost, leaseless, twice, orphan, meta_only) = (ulid(), ulid(), ulid(), ulid(), ulid());
    let mut conn = r.conn();
    let spec = "{\"t\":1700000000000}\n{}";
    let _: () = redis::pipe()
        .hset(k.specs(), &lost, spec) // a job in no structure
        .hset(k.specs(), &leaseless, spec) // running without a lease owner
        .zadd(k.active(), &leaseless, 9_999_999_999_999u64)
        .hset(k.specs(), &twice, spec) // pending and scheduled at once
        .rpush(k.pending(), &twice)
        .zadd(k.scheduled(), &twice, 9_999_999_999_999u64)
        .zadd(k.retry(), &orphan, 9_999_999_999_999u64) // an index entry without a job
        .hset(k.meta(), &meta_only, "{}") // meta without a job
        .query(&mut conn)
        .unwrap();
    let log = common::write_temp("sweep.log", b"");
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["reaper", "--sweep-interval", "300ms", "--log-level", "warn"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let _reaper = Proc::spawn(cmd);
    let text = until(Duration::from_secs(10), || async {
        let text = std::fs::read_to_string(&log).ok()?;
        // the per-job lines come first, the sweep's summary line after them
        (text.matches("invariant repaired").count() >= 5 && text.contains("repairs="))
            .then_some(text)
    })
    .await
    .unwrap_or_else(|| std::fs::read_to_string(&log).unwrap_or_default());
    assert_eq!(text.matches("invariant repaired").count(), 5, "{text}");
    assert!(text.contains("repairs=5"), "{text}");
    let id = |u: &str| JobId::from_str_parts(&queue, u);
    assert_eq!(c.status(&id(&lost)).await.unwrap().state, JobState::Pending);
    assert_eq!(
        c.status(&id(&leaseless)).await.unwrap().state,
        JobState::Pending
    );
    assert_eq!(
        c.status(&id(&twice)).await.unwrap().state,
        JobState::Scheduled
    );
    assert_eq!(c.status(&good.id).await.unwrap().state, JobState::Pending);
    let retry: u64 = redis::cmd("ZCARD").arg(k.retry()).query(&mut conn).unwrap();
    let meta: bool = redis::cmd("HEXISTS")
        .arg(k.meta())
        .arg(&meta_only)
        .query(&mut conn)
        .unwrap();
    let in_list: Vec<i64> = redis::cmd("LPOS")
        .arg(k.pending())
        .arg(&twice)
        .arg("COUNT")
        .arg(0)
        .query(&mut conn)
        .unwrap();
    assert_eq!((retry, meta, in_list.len()), (0, false, 0));
    // a second sweep finds nothing more to do
    std::thread::sleep(Duration::from_millis(800));
    let again = std::fs::read_to_string(&log).unwrap();
    assert_eq!(again.matches("invariant repaired").count(), 5, "{again}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn the_worker_registry_lists_live_workers_and_forgets_dead_ones() {
    let r = RedisServer::start();
    let ns = namespace();
    let list = || -> serde_json::Value {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["workers", "--json"]);
        serde_json::from_slice(&common::run(cmd).stdout).unwrap()
    };
    let mut clean = quiet_worker(
        &r,
        &ns,
        &[
            "--queue",
            "a,b",
            "--concurrency",
            "3",
            "--builtin",
            "echo",
            "--worker-id",
            "clean",
            "--no-reaper",
        ],
    );
    let crash = quiet_worker(
        &r,
        &ns,
        &["--builtin", "echo", "--worker-id", "crash", "--no-reaper"],
    );
    let both = eventually(Duration::from_secs(5), || {
        let w = list();
        (w.as_array()?.len() == 2).then_some(w)
    })
    .expect("workers never registered");
    let clean_info = both
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == "clean")
        .unwrap();
    assert_eq!(clean_info["queues"], json!(["a", "b"]));
    assert_eq!(clean_info["concurrency"], 3);
    assert_eq!(clean_info["handler"], "builtin:echo");
    // a clean exit leaves the registry at once
    clean.signal("TERM");
    clean.wait_for(Duration::from_secs(10)).expect("no exit");
    let ids = |w: &serde_json::Value| -> Vec<String> {
        w.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&list()), vec!["crash"]);
    // a crashed worker is pruned by the reaper once it has been silent long enough
    crash.signal("KILL");
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["reaper", "--worker-timeout", "1s", "--interval", "200ms"]);
    let _reaper = Proc::spawn(quiet(cmd));
    eventually(Duration::from_secs(8), || {
        ids(&list()).is_empty().then_some(())
    })
    .expect("dead worker never pruned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_job_that_kills_its_worker_is_dead_after_max_stalls() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("pills");
    let spawn = || poison_worker(&r, &ns);
    let poison = c
        .post(
            &queue,
            Payload::json(&json!({"poison": true})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let mut fine = Vec::new();
    for i in 0..30 {
        fine.push(
            c.post(
                &queue,
                Payload::json(&json!({ "n": i })),
                JobOptions::default(),
            )
            .await
            .unwrap()
            .id,
        );
    }
    // three workers (one job each), restarted whenever one dies, as a supervisor would
    let mut workers: Vec<Proc> = (0..3).map(|_| spawn()).collect();
    let mut deaths = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for w in workers.iter_mut() {
            if let Ok(Some(_)) = w.child.try_wait() {
                deaths += 1;
                *w = spawn();
            }
        }
        let st = c.status(&poison.id).await.unwrap();
        let stats = c.broker().queue_stats(&queue).await.unwrap();
        if st.state == JobState::Dead && stats.totals.succeeded == 30 {
            break;
        }
        assert!(Instant::now() < deadline, "stuck: {st:?} {stats:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let st = c.status(&poison.id).await.unwrap();
    assert!(
        st.error.as_deref().unwrap_or("").starts_with("worker lost"),
        "{:?}",
        st.error
    );
    assert_eq!(st.stalls, 3);
    assert_eq!(st.failures, 0);
    assert_eq!(
        deaths, 3,
        "the pill should have killed exactly max_stalls workers"
    );
    for id in &fine {
        assert_eq!(
            c.status(id).await.unwrap().state,
            JobState::Succeeded,
            "{id}"
        );
    }
}

#[test]
fn mlqd_up_runs_everything_and_keeps_results_across_restarts() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("mlqd-up-{:08x}", common::rand_u32()));
    std::fs::create_dir_all(&dir).unwrap();
    let start = || -> (Proc, String, String) {
        let mut cmd = std::process::Command::new(common::bin());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MLQD_LOG_LEVEL", "warn")
            .current_dir(&dir)
            .args(["up", "--builtin", "echo", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut p = Proc::spawn(cmd);
        let out = p.child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let (mut api, mut redis) = (String::new(), String::new());
        while api.is_empty() || redis.is_empty() {
            let line = lines.next().expect("mlqd up printed too little").unwrap();
            if let Some(a) = line.strip_prefix("mlqd up: API") {
                api = a.trim().to_string();
            }
            if let Some(u) = line.strip_prefix("mlqd up: Redis") {
                redis = u.trim().to_string();
            }
        }
        // keep reading, as a terminal would
        std::thread::spawn(move || lines.for_each(drop));
        (p, api, redis)
    };
    let (mut up, api, redis) = start();
    assert!(
        dir.join(".mlqd").is_dir(),
        "data dir not made in the working directory"
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::new();
    let posted: serde_json::Value = http
        .post(format!("{api}/v1/queues/default/jobs?wait=10s"))
        .header("content-type", "application/json")
        .body(r#"{"hello":"up"}"#)
        .send()
        .map(|r| {
            assert_eq!(r.status(), 200);
            let id = r.headers()["x-mlqd-job-id"].to_str().unwrap().to_string();
            json!({ "id": id, "body": r.text().unwrap() })
        })
        .unwrap();
    assert_eq!(posted["body"], r#"{"hello":"up"}"#);
    let id = posted["id"].as_str().unwrap().to_string();
    // Ctrl-C stops everything, Redis included
    up.signal("INT");
    let st = up
        .wait_for(Duration::from_secs(20))
        .expect("up did not stop");
    assert_eq!(st.code(), Some(0));
    let port: u16 = redis.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "redis still up"
    );
    // start again: the finished result is still there
    let (mut up, api, _) = start();
    let body = http
        .get(format!("{api}/v1/jobs/{id}/result"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(body, r#"{"hello":"up"}"#);
    up.signal("INT");
    up.wait_for(Duration::from_secs(20))
        .expect("up did not stop");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mlqd_up_keeps_running_when_nobody_reads_its_banner() {
    let dir = std::env::temp_dir().join(format!("mlqd-up-{:08x}", common::rand_u32()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = std::process::Command::new(common::bin());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MLQD_LOG_LEVEL", "warn")
        .current_dir(&dir)
        .args(["up", "--builtin", "echo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut up = Proc::spawn(cmd);
    drop(up.child.stdout.take()); // stdout closed before the banner is written
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        up.child.try_wait().unwrap().is_none(),
        "mlqd up died with its stdout closed"
    );
    up.signal("INT");
    assert_eq!(
        up.wait_for(Duration::from_secs(20)).and_then(|s| s.code()),
        Some(0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
