//! The `mlqd` binary end to end: separate processes for posting, working and reading, a
//! private redis-server, and assertions on exit codes and on what Redis holds.

mod common;

use std::time::Duration;

use common::{
    Proc, RedisServer, code, eventually, mlqd, namespace, post, queue_keys, run, run_with_stdin,
    status_json, stderr, stdout, worker,
};

#[test]
fn json_job_runs_end_to_end_across_processes() {
    let r = RedisServer::start();
    let ns = namespace();
    let id = post(&r, &ns, &["--queue", "predict", r#"{"text":"hello"}"#]);
    assert!(id.starts_with("predict."), "{id}");
    // another process reads it: ids are global
    let st = status_json(&r, &ns, &id);
    assert_eq!(st["state"], "pending");
    assert_eq!(st["queue"], "predict");
    let _w = worker(&r, &ns, &["--queue", "predict", "--builtin", "echo"]);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &id, "--wait", "--wait-timeout", "10s"]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), r#"{"text":"hello"}"#);
    let st = status_json(&r, &ns, &id);
    assert_eq!(st["state"], "succeeded");
    assert_eq!(st["attempts"], 1);
    assert_eq!(st["result_content_type"], "application/json");
    assert_eq!(st["history"][0]["outcome"], "succeeded");
    // the table view names the same things
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["status", &id]);
    let table = stdout(&run(cmd));
    assert!(
        table.contains("succeeded") && table.contains(&id),
        "{table}"
    );
}

#[test]
fn binary_payload_comes_back_byte_for_byte() {
    let r = RedisServer::start();
    let ns = namespace();
    let bytes: Vec<u8> = (0..150_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let input = common::write_temp("in.bin", &bytes);
    let id = post(
        &r,
        &ns,
        &[
            &format!("@{}", input.display()),
            "--content-type",
            "image/png",
        ],
    );
    let _w = worker(&r, &ns, &["--builtin", "echo"]);
    let output = std::env::temp_dir().join(format!("mlqd-out-{}.bin", common::rand_u32()));
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &id, "--wait", "-o"]).arg(&output);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read(&output).unwrap(), bytes);
    let st = status_json(&r, &ns, &id);
    assert_eq!(st["content_type"], "image/png");
    assert_eq!(st["result_content_type"], "image/png");
    // stdin works too
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "post",
        "-",
        "--content-type",
        "application/octet-stream",
        "--wait",
    ]);
    let out = run_with_stdin(cmd, &[0, 159, 146, 150]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, vec![0, 159, 146, 150]);
    let _ = std::fs::remove_file(input);
    let _ = std::fs::remove_file(output);
}

#[test]
fn post_wait_exit_codes() {
    let r = RedisServer::start();
    let ns = namespace();
    // no worker yet: the wait runs out (5), and so does an unfinished result (5)
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "post",
        "--queue",
        "slow",
        "--wait",
        "--wait-timeout",
        "300ms",
        "{}",
    ]);
    let out = run(cmd);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let id = stderr(&out).lines().next().unwrap().trim().to_string();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &id]);
    let out = run(cmd);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("not finished"), "{}", stderr(&out));

    // a job that fails for good: dead, exit 3
    let _w = worker(&r, &ns, &["--queue", "doomed", "--builtin", "fail"]);
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "post",
        "--queue",
        "doomed",
        "--max-retries",
        "0",
        "--wait",
        "{}",
    ]);
    let out = run(cmd);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("dead"), "{}", stderr(&out));

    // a job that works: its result on stdout, exit 0
    let _w2 = worker(&r, &ns, &["--queue", "fine", "--builtin", "echo"]);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["post", "--queue", "fine", "--wait", r#"[1,2,3]"#]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "[1,2,3]");
}

#[test]
fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let r = RedisServer::start();
    let ns = namespace();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["post", "--queue", "bad name", "{}"], 2, "queue"),
        (&["post", "--queue", "a.b", "{}"], 2, "queue"),
        (&["post", "{not json"], 2, "JSON"),
        (&["post", "--priority", "101", "{}"], 2, "101"),
        (
            &["post", "--max-payload", "1KiB", &"x".repeat(2048)],
            2,
            "limit",
        ),
        (&["post", "--delay", "soon", "{}"], 2, "duration"),
        (&["post", "--callback", "ftp://example", "{}"], 2, "URL"),
        (&["post", "@/nonexistent/file.json"], 2, "cannot read"),
        (
            &["status", "default.01ARZ3NDEKTSV4RRFFQ69G5FAV"],
            4,
            "no such job",
        ),
        (&["status", "not-an-id"], 2, "job id"),
        (
            &["result", "default.01ARZ3NDEKTSV4RRFFQ69G5FAV"],
            4,
            "no such job",
        ),
        (
            &["cancel", "default.01ARZ3NDEKTSV4RRFFQ69G5FAV"],
            4,
            "no such job",
        ),
        (
            &["dlq", "requeue", "default.01ARZ3NDEKTSV4RRFFQ69G5FAV"],
            4,
            "dead-letter",
        ),
        (&["worker", "--builtin", "nope"], 2, "nope"),
    ];
    for (args, want, needle) in cases {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(*args);
        let out = run(cmd);
        let err = stderr(&out);
        assert_eq!(code(&out), *want, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert!(stdout(&out).is_empty(), "{args:?} printed {}", stdout(&out));
    }
    assert!(r.keys(&ns).is_empty(), "bad input stored {:?}", r.keys(&ns));
}

