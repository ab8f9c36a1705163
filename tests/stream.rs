//! Streamed output (SPEC part 2, issue 12): chunks stored in order under the queue's tag,
//! `GET /v1/jobs/{id}/stream` (late readers, `Last-Event-ID`, attempts, trims, the end),
//! `post --stream` / `result --follow`, the byte cap, fencing, expiry with the job, and a
//! serve restart mid-stream. Real redis-server, real `mlqd serve`; workers are the real
//! binary, or the library (`Job::emit`) where a test needs a handler of its own.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::{
    RedisServer, Server, Sse, SseReader, assert_error, broker, client, code, eventually, http,
    mlqd, namespace, q, queue_keys, repo, run, stderr, submit, worker,
};
use mlqd::broker::{Backoff, ChunkBatch, StreamCheck};
use mlqd::worker::{HandlerError, Job};
use mlqd::{JobId, JobOptions, Output, Payload, Worker, WorkerConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A library worker on a runtime of its own, drained when dropped.
struct LibWorker {
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LibWorker {
    fn start<F, Fut>(
        r: &RedisServer,
        ns: &str,
        queue: &str,
        tune: impl FnOnce(&mut WorkerConfig),
        handler: F,
    ) -> Self
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Output, HandlerError>> + Send + 'static,
    {
        let mut cfg = WorkerConfig::new(vec![q(queue)]);
        cfg.drain_timeout = Duration::from_secs(2);
        tune(&mut cfg);
        let (url, ns) = (r.url(), ns.to_string());
        let stop = CancellationToken::new();
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let b = mlqd::Broker::new(mlqd::BrokerConfig::new(url, ns)).expect("broker");
                Worker::new(b, cfg)
                    .handler(handler)
                    .run(s)
                    .await
                    .expect("worker");
            });
        });
        LibWorker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LibWorker {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// Opens a job's stream (optionally resuming after `last`).
fn open(s: &Server, id: &str, last: Option<&str>) -> SseReader {
    let mut req = http().get(s.url(&format!("/v1/jobs/{id}/stream")));
    if let Some(l) = last {
        req = req.header("Last-Event-ID", l);
    }
    let res = req.send().expect("GET stream");
    assert_eq!(res.status().as_u16(), 200);
    let ct = common::header(&res, "content-type");
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    SseReader::new(res)
}

/// The chunk events' (id, text) pairs; asserts each id matches its data.
fn chunks(events: &[Sse]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|e| e.event == "chunk")
        .map(|e| {
            let d = e.json();
            let id = format!("{}-{}", d["attempt"], d["seq"]);
            assert_eq!(e.id.as_deref(), Some(id.as_str()), "{e:?}");
            (id, d["text"].as_str().expect("text chunk").to_string())
        })
        .collect()
}

fn status_state(e: &Sse) -> String {
    assert_eq!(e.event, "end", "{e:?}");
    e.json()["state"].as_str().unwrap_or_default().to_string()
}

fn fifty(from: usize) -> Vec<(String, String)> {
    (from..50)
        .map(|i| (format!("1-{i}"), format!("chunk {i}\n")))
        .collect()
}

fn progress(s: &Server, id: &str) -> u64 {
    common::status_of(&http(), s, id)["progress"]["percent"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn late_reader_gets_all_fifty_chunks_then_last_event_id_resumes_and_post_stream_prints_them() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let _w = worker(&r, &ns, &["--queue", "gen", "--builtin", "stream"]);
    let c = http();
    let id = submit(&c, &s, "gen", &json!({"chunks": 50, "ms": 40}));
    // connect once the 10th chunk is out (the builtin reports progress per chunk: 20%)
    eventually(Duration::from_secs(20), || {
        (progress(&s, &id) >= 20).then_some(())
    })
    .expect("ten chunks emitted");
    assert!(progress(&s, &id) < 100, "the job is still emitting");
    let events = open(&s, &id, None).all();
    assert_eq!(chunks(&events), fifty(0), "every chunk, in order, once");
    assert_eq!(status_state(events.last().unwrap()), "succeeded");
    assert!(
        !events
            .iter()
            .any(|e| e.event == "trimmed" || e.event == "attempt"),
        "{events:?}"
    );

    // resuming after 1-24 gives exactly 25..49, then the end
    let resumed = open(&s, &id, Some("1-24")).all();
    assert_eq!(chunks(&resumed), fifty(25));
    assert_eq!(status_state(resumed.last().unwrap()), "succeeded");
    // a resume after the last chunk gives only the end
    let after_all = open(&s, &id, Some("1-49")).all();
    assert_eq!(after_all.len(), 1);
    assert_eq!(status_state(&after_all[0]), "succeeded");

    // post --stream: the chunks' bytes on stdout as they come, the job's exit code
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "post",
        "--queue",
        "gen",
        r#"{"chunks":50,"ms":2}"#,
        "--stream",
    ]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let expected: String = (0..50).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    // stderr names the job
    let posted: JobId = stderr(&out)
        .lines()
        .next()
        .unwrap()
        .parse()
        .expect("job id");
    assert_eq!(posted.queue().as_str(), "gen");
}

