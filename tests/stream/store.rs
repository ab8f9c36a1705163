//! What Redis keeps of a job's output: within the byte cap, only from the lease holder,
//! and no longer than the job.

use std::time::Duration;

use crate::common::{
    RedisServer, Server, Sse, broker, client, http, namespace, q, queue_keys, submit,
};
use crate::{LibWorker, chunks, open, runtime};
use mlqd::broker::{Backoff, ChunkBatch, StreamCheck};
use mlqd::worker::Job;
use mlqd::{JobOptions, Output, Payload};
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[test]
fn output_over_max_stream_keeps_the_newest_chunks_tells_readers_and_stays_bounded() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    const CHUNK: usize = 100;
    let _w = LibWorker::start(
        &r,
        &ns,
        "big",
        |c| c.max_stream = 1000,
        |job: Job| async move {
            // 100 KB in 1,000 chunks, over many flushes
            for i in 0..1000 {
                job.emit(format!("{i:04}{}", "x".repeat(CHUNK - 4)));
                if i % 50 == 49 {
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            }
            Ok(Output::empty())
        },
    );
    let c = http();
    let id = submit(&c, &s, "big", &json!({}));
    let live = open(&s, &id, None).all();
    let after = open(&s, &id, None).all();
    for events in [&live, &after] {
        let got = chunks(events);
        assert!(!got.is_empty());
        // the newest always stay, in order, without a gap after the trim
        assert_eq!(got.last().unwrap().0, "1-999");
        // chunk after chunk without a gap, except right after a trimmed event
        let mut prev: Option<u64> = None;
        let mut told = false;
        for e in events.iter() {
            match e.event.as_str() {
                "trimmed" => told = true,
                "chunk" => {
                    let seq = e.json()["seq"].as_u64().unwrap();
                    if let Some(p) = prev
                        && !told
                    {
                        assert_eq!(seq, p + 1, "a gap nobody was told of: {events:?}");
                    }
                    assert!(
                        told || prev.is_some() || seq == 0,
                        "a first chunk past 0, untold"
                    );
                    (prev, told) = (Some(seq), false);
                }
                _ => {}
            }
        }
        // the reader was told
        let trims: Vec<&Sse> = events.iter().filter(|e| e.event == "trimmed").collect();
        assert!(!trims.is_empty(), "no trimmed event in {events:?}");
        assert_eq!(trims[0].json()["attempt"], 1);
        assert!(trims[0].json()["first_seq"].as_u64().unwrap() > 0);
    }
    // a reader after the end gets exactly the 1,000 newest bytes: one trim, then 990..999
    let got = chunks(&after);
    assert_eq!(got.len(), 10, "{got:?}");
    assert_eq!(got[0].0, "1-990");
    assert_eq!(after[0].event, "trimmed");
    assert_eq!(after[0].json(), json!({"attempt": 1, "first_seq": 990}));
    // Redis holds about the cap, not the 100 KB emitted
    let key = queue_keys(&ns, "big").stream(id.split_once('.').unwrap().1);
    let mut conn = r.conn();
    let len: u64 = redis::cmd("XLEN").arg(&key).query(&mut conn).unwrap();
    assert_eq!(len, 10);
    let mem: u64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(&key)
        .arg("SAMPLES")
        .arg(0)
        .query(&mut conn)
        .unwrap();
    assert!(mem < 16 * 1024, "the stream takes {mem} bytes");
}