#[test]
fn unreachable_redis_is_one_line_and_exit_1() {
    let mut r = RedisServer::start();
    let ns = namespace();
    r.kill();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["post", "{}"]);
    let out = run(cmd);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    // the URL tried, and the cause, each said once
    assert_eq!(
        err,
        format!(
            "mlqd: error: redis at {} is unavailable: connection refused",
            r.url()
        )
    );
    // a password in the URL is never shown
    let mut cmd = mlqd(&r, &ns);
    let with_password = r.url().replace("redis://", "redis://someone:s3cret@");
    cmd.env("MLQD_REDIS_URL", &with_password).args(["queues"]);
    let out = run(cmd);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(err.matches("someone:***@").count(), 1, "{err}");
    assert_eq!(err.matches("connection refused").count(), 1, "{err}");
}

#[test]
fn unreachable_sentinels_or_cluster_are_one_line_and_exit_1() {
    let (a, b) = (common::free_port(), common::free_port());
    for (url, cause) in [
        (
            format!("redis+sentinel://127.0.0.1:{a},127.0.0.1:{b}/mymaster"),
            "no sentinel answered",
        ),
        (
            format!("redis+cluster://127.0.0.1:{a},127.0.0.1:{b}"),
            "connection refused",
        ),
    ] {
        let mut cmd = mlqd_at(&url);
        cmd.args(["post", "{}"]);
        let out = run(cmd);
        assert_eq!(code(&out), 1, "{url}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("mlqd: error: redis at {url} is unavailable: ")),
            "{err}"
        );
        assert!(err.to_lowercase().contains(cause), "{err}");
    }
}

/// `mlqd` at a URL no test server stands behind.
fn mlqd_at(url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(common::bin());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MLQD_REDIS_URL", url)
        .env("MLQD_LOG_LEVEL", "warn");
    cmd
}

#[test]
fn an_idempotency_key_returns_the_first_job() {
    let r = RedisServer::start();
    let ns = namespace();
    let first = post(&r, &ns, &["--key", "order-42", r#"{"n":1}"#]);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["post", "--key", "order-42", r#"{"n":2}"#]);
    let out = run(cmd);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), first);
    assert!(stderr(&out).contains("idempotency key"));
    let other = post(&r, &ns, &["--key", "order-43", r#"{"n":3}"#]);
    assert_ne!(other, first);
    let mut conn = r.conn();
    let specs: u64 = redis::cmd("HLEN")
        .arg(queue_keys(&ns, "default").specs())
        .query(&mut conn)
        .unwrap();
    assert_eq!(specs, 2, "the repeat stored a job");
}

#[test]
fn a_cancelled_pending_job_never_runs() {
    let r = RedisServer::start();
    let ns = namespace();
    let doomed = post(&r, &ns, &["{\"n\":1}"]);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["cancel", &doomed]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("was pending"));
    let after = post(&r, &ns, &["{\"n\":2}"]);
    let _w = worker(&r, &ns, &["--builtin", "echo"]);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &after, "--wait", "--wait-timeout", "10s"]);
    assert_eq!(code(&run(cmd)), 0);
    let st = status_json(&r, &ns, &doomed);
    assert_eq!(st["state"], "cancelled");
    assert_eq!(st["attempts"], 0);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["result", &doomed]);
    assert_eq!(code(&run(cmd)), 3);
    // cancelling again is fine; cancelling a succeeded job is refused
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["cancel", &doomed]);
    assert_eq!(code(&run(cmd)), 0);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["cancel", &after]);
    let out = run(cmd);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("already succeeded"));
}

