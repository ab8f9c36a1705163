//! The engine's guarantees, exercised through the library against a private redis-server.

mod common;

use std::time::Duration;

use common::{RedisServer, broker, client, namespace, q, queue_keys};
use mlqd::broker::{Backoff, Fence, Success};
use mlqd::job::{AttemptOutcome, JSON, JobState, JobStatus};
use mlqd::worker::Builtin;
use mlqd::{JobOptions, Payload, Worker, WorkerConfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn ms(t: &str) -> i128 {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
        / 1_000_000
}

/// Starts an in-process worker; stop it by cancelling the returned token.
fn start_worker(
    r: &RedisServer,
    ns: &str,
    queue: &str,
    handler: Builtin,
    tune: impl FnOnce(&mut WorkerConfig),
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let mut cfg = WorkerConfig::new(vec![q(queue)]);
    cfg.concurrency = 4;
    cfg.lease = Duration::from_secs(5);
    tune(&mut cfg);
    let worker = Worker::new(broker(r, ns), cfg).handler(handler);
    let stop = CancellationToken::new();
    let s = stop.clone();
    let h = tokio::spawn(async move {
        worker.run(s).await.unwrap();
    });
    (stop, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priorities_run_highest_first_and_fifo_within_a_priority() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("prio");
    // 1,200 jobs over 11 priorities from -100 to 100 (0 among them), interleaved
    let mut posted = Vec::new();
    for chunk in 0..12 {
        let jobs: Vec<_> = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                let priority = ((n * 37) % 11) * 20 - 100;
                (
                    Payload::json(&json!({ "n": n })),
                    JobOptions {
                        priority,
                        ..Default::default()
                    },
                )
            })
            .collect();
        let prios: Vec<i32> = jobs.iter().map(|(_, o)| o.priority).collect();
        let out = c.post_batch(&queue, jobs, None).await.unwrap();
        for (e, p) in out.into_iter().zip(prios) {
            posted.push((p, posted.len(), e.id.to_string()));
        }
    }
    let mut expected = posted.clone();
    expected.sort_by_key(|(p, seq, _)| (-p, *seq));
    let expected: Vec<String> = expected.into_iter().map(|(_, _, id)| id).collect();

    let mut order = Vec::new();
    loop {
        let claim = b
            .claim(&queue, "w", 37, Duration::from_secs(60))
            .await
            .unwrap();
        if claim.jobs.is_empty() {
            break;
        }
        order.extend(claim.jobs.into_iter().map(|j| j.id.to_string()));
    }
    assert_eq!(order.len(), 1200);
    assert_eq!(order, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_jobs_start_after_they_are_due_and_promptly() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("later");
    let delay = Duration::from_millis(1200);
    let by_delay = c
        .post(
            &queue,
            Payload::json(&json!({})),
            JobOptions {
                delay: Some(delay),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let at = time::OffsetDateTime::now_utc() + delay;
    let by_time = c
        .post(
            &queue,
            Payload::json(&json!({})),
            JobOptions {
                run_at: Some(at),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_delay.state, JobState::Scheduled);
    let st = c.status(&by_delay.id).await.unwrap();
    assert_eq!(st.state, JobState::Scheduled);
    let due = ms(st.run_at.as_deref().unwrap());

    let (stop, h) = start_worker(&r, &ns, "later", Builtin::Echo, |_| {});
    let done = c
        .wait(&by_delay.id, Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    // the job still says when it was due once it has run
    assert_eq!(done.run_at.as_deref().map(ms), Some(due));
    let started = ms(done.started_at.as_deref().unwrap());
    assert!(started >= due, "started {started} before due {due}");
    assert!(
        started - due <= 1500,
        "started {} ms after due",
        started - due
    );
    let done = c
        .wait(&by_time.id, Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let started = ms(done.started_at.as_deref().unwrap());
    let at_ms = at.unix_timestamp_nanos() / 1_000_000;
    assert!(started >= at_ms - 5, "run_at job started early");
    assert!(started - at_ms <= 1500);
    stop.cancel();
    h.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_job_is_retried_with_growing_backoff_then_dead() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("flaky");
    let posted = c
        .post(
            &queue,
            Payload::json(&json!({})),
            JobOptions {
                max_retries: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (stop, h) = start_worker(&r, &ns, "flaky", Builtin::Fail, |cfg| {
        cfg.backoff = Backoff {
            base: Duration::from_millis(400),
            cap: Duration::from_secs(60),
        };
    });
    let st: JobStatus = c
        .wait(&posted.id, Some(Duration::from_secs(15)))
        .await
        .unwrap();
    stop.cancel();
    h.await.unwrap();
    assert_eq!(st.state, JobState::Dead);
    assert_eq!(st.attempts, 3, "1 run + max_retries 2");
    assert_eq!(st.failures, 3);
    assert!(st.error.as_deref().unwrap().contains("always fails"));
    assert_eq!(st.history.len(), 3);
    assert!(
        st.history
            .iter()
            .all(|h| h.outcome == AttemptOutcome::Failed)
    );
    let starts: Vec<i128> = st.history.iter().map(|h| ms(&h.started_at)).collect();
    let ends: Vec<i128> = st
        .history
        .iter()
        .map(|h| ms(h.finished_at.as_deref().unwrap()))
        .collect();
    let gap1 = starts[1] - ends[0];
    let gap2 = starts[2] - ends[1];
    // base 400ms: gap1 in [300, 500], gap2 in [600, 1000] (+ wake-up latency)
    assert!(gap1 >= 300, "first backoff {gap1} ms");
    assert!(gap2 >= 600, "second backoff {gap2} ms");
    assert!(gap2 > gap1, "backoff did not grow: {gap1} then {gap2}");
    let stats = c.broker().queue_stats(&queue).await.unwrap();
    assert_eq!(stats.dead, 1);
    assert_eq!(stats.totals.failed, 3);
    let dead = c.dlq_list(Some(&queue), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, posted.id.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_lease_cannot_overwrite_outcome() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("fence");
    let posted = c
        .post(
            &queue,
            Payload::json(&json!({"x": 1})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let a = b
        .claim(&queue, "worker-a", 1, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(a.jobs.len(), 1);
    assert_eq!(a.jobs[0].attempt, 1);
    tokio::time::sleep(Duration::from_millis(450)).await;
    // the claim path recovers the expired lease and hands the job to worker-b
    let bb = b
        .claim(&queue, "worker-b", 1, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(bb.jobs.len(), 1);
    assert_eq!(bb.jobs[0].id, posted.id);
    assert_eq!(bb.jobs[0].attempt, 2);
    let ulid = posted.id.ulid().to_string();
    let success = |attempt: u32, body: &str| Success {
        ulid: ulid.clone(),
        attempt,
        result: body.as_bytes().to_vec(),
        content_type: "text/plain".into(),
    };
    // the old owner can neither renew nor record anything
    let lost = b
        .renew(
            &queue,
            "worker-a",
            Duration::from_secs(30),
            &[(ulid.clone(), 1)],
        )
        .await
        .unwrap();
    assert_eq!(lost, vec![ulid.clone()]);
    let f = b
        .complete(&queue, "worker-a", &[success(1, "from A")])
        .await
        .unwrap();
    assert_eq!(f, vec![Fence::LeaseLost]);
    assert_eq!(c.status(&posted.id).await.unwrap().state, JobState::Active);
    // the new owner records its outcome
    let f = b
        .complete(&queue, "worker-b", &[success(2, "from B")])
        .await
        .unwrap();
    assert_eq!(f, vec![Fence::Recorded(JobState::Succeeded)]);
    // a retried call by the owner is recognised; the old owner is still refused
    let f = b
        .complete(&queue, "worker-b", &[success(2, "from B")])
        .await
        .unwrap();
    assert_eq!(f, vec![Fence::Duplicate]);
    let f = b
        .complete(&queue, "worker-a", &[success(1, "from A, late")])
        .await
        .unwrap();
    assert_eq!(f, vec![Fence::LeaseLost]);
    let (st, result) = c.result(&posted.id).await.unwrap();
    assert_eq!(result.bytes, b"from B");
    assert_eq!(result.content_type, "text/plain");
    assert_eq!(st.attempts, 2);
    assert_eq!(st.stalls, 1);
    assert_eq!(st.history.len(), 2);
    assert_eq!(st.history[0].worker, "worker-a");
    assert_eq!(st.history[0].outcome, AttemptOutcome::LeaseLost);
    assert_eq!(st.history[0].error.as_deref(), Some("lease expired"));
    assert_eq!(st.history[1].worker, "worker-b");
    assert_eq!(st.history[1].outcome, AttemptOutcome::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_keeps_losing_its_worker_is_dead_after_max_stalls() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("poison");
    let posted = c
        .post(&queue, Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap();
    for round in 1..=3 {
        let claim = b
            .claim(&queue, &format!("w{round}"), 1, Duration::from_millis(100))
            .await
            .unwrap();
        assert_eq!(claim.jobs.len(), 1, "round {round}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // the next claim finds the third lease expired: the stall budget is spent
    let claim = b
        .claim(&queue, "w4", 1, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(claim.jobs.is_empty());
    let st = c.status(&posted.id).await.unwrap();
    assert_eq!(st.state, JobState::Dead);
    assert_eq!(st.stalls, 3);
    assert_eq!(st.failures, 0, "crashes are counted apart from errors");
    assert!(
        st.error.as_deref().unwrap().starts_with("worker lost"),
        "{:?}",
        st.error
    );
    assert!(
        st.history
            .iter()
            .all(|h| h.outcome == AttemptOutcome::LeaseLost)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_job_stops_its_handler() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("cancel");
    let (stop, h) = start_worker(&r, &ns, "cancel", Builtin::Sleep, |cfg| cfg.concurrency = 1);
    let long = c
        .post(
            &queue,
            Payload::json(&json!({"ms": 20000})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let running = common::until(Duration::from_secs(5), || async {
        let st = c.status(&long.id).await.ok()?;
        (st.state == JobState::Active).then_some(st)
    })
    .await;
    assert!(running.is_some(), "job never started");
    assert_eq!(c.cancel(&long.id).await.unwrap(), JobState::Active);
    // the only slot frees quickly: a next job finishes long before the 20 s sleep would
    let next = c
        .post(
            &queue,
            Payload::json(&json!({"ms": 1})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let done = c
        .wait(&next.id, Some(Duration::from_secs(4)))
        .await
        .unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    let st = c.status(&long.id).await.unwrap();
    assert_eq!(st.state, JobState::Cancelled);
    assert_eq!(
        st.history.last().unwrap().outcome,
        AttemptOutcome::Cancelled
    );
    assert!(matches!(
        c.result(&long.id).await,
        Err(mlqd::Error::JobFailed {
            state: JobState::Cancelled,
            ..
        })
    ));
    stop.cancel();
    h.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_payloads_round_trip_through_a_rust_handler() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("bytes");
    // a closure handler: reverse the bytes, keep the content type
    let mut cfg = WorkerConfig::new(vec![queue.clone()]);
    cfg.concurrency = 2;
    let worker = Worker::new(broker(&r, &ns), cfg).handler(|job: mlqd::Job| async move {
        let mut bytes = job.payload.bytes.clone();
        bytes.reverse();
        Ok(mlqd::Output {
            bytes,
            content_type: job.payload.content_type.clone(),
        })
    });
    let stop = CancellationToken::new();
    let s = stop.clone();
    let h = tokio::spawn(async move { worker.run(s).await.unwrap() });
    for size in [0usize, 10, 511, 512, 513, 200_000] {
        let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 256) as u8).collect();
        let posted = c
            .post(
                &queue,
                Payload::bytes(bytes.clone(), "application/octet-stream"),
                JobOptions::default(),
            )
            .await
            .unwrap();
        let (st, result) = c
            .wait_result(&posted.id, Some(Duration::from_secs(10)))
            .await
            .unwrap();
        let mut expected = bytes.clone();
        expected.reverse();
        assert_eq!(result.bytes, expected, "size {size}");
        assert_eq!(result.content_type, "application/octet-stream");
        assert_eq!(st.content_type, "application/octet-stream");
    }
    stop.cancel();
    h.await.unwrap();
    // nothing of the finished jobs is left in the live structures
    let mut conn = r.conn();
    let specs: u64 = redis::cmd("HLEN")
        .arg(queue_keys(&ns, "bytes").specs())
        .query(&mut conn)
        .unwrap();
    let payloads: u64 = redis::cmd("HLEN")
        .arg(queue_keys(&ns, "bytes").payloads())
        .query(&mut conn)
        .unwrap();
    assert_eq!((specs, payloads), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_expire_after_their_result_ttl() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("ttl");
    let (stop, h) = start_worker(&r, &ns, "ttl", Builtin::Echo, |_| {});
    let posted = c
        .post(
            &queue,
            Payload::json(&json!({})),
            JobOptions {
                result_ttl: Some(Duration::from_secs(1)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    c.wait(&posted.id, Some(Duration::from_secs(5)))
        .await
        .unwrap();
    stop.cancel();
    h.await.unwrap();
    let mut conn = r.conn();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(queue_keys(&ns, "ttl").done(posted.id.ulid()))
        .query(&mut conn)
        .unwrap();
    assert!(ttl > 0 && ttl <= 1000, "ttl {ttl}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(matches!(
        c.status(&posted.id).await,
        Err(mlqd::Error::NotFound(_))
    ));
    // every remaining key is a bounded per-queue structure (no per-job leftovers)
    for k in r.keys(&ns) {
        assert!(!k.contains(":done:"), "leftover {k}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_worker_blocks_instead_of_polling_and_wakes_at_once() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("idle");
    let (stop, h) = start_worker(&r, &ns, "idle", Builtin::Noop, |_| {});
    tokio::time::sleep(Duration::from_millis(300)).await;
    let evals = |conn: &mut redis::Connection| -> u64 {
        let info: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let mut conn = r.conn();
    let before = evals(&mut conn);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_calls = evals(&mut conn) - before;
    assert!(
        idle_calls <= 5,
        "{idle_calls} script calls in 3 s of idling"
    );
    // five jobs posted at odd moments each start within a fraction of the 1 s block
    for pause in [130u64, 470, 290, 710, 50] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let posted = c
            .post(&queue, Payload::json(&json!({})), JobOptions::default())
            .await
            .unwrap();
        let st = c
            .wait(&posted.id, Some(Duration::from_secs(5)))
            .await
            .unwrap();
        let latency = ms(st.started_at.as_deref().unwrap()) - ms(&st.created_at);
        assert!(
            latency < 300,
            "job started {latency} ms after it was posted"
        );
    }
    stop.cancel();
    h.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_worker_hands_back_what_it_cannot_finish() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("drain");
    let (stop, h) = start_worker(&r, &ns, "drain", Builtin::Sleep, |cfg| {
        cfg.concurrency = 1;
        cfg.drain_timeout = Duration::from_millis(300);
        cfg.cancel_grace = Duration::from_millis(200);
    });
    let posted = c
        .post(
            &queue,
            Payload::json(&json!({"ms": 3000})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    common::until(Duration::from_secs(5), || async {
        let st = c.status(&posted.id).await.ok()?;
        (st.state == JobState::Active).then_some(())
    })
    .await
    .expect("job started");
    stop.cancel();
    h.await.unwrap();
    let st = c.status(&posted.id).await.unwrap();
    assert_eq!(st.state, JobState::Pending);
    assert_eq!(st.failures, 0, "a hand-back uses no retry");
    assert_eq!(st.history[0].outcome, AttemptOutcome::HandedBack);
    // a new worker finishes it, once
    let (stop, h) = start_worker(&r, &ns, "drain", Builtin::Sleep, |_| {});
    let done = c
        .wait(&posted.id, Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.attempts, 2);
    stop.cancel();
    h.await.unwrap();
    let stats = c.broker().queue_stats(&queue).await.unwrap();
    assert_eq!(stats.totals.succeeded, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_payload_default_content_type() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let posted = c
        .post(
            &q("default"),
            Payload::json(&json!({"a": [1, 2]})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let st = c.status(&posted.id).await.unwrap();
    assert_eq!(st.content_type, JSON);
    assert_eq!(st.state, JobState::Pending);
    assert_eq!(st.max_retries, 3);
    assert_eq!(st.max_stalls, 3);
    assert!(st.history.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_attempt_is_recorded_with_the_same_history_with_or_without_progress() {
    // complete.lua closes an untouched first attempt without decoding its meta; a job that
    // reported progress goes the general way. Both records must read the same.
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("fast");
    let mut ids = Vec::new();
    for i in 0..2 {
        let posted = c
            .post(
                &queue,
                Payload::json(&json!({ "i": i })),
                JobOptions::default(),
            )
            .await
            .unwrap();
        ids.push(posted.id);
    }
    let claim = b
        .claim(&queue, "worker \"odd\" /id", 2, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claim.jobs.len(), 2);
    assert!(
        b.progress(&ids[1], 1, "worker \"odd\" /id", 50, Some("half"))
            .await
            .unwrap()
    );
    let items: Vec<Success> = ids
        .iter()
        .map(|id| Success {
            ulid: id.ulid().to_string(),
            attempt: 1,
            result: b"{}".to_vec(),
            content_type: JSON.into(),
        })
        .collect();
    let fences = b
        .complete(&queue, "worker \"odd\" /id", &items)
        .await
        .unwrap();
    assert_eq!(fences, [Fence::Recorded(JobState::Succeeded); 2]);
    // a second call of the same outcome is a duplicate, not a second record
    let again = b
        .complete(&queue, "worker \"odd\" /id", &items[..1])
        .await
        .unwrap();
    assert_eq!(again, [Fence::Duplicate]);
    for id in &ids {
        let st = c.status(id).await.unwrap();
        assert_eq!(st.state, JobState::Succeeded);
        assert_eq!(st.attempts, 1);
        assert_eq!(st.worker.as_deref(), Some("worker \"odd\" /id"));
        assert!(st.progress.is_none(), "progress is cleared at the end");
        assert_eq!(st.history.len(), 1, "{:?}", st.history);
        let h = &st.history[0];
        assert_eq!(h.worker, "worker \"odd\" /id");
        assert_eq!(h.outcome, AttemptOutcome::Succeeded);
        assert_eq!(Some(&h.started_at), st.started_at.as_ref());
        assert_eq!(h.finished_at, st.finished_at);
        assert!(ms(&h.started_at) <= ms(h.finished_at.as_deref().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_fast_worker_hands_back_its_prefetched_jobs() {
    // fast jobs make the claimer prefetch; stopping it mid-drain must leave no job active
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("prefetch");
    for _ in 0..6 {
        let jobs = (0..500)
            .map(|i| (Payload::json(&json!({ "i": i })), JobOptions::default()))
            .collect();
        c.post_batch(&queue, jobs, None).await.unwrap();
    }
    let (stop, h) = start_worker(&r, &ns, "prefetch", Builtin::Noop, |cfg| {
        cfg.concurrency = 2;
    });
    let started = common::until(Duration::from_secs(20), || async {
        let s = b.queue_stats(&queue).await.ok()?;
        (s.totals.succeeded >= 300).then_some(())
    })
    .await;
    assert!(started.is_some(), "the worker did not get going");
    stop.cancel();
    h.await.unwrap();
    let s = b.queue_stats(&queue).await.unwrap();
    assert_eq!(s.active, 0, "jobs left active after the worker stopped");
    assert!(
        s.totals.succeeded < 3000,
        "stopped too late to test anything"
    );
    assert_eq!(s.pending + s.totals.succeeded, 3000, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_records_with_a_long_history_read_back_whole() {
    // the done record is one string (state, header, meta, content type, result); status
    // reads its head in growing pieces, so a history longer than the first piece must
    // still come back whole, and the result (newlines and all) after it
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("long");
    let posted = c
        .post(
            &queue,
            Payload::json(&json!({"x": 1})),
            JobOptions {
                max_retries: Some(5),
                ..JobOptions::default()
            },
        )
        .await
        .unwrap();
    let ulid = posted.id.ulid().to_string();
    let no_wait = Backoff {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(1),
    };
    let long_error = "e".repeat(3000);
    for attempt in 1..=3u32 {
        let mut claimed = b
            .claim(&queue, "w", 1, Duration::from_secs(30))
            .await
            .unwrap();
        for _ in 0..50 {
            if !claimed.jobs.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            claimed = b
                .claim(&queue, "w", 1, Duration::from_secs(30))
                .await
                .unwrap();
        }
        assert_eq!(claimed.jobs.len(), 1, "attempt {attempt}");
        assert_eq!(claimed.jobs[0].attempt, attempt);
        if attempt < 3 {
            let f = b
                .fail(
                    &queue,
                    "w",
                    &[mlqd::broker::Failure {
                        ulid: ulid.clone(),
                        attempt,
                        error: format!("{attempt}{long_error}"),
                        retryable: true,
                    }],
                    no_wait,
                )
                .await
                .unwrap();
            assert_eq!(f, vec![Fence::Recorded(JobState::Retry)]);
        }
    }
    let result = b"line one\nline two\n\n\x00\xff".to_vec();
    let done = Success {
        ulid: ulid.clone(),
        attempt: 3,
        result: result.clone(),
        content_type: "application/x-lines".into(),
    };
    let f = b
        .complete(&queue, "w", std::slice::from_ref(&done))
        .await
        .unwrap();
    assert_eq!(f, vec![Fence::Recorded(JobState::Succeeded)]);
    // a repeated call is recognised from the record (its meta sits past the first piece)
    let f = b.complete(&queue, "w", &[done]).await.unwrap();
    assert_eq!(f, vec![Fence::Duplicate]);
    let (st, got) = c.result(&posted.id).await.unwrap();
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(st.history.len(), 3);
    assert_eq!(
        st.history[0].error.as_deref(),
        Some(format!("1{long_error}").as_str())
    );
    assert_eq!(
        st.history[1].error.as_deref(),
        Some(format!("2{long_error}").as_str())
    );
    assert_eq!(st.history[2].outcome, AttemptOutcome::Succeeded);
    assert_eq!(got.bytes, result);
    assert_eq!(got.content_type, "application/x-lines");
    // a cancelled job's record has no result; cancelling again finds it final
    let other = c
        .post(
            &queue,
            Payload::json(&json!({"y": 2})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        b.cancel(&other.id).await.unwrap(),
        mlqd::broker::Cancelled::Done(JobState::Pending)
    );
    assert_eq!(
        b.cancel(&other.id).await.unwrap(),
        mlqd::broker::Cancelled::AlreadyFinal(JobState::Cancelled)
    );
    assert_eq!(
        c.status(&other.id).await.unwrap().state,
        JobState::Cancelled
    );
    assert!(c.result(&other.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_with_a_bad_content_type_fails_the_job_and_is_never_stored() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let b = broker(&r, &ns);
    let queue = q("badct");
    // straight to the broker: refused whole, nothing recorded
    let posted = c
        .post(&queue, Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap();
    let claimed = b
        .claim(&queue, "w", 1, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claimed.jobs.len(), 1);
    let bad = Success {
        ulid: posted.id.ulid().to_string(),
        attempt: 1,
        result: b"x".to_vec(),
        content_type: "text/pl\nain".into(),
    };
    assert!(matches!(
        b.complete(&queue, "w", &[bad]).await,
        Err(mlqd::Error::Invalid(_))
    ));
    assert_eq!(c.status(&posted.id).await.unwrap().state, JobState::Active);
    // from a handler: a permanent failure that names the content type
    let queue = q("badct2");
    let mut cfg = WorkerConfig::new(vec![queue.clone()]);
    cfg.concurrency = 1;
    let worker = Worker::new(broker(&r, &ns), cfg).handler(|_job: mlqd::Job| async move {
        Ok(mlqd::Output {
            bytes: b"x".to_vec(),
            content_type: "text/pl\nain".into(),
        })
    });
    let stop = CancellationToken::new();
    let s = stop.clone();
    let h = tokio::spawn(async move { worker.run(s).await.unwrap() });
    let posted = c
        .post(&queue, Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap();
    let st = c
        .wait(&posted.id, Some(Duration::from_secs(10)))
        .await
        .unwrap();
    stop.cancel();
    h.await.unwrap();
    assert_eq!(st.state, JobState::Dead);
    assert_eq!(st.attempts, 1);
    assert!(
        st.error
            .as_deref()
            .unwrap_or("")
            .contains("invalid content type"),
        "{st:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_redis_refuses_fails_its_own_job_and_never_holds_up_the_others() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("p5");
    let big = c
        .post(
            &queue,
            Payload::bytes(vec![7u8; 2 << 20], "application/octet-stream"),
            JobOptions::default(),
        )
        .await
        .unwrap();
    let mut small = Vec::new();
    for i in 0..20 {
        let p = c
            .post(
                &queue,
                Payload::json(&json!({ "i": i })),
                JobOptions::default(),
            )
            .await
            .unwrap();
        small.push(p.id);
    }
    // from now on Redis refuses any request argument over 1 MiB: the echoed 2 MiB result
    // can never be stored
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("proto-max-bulk-len")
        .arg("1mb")
        .query(&mut r.conn())
        .unwrap();
    let (stop, h) = start_worker(&r, &ns, "p5", Builtin::Echo, |cfg| cfg.concurrency = 2);
    let st = c.wait(&big.id, Some(Duration::from_secs(20))).await;
    for id in &small {
        let s = c.wait(id, Some(Duration::from_secs(20))).await.unwrap();
        assert_eq!(s.state, JobState::Succeeded, "{s:?}");
    }
    stop.cancel();
    h.await.unwrap();
    let st = match st {
        Err(mlqd::Error::JobFailed { .. }) | Ok(_) => c.status(&big.id).await.unwrap(),
        Err(e) => panic!("waiting for the big job: {e}"),
    };
    assert_eq!(st.state, JobState::Dead, "{st:?}");
    let error = st.error.unwrap_or_default();
    assert!(error.contains("larger than Redis accepts"), "{error}");
}