#[test]
fn a_retried_job_streams_attempt_one_then_an_attempt_event_then_attempt_two() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let _w = LibWorker::start(
        &r,
        &ns,
        "retry",
        |c| {
            c.backoff = Backoff {
                base: Duration::from_millis(300),
                cap: Duration::from_millis(300),
            }
        },
        |job: Job| async move {
            let n = if job.attempt == 1 { 3 } else { 5 };
            for i in 0..n {
                job.emit(format!("a{}c{i} ", job.attempt));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if job.attempt == 1 {
                return Err(HandlerError::retryable("first attempt fails on purpose"));
            }
            Ok(Output::json(&json!({"attempt": job.attempt})))
        },
    );
    let c = http();
    let id = submit(&c, &s, "retry", &json!({}));
    // a reader from the start, live through both attempts
    let live = open(&s, &id, None).all();
    let expect_events = |events: &[Sse]| {
        let shape: Vec<String> = events
            .iter()
            .map(|e| match e.event.as_str() {
                "chunk" => e.json()["text"].as_str().unwrap().trim().to_string(),
                "attempt" => format!("attempt {}", e.json()["attempt"]),
                "end" => format!("end {}", status_state(e)),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "a1c0",
                "a1c1",
                "a1c2",
                "attempt 2",
                "a2c0",
                "a2c1",
                "a2c2",
                "a2c3",
                "a2c4",
                "end succeeded"
            ],
            "{events:?}"
        );
    };
    expect_events(&live);
    // and the same for a reader after the end
    expect_events(&open(&s, &id, None).all());
    // resuming inside attempt 1 still sees the new attempt announced
    let resumed = open(&s, &id, Some("1-1")).all();
    assert_eq!(resumed[0].event, "chunk");
    assert_eq!(resumed[1].event, "attempt");
    assert_eq!(resumed[1].json(), json!({"attempt": 2}));
    // result --follow: every chunk's bytes, the new attempt noted on stderr
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &id, "--follow"]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "a1c0 a1c1 a1c2 a2c0 a2c1 a2c2 a2c3 a2c4 "
    );
    assert!(
        stderr(&out).contains("attempt 2 started"),
        "{}",
        stderr(&out)
    );
}

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
        let gone = common::until(Duration::from_secs(10), || {
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

#[test]
fn a_serve_restart_mid_stream_loses_and_repeats_nothing_with_last_event_id() {
    let r = RedisServer::start();
    let ns = namespace();
    let _w = worker(&r, &ns, &["--queue", "gen", "--builtin", "stream"]);
    let first = Server::start(&r, &ns, &[]);
    let c = http();
    let id = submit(&c, &first, "gen", &json!({"chunks": 40, "ms": 40}));
    let mut reader = open(&first, &id, None);
    let mut got = Vec::new();
    while got.len() < 10 {
        let e = reader.next_event().expect("stream open");
        got.extend(chunks(std::slice::from_ref(&e)));
    }
    drop(reader);
    drop(first); // SIGKILL
    let second = Server::start(&r, &ns, &[]);
    let last = got.last().unwrap().0.clone();
    let rest = open(&second, &id, Some(&last)).all();
    got.extend(chunks(&rest));
    let expected: Vec<(String, String)> = (0..40)
        .map(|i| (format!("1-{i}"), format!("chunk {i}\n")))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(status_state(rest.last().unwrap()), "succeeded");
}

#[test]
fn exec_handlers_stream_text_and_bytes_between_their_other_lines() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let py = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 is needed for the exec handler tests");
    let py = String::from_utf8_lossy(&py.stdout).trim().to_string();
    let cmd = format!("{py} {}", repo("tests/handlers/emit_raw.py").display());
    let _w = worker(&r, &ns, &["--queue", "raw", "--exec", &cmd]);
    let c = http();
    let id = submit(&c, &s, "raw", &json!({}));
    let events = open(&s, &id, None).all();
    let data: Vec<Value> = events.iter().map(Sse::json).collect();
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(
        data[0],
        json!({"attempt": 1, "seq": 0, "text": "h\u{e9}llo "})
    );
    assert_eq!(data[1], json!({"attempt": 1, "seq": 1, "b64": "AP8="}));
    assert_eq!(
        data[2],
        json!({"attempt": 1, "seq": 2, "text": "w\u{f6}rld"})
    );
    assert_eq!(status_state(&events[3]), "succeeded");
    // result --follow writes the bytes exactly
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &id, "--follow"]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        out.stdout,
        "h\u{e9}llo \u{0}"
            .bytes()
            .chain([0xff])
            .chain("w\u{f6}rld".bytes())
            .collect::<Vec<u8>>()
    );
}

#[test]
fn stream_route_errors_are_json_and_the_route_is_documented() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let unknown = "gen.01ARZ3NDEKTSV4RRFFQ69G5FAV";
    assert_error(
        c.get(s.url(&format!("/v1/jobs/{unknown}/stream")))
            .send()
            .unwrap(),
        404,
        "not_found",
    );
    let id = submit(&c, &s, "gen", &json!({}));
    for bad in ["x", "1-", "0-3", "1-2-3"] {
        let res = c
            .get(s.url(&format!("/v1/jobs/{id}/stream")))
            .header("Last-Event-ID", bad)
            .send()
            .unwrap();
        assert_error(res, 400, "invalid");
    }
    assert_error(
        c.get(s.url("/v1/jobs/not-an-id/stream")).send().unwrap(),
        400,
        "invalid",
    );
    // a job with no output yet, cancelled: the stream is just its end
    let res = c.delete(s.url(&format!("/v1/jobs/{id}"))).send().unwrap();
    assert!(res.status().is_success());
    let events = open(&s, &id, None).all();
    assert_eq!(events.len(), 1);
    assert_eq!(status_state(&events[0]), "cancelled");
    // documented as an event stream
    let doc: Value = c
        .get(s.url("/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let op = &doc["paths"]["/v1/jobs/{id}/stream"]["get"];
    assert!(
        op["responses"]["200"]["content"]["text/event-stream"].is_object(),
        "{op}"
    );
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(params.contains(&"Last-Event-ID"), "{params:?}");
}