#[test]
fn a_worker_that_lost_its_lease_cannot_append_chunks() {
    let r = RedisServer::start();
    let ns = namespace();
    runtime().block_on(async {
        let c = client(&r, &ns);
        let b = broker(&r, &ns);
        let queue = q("fence");
        let posted = c
            .post(&queue, Payload::json(&json!({})), JobOptions::default())
            .await
            .unwrap();
        let ulid = posted.id.ulid().to_string();
        let batch = |attempt: u32, text: &str| ChunkBatch {
            ulid: ulid.clone(),
            attempt,
            chunks: vec![(0, text.as_bytes().to_vec())],
        };
        // not leased yet: nobody may append
        let f = b
            .append_chunks(&queue, "worker-a", 1 << 20, &[batch(1, "early")])
            .await;
        assert_eq!(f.unwrap(), vec![false]);
        let a = b
            .claim(&queue, "worker-a", 1, Duration::from_millis(300))
            .await
            .unwrap();
        assert_eq!(a.jobs[0].attempt, 1);
        let f = b
            .append_chunks(&queue, "worker-a", 1 << 20, &[batch(1, "from A ")])
            .await;
        assert_eq!(f.unwrap(), vec![true]);
        tokio::time::sleep(Duration::from_millis(450)).await;
        // the claim recovers the expired lease: worker-b runs attempt 2
        let bb = b
            .claim(&queue, "worker-b", 1, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(bb.jobs[0].attempt, 2);
        // the old owner is refused, whatever attempt it names; the new one is not
        for (w, attempt) in [("worker-a", 1), ("worker-a", 2), ("worker-b", 1)] {
            let f = b
                .append_chunks(&queue, w, 1 << 20, &[batch(attempt, "stale")])
                .await;
            assert_eq!(f.unwrap(), vec![false], "{w} attempt {attempt}");
        }
        let f = b
            .append_chunks(&queue, "worker-b", 1 << 20, &[batch(2, "from B")])
            .await;
        assert_eq!(f.unwrap(), vec![true]);
        // a retried call stores nothing twice
        let f = b
            .append_chunks(&queue, "worker-b", 1 << 20, &[batch(2, "from B")])
            .await;
        assert_eq!(f.unwrap(), vec![true]);
        let page = b.read_stream(&posted.id, None).await.unwrap().unwrap();
        let got: Vec<(String, Vec<u8>)> = page
            .chunks
            .iter()
            .map(|ch| (ch.id.to_string(), ch.data.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("1-0".to_string(), b"from A ".to_vec()),
                ("2-0".to_string(), b"from B".to_vec())
            ]
        );
        assert!(page.chunks[1].continues(Some(page.chunks[0].id)));
    });
}

#[test]
fn streams_expire_with_done_jobs_and_go_with_purged_dead_ones() {
    let r = RedisServer::start();
    let ns = namespace();
    runtime().block_on(async {
        let c = client(&r, &ns);
        let b = broker(&r, &ns);
        let queue = q("tidy");
        let post = |ttl: Option<Duration>| {
            let c = c.clone();
            let queue = queue.clone();
            async move {
                let opts = JobOptions {
                    max_retries: Some(0),
                    result_ttl: ttl,
                    ..Default::default()
                };
                c.post(&queue, Payload::json(&json!({})), opts)
                    .await
                    .unwrap()
                    .id
            }
        };
        let done = post(Some(Duration::from_secs(120))).await;
        let dead = post(None).await;
        let claimed = b
            .claim(&queue, "w", 2, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(claimed.jobs.len(), 2);
        for j in &claimed.jobs {
            let batch = ChunkBatch {
                ulid: j.id.ulid().to_string(),
                attempt: 1,
                chunks: vec![(0, b"out".to_vec())],
            };
            assert_eq!(
                b.append_chunks(&queue, "w", 1 << 20, &[batch])
                    .await
                    .unwrap(),
                vec![true]
            );
        }
        b.complete(
            &queue,
            "w",
            &[mlqd::broker::Success {
                ulid: done.ulid().to_string(),
                attempt: 1,
                result: b"{}".to_vec(),
                content_type: "application/json".into(),
            }],
        )
        .await
        .unwrap();
        b.fail(
            &queue,
            "w",
            &[mlqd::broker::Failure {
                ulid: dead.ulid().to_string(),
                attempt: 1,
                error: "no".into(),
                retryable: false,
            }],
            Backoff::default(),
        )
        .await
        .unwrap();
        let qk = queue_keys(&ns, "tidy");
        let due_now = |ulid: &str| {
            let mut conn = r.conn();
            let _: () = redis::cmd("ZADD")
                .arg(qk.streams())
                .arg("XX")
                .arg(0)
                .arg(ulid)
                .query(&mut conn)
                .unwrap();
        };
        // not due yet: left alone
        assert_eq!(b.check_stream(&done).await.unwrap(), StreamCheck::Early);
        due_now(done.ulid());
        due_now(dead.ulid());
        assert_eq!(b.check_stream(&done).await.unwrap(), StreamCheck::Expiring);
        let mut conn = r.conn();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(qk.stream(done.ulid()))
            .query(&mut conn)
            .unwrap();
        assert!(ttl > 100_000 && ttl <= 120_000, "stream ttl {ttl}");
        // a dead job keeps its stream while it is kept
        assert_eq!(b.check_stream(&dead).await.unwrap(), StreamCheck::Live);
        assert_eq!(
            b.read_stream(&dead, None)
                .await
                .unwrap()
                .unwrap()
                .chunks
                .len(),
            1
        );
        // purged: the janitor (a reaper that leads) deletes the stream
        c.dlq_purge(Some(&queue)).await.unwrap();
        due_now(dead.ulid());
        let mut cfg = mlqd::reaper::ReaperConfig::new("janitor-test");
        cfg.interval = Duration::from_millis(20);
        let stop = CancellationToken::new();
        let reaper = tokio::spawn(mlqd::reaper::Reaper::new(b.clone(), cfg).run(stop.clone()));
        let key = qk.stream(dead.ulid());
        let gone = crate::common::until(Duration::from_secs(10), || {
            let key = key.clone();
            let mut conn = r.conn();
            async move {
                let n: u64 = redis::cmd("EXISTS").arg(&key).query(&mut conn).unwrap();
                (n == 0).then_some(())
            }
        })
        .await;
        stop.cancel();
        let _ = reaper.await;
        assert!(gone.is_some(), "the purged job's stream was not deleted");
        let left: Option<f64> = redis::cmd("ZSCORE")
            .arg(qk.streams())
            .arg(dead.ulid())
            .query(&mut conn)
            .unwrap();
        assert_eq!(left, None, "the index entry went too");
        assert!(b.read_stream(&dead, None).await.unwrap().is_none());
    });
}
