//! Reading a job's output: the SSE route, `post --stream`, `result --follow`.

use std::time::Duration;

use crate::common::{
    RedisServer, Server, Sse, assert_error, code, eventually, http, mlqd, namespace, repo, run,
    stderr, submit, worker,
};
use crate::{LibWorker, chunks, fifty, open, progress, status_state};
use mlqd::JobId;
use mlqd::Output;
use mlqd::broker::Backoff;
use mlqd::worker::{HandlerError, Job};
use serde_json::{Value, json};

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