#[test]
fn dead_letters_can_be_listed_requeued_and_purged() {
    let r = RedisServer::start();
    let ns = namespace();
    let id = post(&r, &ns, &["--queue", "flaky", "--max-retries", "1", "{}"]);
    let w = worker(
        &r,
        &ns,
        &[
            "--queue",
            "flaky",
            "--builtin",
            "fail",
            "--retry-backoff",
            "100ms",
        ],
    );
    let dead = eventually(Duration::from_secs(10), || {
        let st = status_json(&r, &ns, &id);
        (st["state"] == "dead").then_some(st)
    })
    .expect("job never died");
    assert_eq!(dead["attempts"], 2);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["dlq", "list", "--json"]);
    let out = run(cmd);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    drop(w);
    // requeue: back in the queue with a fresh retry budget
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["dlq", "requeue", &id]);
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let st = status_json(&r, &ns, &id);
    assert_eq!(st["state"], "pending");
    assert_eq!(st["failures"], 0);
    // it dies again under the failing worker; then purge empties the set
    let _w = worker(
        &r,
        &ns,
        &[
            "--queue",
            "flaky",
            "--builtin",
            "fail",
            "--retry-backoff",
            "100ms",
        ],
    );
    eventually(Duration::from_secs(10), || {
        (status_json(&r, &ns, &id)["state"] == "dead").then_some(())
    })
    .expect("job never died again");
    assert_eq!(status_json(&r, &ns, &id)["attempts"], 4);
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["dlq", "purge", "--queue", "flaky"]);
    let out = run(cmd);
    assert!(stdout(&out).contains("purged 1"), "{}", stdout(&out));
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["dlq", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&run(cmd).stdout).unwrap();
    assert_eq!(listed, serde_json::json!([]));
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["status", &id]);
    assert_eq!(code(&run(cmd)), 4, "a purged job is gone");
}

#[test]
fn queues_shows_counts_and_progress_shows_in_status() {
    let r = RedisServer::start();
    let ns = namespace();
    let id = post(&r, &ns, &["--queue", "train", r#"{"ms":3000}"#]);
    post(&r, &ns, &["--queue", "train", "--delay", "1h", "{}"]);
    let _w = worker(&r, &ns, &["--queue", "train", "--builtin", "sleep"]);
    let progressed = eventually(Duration::from_secs(5), || {
        let st = status_json(&r, &ns, &id);
        let p = st["progress"]["percent"].as_u64()?;
        (st["state"] == "active" && p > 0).then_some(st)
    })
    .expect("no progress reported");
    assert!(
        progressed["progress"]["message"]
            .as_str()
            .unwrap()
            .contains("slept")
    );
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["queues", "--json"]);
    let out = run(cmd);
    let queues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(queues[0]["queue"], "train");
    assert_eq!(queues[0]["active"], 1);
    assert_eq!(queues[0]["scheduled"], 1);
    assert_eq!(queues[0]["totals"]["enqueued"], 2);
}

#[test]
fn a_worker_exits_0_on_sigterm() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut w = worker(&r, &ns, &["--builtin", "noop"]);
    std::thread::sleep(Duration::from_millis(500));
    w.signal("TERM");
    let st = w
        .wait_for(Duration::from_secs(10))
        .expect("worker did not stop");
    assert_eq!(st.code(), Some(0));
}

#[test]
fn broken_pipe_is_not_an_error() {
    let r = RedisServer::start();
    let ns = namespace();
    let id = post(&r, &ns, &["{}"]);
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "{} status {id} --json | head -c 1; exit ${{PIPESTATUS:-0}}",
            common::bin()
        ))
        .env("MLQD_REDIS_URL", r.url())
        .env("MLQD_NAMESPACE", &ns);
    let out = run(sh);
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
}

#[test]
fn long_running_roles_warn_when_redis_may_evict_jobs() {
    let r = RedisServer::start_with(&["--save", "", "--maxmemory-policy", "allkeys-lru"]);
    let ns = namespace();
    let log = common::write_temp("evict.log", b"");
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["worker", "--builtin", "noop"])
        .stderr(std::fs::File::create(&log).unwrap());
    let w = Proc::spawn(cmd);
    let warned = eventually(Duration::from_secs(5), || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.contains("maxmemory-policy").then_some(text)
    });
    drop(w);
    let text = warned.expect("no eviction warning");
    assert!(
        text.contains("allkeys-lru") && text.contains("noeviction"),
        "{text}"
    );
    // a short command does not check
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["queues"]);
    assert!(!stderr(&run(cmd)).contains("maxmemory"));
    let _ = std::fs::remove_file(log);
}

#[test]
fn json_log_format_writes_one_object_per_line() {
    let r = RedisServer::start();
    let ns = namespace();
    let log = common::write_temp("json.log", b"");
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "--log-format",
        "json",
        "--log-level",
        "info",
        "worker",
        "--builtin",
        "fail",
    ])
    .args(["--max-result", "1KiB", "--retry-backoff", "10ms"])
    .stderr(std::fs::File::create(&log).unwrap());
    let mut w = Proc::spawn(cmd);
    post(&r, &ns, &["--max-retries", "0", "{}"]);
    eventually(Duration::from_secs(5), || {
        std::fs::read_to_string(&log)
            .ok()?
            .contains("job failed")
            .then_some(())
    })
    .expect("no log of the failure");
    w.signal("TERM");
    w.wait_for(Duration::from_secs(10))
        .expect("worker did not stop");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 3, "{text}");
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["message"].is_string(), "{line}");
    }
    assert!(text.contains("\"job\""), "job id is a field: {text}");
    let _ = std::fs::remove_file(log);
}
