//! Handlers end to end: the real `mlqd worker` binary running `--exec` children (Python,
//! through `mlqd.handler` from python/src on PYTHONPATH, and the raw protocol), `--http`
//! model servers and callbacks, against a private redis-server. Jobs are posted and read
//! through the library client (the same code `mlqd post` and `mlqd status` run), progress
//! through `mlqd status --json`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{
    Proc, RedisServer, client, eventually, free_port, mlqd, namespace, q, repo, status_json,
};
use mlqd::job::{AttemptOutcome, JobState, JobStatus};
use mlqd::{Client, JobId, JobOptions, Payload};
use serde_json::{Value, json};

/// The python3 on PATH, as an absolute path (the worker runs with a cleared environment).
fn python() -> &'static str {
    static PY: OnceLock<String> = OnceLock::new();
    PY.get_or_init(|| {
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 is needed for the exec handler tests");
        assert!(out.status.success(), "python3 does not run");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

fn script(name: &str) -> String {
    format!(
        "{} {}",
        python(),
        repo("tests/handlers").join(name).display()
    )
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mlqd-{:08x}-{name}", common::rand_u32()))
}

/// A worker process whose log goes to a file.
struct Worker {
    proc: Proc,
    log: PathBuf,
}

impl Worker {
    fn start(r: &RedisServer, ns: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = temp("worker.log");
        let mut cmd = mlqd(r, ns);
        cmd.arg("worker")
            .args(args)
            .env("MLQD_LOG_LEVEL", "info")
            .env("NO_COLOR", "1")
            .env("PYTHONPATH", repo("python/src"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        Worker {
            proc: Proc::spawn(cmd),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.proc.child.try_wait() {
            self.proc.signal("TERM");
            let _ = self.proc.wait_for(Duration::from_secs(10));
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn opts(max_retries: u32) -> JobOptions {
    JobOptions {
        max_retries: Some(max_retries),
        ..Default::default()
    }
}

async fn post(c: &Client, queue: &str, payload: Value, options: JobOptions) -> JobId {
    c.post(&q(queue), Payload::json(&payload), options)
        .await
        .unwrap()
        .id
}

async fn done(c: &Client, id: &JobId, secs: u64) -> JobStatus {
    c.wait(id, Some(Duration::from_secs(secs)))
        .await
        .unwrap_or_else(|e| panic!("job {id} did not finish: {e}"))
}

async fn result_json(c: &Client, id: &JobId) -> Value {
    let (_, r) = c.result(id).await.unwrap();
    assert_eq!(r.content_type, "application/json");
    serde_json::from_slice(&r.bytes).unwrap()
}

async fn wait_active(c: &Client, id: &JobId) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if c.status(id).await.unwrap().state == JobState::Active {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} never started");
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The worker's /metrics page (empty while it is not up yet).
fn metrics(port: u16) -> String {
    use std::io::{Read, Write};
    let mut out = String::new();
    if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
        let _ = s.read_to_string(&mut out);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_handler_runs_json_and_binary_jobs_with_progress_and_logs() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let w = Worker::start(
        &r,
        &ns,
        &[
            "--queue",
            "exec",
            "--exec",
            &script("misbehave.py"),
            "-c",
            "2",
        ],
        &[],
    );
    // JSON in, JSON out
    let id = post(&c, "exec", json!({"text": "héllo", "n": [1, 2.5]}), opts(0)).await;
    let st = done(&c, &id, 20).await;
    assert_eq!(st.state, JobState::Succeeded, "{:?}", st.error);
    assert_eq!(
        result_json(&c, &id).await,
        json!({"text": "héllo", "n": [1, 2.5]})
    );
    // binary in (payload_b64), the same bytes and type out
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 256) as u8).collect();
    let posted = c
        .post(
            &q("exec"),
            Payload::bytes(bytes.clone(), "image/png"),
            opts(0),
        )
        .await
        .unwrap();
    // the helper hands non-JSON payloads over as bytes; the echo returns them as bytes
    let st = done(&c, &posted.id, 20).await;
    assert_eq!(st.state, JobState::Succeeded, "{:?}", st.error);
    let (_, out) = c.result(&posted.id).await.unwrap();
    assert_eq!(out.bytes, bytes);
    assert_eq!(out.content_type, "application/octet-stream");
    // a binary result with its own content type
    let id = post(&c, "exec", json!({"do": "binary"}), opts(0)).await;
    done(&c, &id, 20).await;
    let (st, out) = c.result(&id).await.unwrap();
    assert_eq!(out.content_type, "image/png");
    assert_eq!(out.bytes.len(), 1024);
    assert_eq!(&out.bytes[..3], &[0, 1, 2]);
    assert_eq!(st.result_content_type.as_deref(), Some("image/png"));
    // progress is visible while the job runs, in `mlqd status --json`
    let id = post(
        &c,
        "exec",
        json!({"do": "progress", "steps": 40, "ms": 100}),
        opts(0),
    )
    .await;
    let seen = eventually(Duration::from_secs(15), || {
        let st = status_json(&r, &ns, &id.to_string());
        let p = &st["progress"];
        (st["state"] == "active" && p["percent"].as_u64().unwrap_or(0) > 0).then(|| p.clone())
    })
    .expect("progress never showed in mlqd status --json");
    let message = seen["message"].as_str().unwrap();
    assert!(
        message.starts_with("step ") && message.ends_with(" of 40"),
        "{seen}"
    );
    let st = done(&c, &id, 20).await;
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(result_json(&c, &id).await, json!({"steps": 40}));
    // the child's stderr (print() in the model) is in the worker's log with the job id
    let echo = post(&c, "exec", json!({"hi": 1}), opts(0)).await;
    done(&c, &echo, 20).await;
    let found = eventually(Duration::from_secs(5), || {
        let log = w.log();
        log.lines()
            .any(|l| {
                l.contains(&format!("echoing job {echo}")) && l.contains(&format!("job={echo}"))
            })
            .then_some(())
    });
    assert!(
        found.is_some(),
        "stderr line missing from the log:\n{}",
        w.log()
    );
    // the registry says what runs the jobs
    let workers = c.broker().workers().await.unwrap();
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0].handler, "exec");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_protocol_handler_answers_job_lines_and_batch_lines() {
    // no helper: the protocol as the spec writes it, answered by 20 lines of Python
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let binary = vec![0u8, 10, 13, 255];
    let post_both = |c: &Client| {
        let c = c.clone();
        let binary = binary.clone();
        async move {
            let json_id = post(&c, "default", json!({"a": [1, {"b": null}]}), opts(0)).await;
            let bin_id = c
                .post(
                    &q("default"),
                    Payload::bytes(binary, "application/x-thing"),
                    opts(0),
                )
                .await
                .unwrap()
                .id;
            (json_id, bin_id)
        }
    };
    let check = |c: &Client, ids: (JobId, JobId)| {
        let c = c.clone();
        let binary = binary.clone();
        async move {
            done(&c, &ids.0, 20).await;
            assert_eq!(
                result_json(&c, &ids.0).await,
                json!({"a": [1, {"b": null}]})
            );
            done(&c, &ids.1, 20).await;
            let (_, out) = c.result(&ids.1).await.unwrap();
            assert_eq!(out.bytes, binary);
            assert_eq!(out.content_type, "application/x-thing");
        }
    };
    // one job per line
    let w = Worker::start(&r, &ns, &["--exec", &script("echo_raw.py")], &[]);
    let ids = post_both(&c).await;
    check(&c, ids).await;
    drop(w);
    // {"batch": [...]} lines: both jobs wait before the worker starts
    let ids = post_both(&c).await;
    let w = Worker::start(
        &r,
        &ns,
        &["--exec", &script("echo_raw.py"), "--batch-size", "4"],
        &[],
    );
    check(&c, ids).await;
    let batched = eventually(Duration::from_secs(5), || {
        w.log().contains("handler: got a batch of 2").then_some(())
    });
    assert!(batched.is_some(), "{}", w.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_loads_once_per_slot_for_a_hundred_jobs() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let starts = temp("starts");
    let _w = Worker::start(
        &r,
        &ns,
        &["--exec", &script("misbehave.py"), "--concurrency", "2"],
        &[("MLQD_TEST_STARTS", starts.to_str().unwrap())],
    );
    let jobs: Vec<_> = (0..100)
        .map(|i| (Payload::json(&json!({ "i": i })), opts(0)))
        .collect();
    let ids: Vec<JobId> = c
        .post_batch(&q("default"), jobs, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let st = done(&c, id, 60).await;
        assert_eq!(st.state, JobState::Succeeded, "job {i}: {:?}", st.error);
        assert_eq!(result_json(&c, id).await, json!({ "i": i }));
    }
    let started = lines(&starts);
    assert_eq!(started.len(), 2, "start-ups: {started:?}");
    let mut slots: Vec<&str> = started.iter().filter_map(|l| l.split(' ').nth(1)).collect();
    slots.sort();
    assert_eq!(slots, ["0", "1"]);
    let _ = std::fs::remove_file(starts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_misbehaviour_fails_only_its_job_and_the_worker_serves_on() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let starts = temp("starts");
    let port = free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let w = Worker::start(
        &r,
        &ns,
        &[
            "--exec",
            &script("misbehave.py"),
            "--max-result",
            "4KiB",
            "--cancel-grace",
            "1s",
            "--metrics-listen",
            &metrics_addr,
        ],
        &[("MLQD_TEST_STARTS", starts.to_str().unwrap())],
    );
    let timeout = JobOptions {
        max_retries: Some(0),
        timeout: Some(Duration::from_millis(1500)),
        ..Default::default()
    };
    let cases: Vec<(Value, JobOptions, &str, bool)> = vec![
        (
            json!({"do": "crash"}),
            opts(0),
            "handler process exited (exit code 3) while running the job; last stderr: ",
            true,
        ),
        (
            json!({"do": "garbage"}),
            opts(0),
            "handler wrote a malformed line",
            true,
        ),
        (
            json!({"do": "unknown_id"}),
            opts(0),
            "handler answered for job \"other.01ARZ3NDEKTSV4RRFFQ69G5FAV\", which it is not running",
            true,
        ),
        // over --max-result, but a line the reader accepts: the child stays
        (
            json!({"do": "huge", "bytes": 5000}),
            opts(0),
            "over the worker's --max-result of 4096 bytes",
            false,
        ),
        // a line far over the limit: refused while reading, the child is replaced
        (
            json!({"do": "huge", "bytes": 200000}),
            opts(0),
            "handler wrote a line over",
            true,
        ),
        (
            json!({"do": "hang"}),
            timeout.clone(),
            "timed out after 1500ms",
            true,
        ),
        // ignores SIGTERM: SIGKILL after the grace
        (
            json!({"do": "hang", "ignore_term": true}),
            timeout,
            "timed out after 1500ms",
            true,
        ),
        (
            json!({"do": "fail", "message": "bad input", "retry": false}),
            opts(3),
            "bad input",
            false,
        ),
    ];
    let mut restarts = 0;
    for (payload, options, error, restarts_child) in cases {
        let bad = post(&c, "default", payload.clone(), options).await;
        let st = done(&c, &bad, 30).await;
        assert_eq!(st.state, JobState::Dead, "{payload}");
        let got = st.error.clone().unwrap_or_default();
        assert!(
            got.contains(error),
            "{payload}: error {got:?}, wanted {error:?}"
        );
        if payload["do"] == "crash" {
            assert!(
                got.contains("last stderr: about to crash on purpose"),
                "{got}"
            );
        }
        assert_eq!(st.attempts, 1, "{payload}");
        // nothing partial stored
        assert!(st.result_content_type.is_none(), "{payload}");
        assert!(c.result(&bad).await.is_err(), "{payload}");
        // the next job is served
        let good = post(&c, "default", json!({"after": payload}), opts(0)).await;
        let st = done(&c, &good, 30).await;
        assert_eq!(
            st.state,
            JobState::Succeeded,
            "after {payload}: {:?}",
            st.error
        );
        assert_eq!(result_json(&c, &good).await, json!({"after": payload}));
        if restarts_child {
            restarts += 1;
        }
        assert_eq!(
            lines(&starts).len(),
            1 + restarts,
            "start-ups after {payload}"
        );
    }
    // no handler process is left over: one live child
    let pids: Vec<u32> = lines(&starts)
        .iter()
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    let alive: Vec<u32> = pids
        .iter()
        .copied()
        .filter(|p| Path::new(&format!("/proc/{p}")).exists() && !is_zombie(*p))
        .collect();
    assert_eq!(alive.len(), 1, "live children {alive:?} of {pids:?}");
    let m = metrics(port);
    for needle in [
        "mlqd_handler_restarts_total{handler=\"exec\",reason=\"crash\"} 1",
        "mlqd_handler_restarts_total{handler=\"exec\",reason=\"protocol\"} 3",
        "mlqd_handler_restarts_total{handler=\"exec\",reason=\"timeout\"} 2",
        "mlqd_jobs_completed_total{queue=\"default\",outcome=\"dead\"} 8",
        "mlqd_jobs_completed_total{queue=\"default\",outcome=\"succeeded\"} 8",
        "mlqd_job_run_seconds_bucket{queue=\"default\",le=\"0.005\"}",
        "mlqd_job_queue_wait_seconds_bucket{queue=\"default\",le=\"0.005\"}",
        "mlqd_worker_jobs_in_flight{queue=\"default\"} 0",
        "mlqd_worker_breaker_state 0",
    ] {
        assert!(m.contains(needle), "{needle} missing from\n{m}");
    }
    assert!(w.log().contains("stopping handler process"), "{}", w.log());
    let _ = std::fs::remove_file(starts);
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
                .unwrap_or(false)
        })
        .unwrap_or(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_exec_jobs_stop_within_a_second_or_two() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let _w = Worker::start(
        &r,
        &ns,
        &["--exec", &script("misbehave.py"), "--cancel-grace", "1s"],
        &[],
    );
    // a cooperative job (reports progress) stops at the cancel line; one that ignores it
    // is killed after the grace
    for payload in [
        json!({"do": "progress", "steps": 1000, "ms": 50}),
        json!({"do": "ignore_cancel", "ms": 60000}),
    ] {
        let long = post(&c, "default", payload.clone(), opts(3)).await;
        wait_active(&c, &long).await;
        let t = Instant::now();
        assert_eq!(c.cancel(&long).await.unwrap(), JobState::Active);
        // the only slot frees: the next job runs
        let next = post(&c, "default", json!({"next": true}), opts(0)).await;
        let st = done(&c, &next, 20).await;
        let took = t.elapsed();
        assert_eq!(st.state, JobState::Succeeded);
        // a second or two (the grace is 1 s); the bound leaves room for a loaded machine
        assert!(
            took < Duration::from_secs(6),
            "{payload}: the slot took {took:?} to free"
        );
        let st = c.status(&long).await.unwrap();
        assert_eq!(st.state, JobState::Cancelled);
        assert_eq!(
            st.history.last().unwrap().outcome,
            AttemptOutcome::Cancelled
        );
        println!("{payload}: next job done {took:?} after the cancel");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_batching_hands_the_handler_batches() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let batches = temp("batches");
    let jobs: Vec<_> = (0..64)
        .map(|n| (Payload::json(&json!({ "n": n })), opts(0)))
        .collect();
    let ids: Vec<JobId> = c
        .post_batch(&q("default"), jobs, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let _w = Worker::start(
        &r,
        &ns,
        &[
            "--exec",
            &script("batch.py"),
            "--batch-size",
            "16",
            "--batch-wait",
            "20ms",
            "-c",
            "2",
        ],
        &[("MLQD_TEST_BATCHES", batches.to_str().unwrap())],
    );
    for (n, id) in ids.iter().enumerate() {
        let st = done(&c, id, 30).await;
        assert_eq!(st.state, JobState::Succeeded, "{:?}", st.error);
        assert_eq!(result_json(&c, id).await["n"], json!(n * 2));
    }
    let sizes: Vec<usize> = lines(&batches).iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 64, "{sizes:?}");
    assert!(sizes.iter().all(|s| *s <= 16), "{sizes:?}");
    assert!(sizes.iter().any(|s| *s > 1), "never batched: {sizes:?}");
    println!("batch sizes: {sizes:?}");
    let _ = std::fs::remove_file(batches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_long_exec_job_drains_or_hands_back_and_it_completes_once() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let args = [
        "--exec",
        &script("misbehave.py"),
        "--drain-timeout",
        "3s",
        "--cancel-grace",
        "1s",
    ];
    // drained: the job ends within the drain timeout
    let mut w = Worker::start(&r, &ns, &args, &[]);
    let short = post(
        &c,
        "default",
        json!({"do": "progress", "steps": 10, "ms": 80}),
        opts(3),
    )
    .await;
    wait_active(&c, &short).await;
    w.proc.signal("TERM");
    let exit = w
        .proc
        .wait_for(Duration::from_secs(15))
        .expect("worker exits");
    assert!(exit.success(), "{exit:?}");
    let st = c.status(&short).await.unwrap();
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(st.attempts, 1);
    drop(w);
    // handed back: the job would run past the drain timeout
    let mut w = Worker::start(&r, &ns, &args, &[]);
    let long = post(
        &c,
        "default",
        json!({"do": "progress", "steps": 100, "ms": 100}),
        opts(3),
    )
    .await;
    wait_active(&c, &long).await;
    w.proc.signal("TERM");
    let exit = w
        .proc
        .wait_for(Duration::from_secs(15))
        .expect("worker exits");
    assert!(exit.success(), "{exit:?}");
    let st = c.status(&long).await.unwrap();
    assert_eq!(st.state, JobState::Pending, "{st:?}");
    assert_eq!(st.failures, 0, "a hand-back uses no retry");
    assert_eq!(st.history[0].outcome, AttemptOutcome::HandedBack);
    drop(w);
    // a new worker completes it, once
    let _w = Worker::start(&r, &ns, &args, &[]);
    let st = done(&c, &long, 30).await;
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(st.attempts, 2);
    let outcomes: Vec<_> = st.history.iter().map(|h| h.outcome).collect();
    assert_eq!(
        outcomes,
        vec![AttemptOutcome::HandedBack, AttemptOutcome::Succeeded]
    );
    let stats = c.broker().queue_stats(&q("default")).await.unwrap();
    assert_eq!(stats.totals.succeeded, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_ends_while_redis_is_down_is_recorded_once_redis_returns() {
    let mut r = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]);
    let ns = namespace();
    let c = client(&r, &ns);
    let w = Worker::start(&r, &ns, &["--exec", &script("misbehave.py")], &[]);
    // the worker is up and idle, blocked on its queue, so the job goes straight to its
    // handler (what this test is about), not into a claim made while it starts
    r.wait_for_idle_worker();
    let id = post(
        &c,
        "default",
        json!({"do": "progress", "steps": 15, "ms": 100}),
        opts(3),
    )
    .await;
    wait_active(&c, &id).await;
    r.kill();
    // the job runs on and ends (1.5 s) while Redis is away
    tokio::time::sleep(Duration::from_secs(3)).await;
    r.restart();
    let c = client(&r, &ns);
    let st = done(&c, &id, 30).await;
    assert_eq!(st.state, JobState::Succeeded, "{:?}", st.error);
    // (seen once in a loaded full run: 2 attempts; the history and the log say why)
    assert_eq!(
        st.attempts,
        1,
        "the job ran once: {:?}\n{}",
        st.history,
        w.log()
    );
    assert_eq!(result_json(&c, &id).await, json!({"steps": 15}));
    // and claiming resumed
    let next = post(&c, "default", json!({"next": 1}), opts(0)).await;
    assert_eq!(done(&c, &next, 30).await.state, JobState::Succeeded);
    assert!(
        w.log().contains("retrying until redis answers"),
        "{}",
        w.log()
    );
}

// ---- http handler, callbacks, breaker ------------------------------------------------

/// What a test HTTP server saw.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, axum::http::HeaderMap, Vec<u8>)>,
}

type SeenRef = Arc<Mutex<Seen>>;

/// A model server (and callback receiver) on 127.0.0.1, inside the test.
async fn test_server(listener: tokio::net::TcpListener) -> SeenRef {
    use axum::body::Bytes;
    use axum::extract::{Path as UrlPath, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::IntoResponse;

    let seen: SeenRef = Arc::default();
    async fn handle(
        State(seen): State<SeenRef>,
        UrlPath(route): UrlPath<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> axum::response::Response {
        let n = {
            let mut s = seen.lock().unwrap();
            s.requests
                .push((route.clone(), headers.clone(), body.to_vec()));
            s.requests.iter().filter(|(r, _, _)| *r == route).count()
        };
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_string();
        match route.as_str() {
            "echo" => ([(header::CONTENT_TYPE, ct)], body).into_response(),
            "bad" => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "features must be 4 numbers",
            )
                .into_response(),
            // busy for the first request, then fine
            "flaky" if n == 1 => (StatusCode::SERVICE_UNAVAILABLE, "warming up").into_response(),
            "flaky" => ([(header::CONTENT_TYPE, ct)], body).into_response(),
            "hook" => StatusCode::NO_CONTENT.into_response(),
            // fails the first delivery
            "hook-flaky" if n == 1 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            "hook-flaky" => StatusCode::OK.into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let app = axum::Router::new()
        .route("/{route}", axum::routing::post(handle))
        .with_state(seen.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    seen
}

async fn bind() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_handler_maps_statuses_to_results_retries_and_dead_jobs() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let (listener, base) = bind().await;
    let seen = test_server(listener).await;
    let refused = format!("http://127.0.0.1:{}/nobody", free_port());
    let url = |route: &str| format!("{base}/{route}");
    let _w1 = Worker::start(&r, &ns, &["-q", "echo", "--http", &url("echo")], &[]);
    let _w2 = Worker::start(&r, &ns, &["-q", "bad", "--http", &url("bad")], &[]);
    let _w3 = Worker::start(
        &r,
        &ns,
        &[
            "-q",
            "flaky",
            "--http",
            &url("flaky"),
            "--retry-backoff",
            "100ms",
        ],
        &[],
    );
    let _w4 = Worker::start(&r, &ns, &["-q", "down", "--http", &refused], &[]);

    // 2xx: body and content type are the result
    let id = post(&c, "echo", json!({"features": [5.1, 3.5]}), opts(0)).await;
    done(&c, &id, 20).await;
    assert_eq!(result_json(&c, &id).await, json!({"features": [5.1, 3.5]}));
    let posted = c
        .post(
            &q("echo"),
            Payload::bytes(vec![1u8, 2, 3, 0, 255], "audio/wav"),
            opts(0),
        )
        .await
        .unwrap();
    done(&c, &posted.id, 20).await;
    let (_, out) = c.result(&posted.id).await.unwrap();
    assert_eq!(
        (out.bytes.as_slice(), out.content_type.as_str()),
        (&[1u8, 2, 3, 0, 255][..], "audio/wav")
    );
    {
        let s = seen.lock().unwrap();
        let (_, headers, body) = s.requests.iter().find(|(r, _, _)| r == "echo").unwrap();
        assert_eq!(headers["x-mlqd-job-id"], id.to_string().as_str());
        assert_eq!(headers["x-mlqd-attempt"], "1");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body.as_slice(), br#"{"features":[5.1,3.5]}"#);
    }
    // other 4xx: permanent, straight to dead on the first attempt
    let id = post(&c, "bad", json!({"features": []}), opts(3)).await;
    let st = done(&c, &id, 20).await;
    assert_eq!(st.state, JobState::Dead);
    assert_eq!(st.attempts, 1);
    let err = st.error.unwrap();
    assert!(
        err.contains("422") && err.contains("features must be 4 numbers"),
        "{err}"
    );
    // 5xx: retryable; the second attempt succeeds
    let id = post(&c, "flaky", json!({"x": 1}), opts(3)).await;
    let st = done(&c, &id, 20).await;
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(st.attempts, 2);
    assert!(
        st.history[0].error.as_deref().unwrap().contains("503"),
        "{:?}",
        st.history
    );
    // connection refused: retryable
    let id = post(&c, "down", json!({}), opts(3)).await;
    let st = eventually(Duration::from_secs(10), || {
        let st = futures::executor::block_on(c.status(&id)).ok()?;
        (st.failures >= 1).then_some(st)
    })
    .expect("the job never failed");
    assert!(
        matches!(
            st.state,
            JobState::Retry | JobState::Pending | JobState::Active
        ),
        "{st:?}"
    );
    let err = st.history[0].error.clone().unwrap();
    assert!(err.contains("cannot connect"), "{err}");
}

fn verify_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Some(tag) = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::verify(&key, body, &tag).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_carry_the_final_status_signed_and_are_retried() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let (listener, base) = bind().await;
    let seen = test_server(listener).await;
    let _ok = Worker::start(
        &r,
        &ns,
        &[
            "-q",
            "ok",
            "--builtin",
            "echo",
            "--callback-secret",
            "s3cret",
        ],
        &[],
    );
    let _dead = Worker::start(
        &r,
        &ns,
        &[
            "-q",
            "dead",
            "--builtin",
            "fail",
            "--callback-secret",
            "s3cret",
        ],
        &[],
    );
    let with_callback = |route: &str, retries: u32| JobOptions {
        callback: Some(format!("{base}/{route}")),
        max_retries: Some(retries),
        ..Default::default()
    };
    let ok = post(&c, "ok", json!({"v": 1}), with_callback("hook", 0)).await;
    let dead = post(&c, "dead", json!({"v": 2}), with_callback("hook", 0)).await;
    let flaky = post(&c, "ok", json!({"v": 3}), with_callback("hook-flaky", 0)).await;
    // jobs that end with no worker to report them: the reaper (in the workers) sends
    // their callbacks. One is cancelled before it runs (no worker serves "idle") ...
    let cancelled = post(&c, "idle", json!({"v": 4}), with_callback("hook", 0)).await;
    assert_eq!(c.cancel(&cancelled).await.unwrap(), JobState::Pending);
    // ... one is buried after its only worker vanished with it
    let lost = post(
        &c,
        "idle",
        json!({"v": 5}),
        JobOptions {
            max_stalls: Some(1),
            ..with_callback("hook", 0)
        },
    )
    .await;
    // room for 2: the cancelled job's entry stays in the pending list until a claim
    // passes it (cancel does not search the backlog), and is skipped then
    let ghost = c
        .broker()
        .claim(&q("idle"), "ghost", 2, Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(ghost.jobs.len(), 1);
    assert_eq!(ghost.jobs[0].id, lost);
    for id in [&ok, &dead, &flaky, &cancelled, &lost] {
        done(&c, id, 20).await;
    }
    let got = eventually(Duration::from_secs(20), || {
        let s = seen.lock().unwrap();
        let hooks = s.requests.iter().filter(|(r, _, _)| r == "hook").count();
        let flaky = s
            .requests
            .iter()
            .filter(|(r, _, _)| r == "hook-flaky")
            .count();
        (hooks >= 4 && flaky >= 2).then_some(())
    });
    assert!(got.is_some(), "callbacks missing");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = seen.lock().unwrap();
    let mut by_id = std::collections::HashMap::new();
    for (route, headers, body) in &s.requests {
        let sig = headers["x-mlqd-signature"].to_str().unwrap();
        assert!(
            verify_signature(b"s3cret", body, sig),
            "bad signature {sig}"
        );
        assert!(!verify_signature(b"other", body, sig));
        assert_eq!(headers["content-type"], "application/json");
        let st: Value = serde_json::from_slice(body).unwrap();
        by_id
            .entry(st["id"].as_str().unwrap().to_string())
            .or_insert_with(Vec::new)
            .push((route.clone(), st));
    }
    let states = |id: &JobId| -> Vec<String> {
        by_id[&id.to_string()]
            .iter()
            .map(|(_, st)| st["state"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(states(&ok), ["succeeded"], "one delivery per terminal job");
    assert_eq!(states(&dead), ["dead"]);
    assert_eq!(states(&cancelled), ["cancelled"]);
    assert_eq!(states(&lost), ["dead"]);
    let (_, st) = &by_id[&lost.to_string()][0];
    assert!(
        st["error"].as_str().unwrap().starts_with("worker lost"),
        "{st}"
    );
    // the first delivery got a 500: retried, same body
    assert_eq!(states(&flaky), ["succeeded", "succeeded"]);
    let (_, st) = &by_id[&dead.to_string()][0];
    assert!(st["error"].as_str().unwrap().contains("always fails"));
    assert_eq!(st["history"][0]["outcome"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaker_stops_claiming_while_the_model_server_is_down_then_recovers() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let port = free_port();
    let metrics_port = free_port();
    let w = Worker::start(
        &r,
        &ns,
        &[
            "--http",
            &format!("http://127.0.0.1:{port}/echo"),
            "--breaker-threshold",
            "3",
            "--breaker-cooldown",
            "5s",
            "--retry-backoff",
            "50ms",
            "--retry-backoff-max",
            "100ms",
            "--metrics-listen",
            &format!("127.0.0.1:{metrics_port}"),
        ],
        &[],
    );
    let ids: Vec<JobId> = {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(post(&c, "default", json!({ "i": i }), opts(20)).await);
        }
        v
    };
    async fn attempts(c: &Client, ids: &[JobId]) -> u32 {
        let mut n = 0;
        for id in ids {
            n += c.status(id).await.unwrap().attempts;
        }
        n
    }
    eventually(Duration::from_secs(10), || {
        metrics(metrics_port)
            .contains("mlqd_worker_breaker_state 1")
            .then_some(())
    })
    .expect("the breaker never opened");
    let at_open = attempts(&c, &ids).await;
    assert_eq!(at_open, 3, "attempts before the breaker opened");
    // nothing is claimed during the cool-down
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        attempts(&c, &ids).await,
        3,
        "claimed while the breaker was open"
    );
    assert!(w.log().contains("circuit breaker open"), "{}", w.log());
    assert!(metrics(metrics_port).contains("mlqd_worker_breaker_trips_total 1"));
    // the model server comes up: the trial job succeeds and claiming resumes
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let _seen = test_server(listener).await;
    for id in &ids {
        let st = done(&c, id, 30).await;
        assert_eq!(st.state, JobState::Succeeded, "{:?}", st.error);
    }
    assert!(w.log().contains("circuit breaker closed"), "{}", w.log());
    assert!(metrics(metrics_port).contains("mlqd_worker_breaker_state 0"));
}

#[test]
fn worker_flags_name_exactly_one_handler_and_a_bad_command_fails_at_start() {
    let r = RedisServer::start();
    let ns = namespace();
    let run = |args: &[&str]| {
        let mut cmd = mlqd(&r, &ns);
        cmd.arg("worker").args(args);
        common::run(cmd)
    };
    let out = run(&["--exec", "x", "--http", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    let out = run(&["--exec", "/nonexistent/model-server --port 1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("cannot start the handler command")
            && err.contains("/nonexistent/model-server"),
        "{err}"
    );
    let out = run(&["--exec", "python3 'unbalanced"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("unbalanced quotes"));
    let out = run(&["--http", "localhost:8000"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_wait_of_a_delayed_job_counts_from_its_due_time() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let port = free_port();
    let _w = Worker::start(
        &r,
        &ns,
        &[
            "-q",
            "later",
            "--builtin",
            "echo",
            "--metrics-listen",
            &format!("127.0.0.1:{port}"),
        ],
        &[],
    );
    let id = post(
        &c,
        "later",
        json!({"x": 1}),
        JobOptions {
            delay: Some(Duration::from_millis(1500)),
            ..Default::default()
        },
    )
    .await;
    let st = done(&c, &id, 20).await;
    assert_eq!(st.state, JobState::Succeeded);
    // one job waited: the histogram's sum is its wait, which counts from the due time
    // (the worker starts it within a second of it), not from the posting 1.5 s before
    let sum = eventually(Duration::from_secs(10), || {
        let page = metrics(port);
        page.lines()
            .find(|l| l.starts_with("mlqd_job_queue_wait_seconds_sum{queue=\"later\"}"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
    })
    .expect("no queue wait recorded");
    assert!(sum < 1.2, "queue wait {sum}s counts the delay");
}
