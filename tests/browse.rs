//! Browsing a queue's jobs by state: `GET /v1/queues/{queue}/jobs` and `mlqd jobs`. Pages
//! come in the state's order (pending: the order claims take them), cursors never repeat
//! nor skip a job that stayed in its state while the queue moves, finished jobs come from
//! the capped recent index, and bad input is refused.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{
    Server, assert_error, broker, client, code, eventually, http, mlqd, namespace, q, quiet_worker,
    run, stderr, stdout,
};
use mlqd::broker::{BrokerConfig, Page};
use mlqd::job::JobState;
use mlqd::{Broker, JobOptions, Payload};
use serde_json::{Value, json};

fn ids(page: &Page) -> Vec<String> {
    page.jobs.iter().map(|j| j.id.clone()).collect()
}

/// Every page of a state, following the cursors.
async fn all_pages(b: &Broker, queue: &str, state: JobState, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let p = b
            .browse(&q(queue), state, limit, cursor.as_deref())
            .await
            .unwrap();
        pages.push(ids(&p));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return pages,
        }
    }
    panic!("paging did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_pages_in_the_order_claims_take_them() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let (b, c) = (broker(&r, &ns), client(&r, &ns));
    let queue = q("mixed");
    // 120 jobs: priorities 0, 5 and -5 interleaved
    let jobs: Vec<(Payload, JobOptions)> = (0..120)
        .map(|i| {
            let priority = [0, 5, 0, -5][i % 4];
            (
                Payload::json(&json!({ "i": i })),
                JobOptions {
                    priority,
                    ..Default::default()
                },
            )
        })
        .collect();
    c.post_batch(&queue, jobs, None).await.unwrap();
    let pages = all_pages(&b, "mixed", JobState::Pending, 50).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [50, 50, 20]);
    let listed: Vec<String> = pages.concat();
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), 120, "a job was listed twice");
    // the listing is the order workers take them
    let mut claimed = Vec::new();
    loop {
        let claim = b
            .claim(&queue, "w", 7, Duration::from_secs(60))
            .await
            .unwrap();
        if claim.jobs.is_empty() {
            break;
        }
        claimed.extend(claim.jobs.into_iter().map(|j| j.id.to_string()));
    }
    assert_eq!(listed, claimed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_neither_repeat_nor_skip_while_the_queue_moves() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let (b, c) = (broker(&r, &ns), client(&r, &ns));
    let queue = q("moving");
    let posted: Vec<String> = c
        .post_batch(
            &queue,
            (0..120)
                .map(|i| (Payload::json(&json!({ "i": i })), JobOptions::default()))
                .collect(),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id.to_string())
        .collect();
    let p1 = b.browse(&queue, JobState::Pending, 50, None).await.unwrap();
    assert_eq!(ids(&p1), posted[..50]);
    // workers take 30 from the head (all shown already), more arrive at the tail, and a
    // high-priority job jumps the queue: none of that moves the cursor
    let taken = b
        .claim(&queue, "w", 30, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(taken.jobs.len(), 30);
    let late = c
        .post(
            &queue,
            Payload::json(&json!({"late": true})),
            JobOptions::default(),
        )
        .await
        .unwrap();
    c.post(
        &queue,
        Payload::json(&json!({"urgent": true})),
        JobOptions {
            priority: 9,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p2 = b
        .browse(&queue, JobState::Pending, 50, p1.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(ids(&p2), posted[50..100], "page 2 starts after page 1");
    // the job at the cursor itself is taken (the urgent one and 70 from the head): the next
    // page still starts right after it
    let taken = b
        .claim(&queue, "w", 71, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(taken.jobs.last().unwrap().id.to_string(), posted[99]);
    let p3 = b
        .browse(&queue, JobState::Pending, 50, p2.next_cursor.as_deref())
        .await
        .unwrap();
    let mut want: Vec<String> = posted[100..].to_vec();
    want.push(late.id.to_string());
    assert_eq!(ids(&p3), want);
    // what is still pending and was never shown is on page 3
    let still: Vec<String> = all_pages(&b, "moving", JobState::Pending, 500)
        .await
        .concat();
    for id in &still {
        if !ids(&p1).contains(id) && !ids(&p2).contains(id) && *id != late.id.to_string() {
            assert!(ids(&p3).contains(id), "{id} was skipped");
        }
    }

    // sorted sets: scheduled by due time, jobs leaving meanwhile, one equal score group
    let delayed: Vec<String> = c
        .post_batch(
            &queue,
            (0..30)
                .map(|i| {
                    (
                        Payload::json(&json!({ "d": i })),
                        JobOptions {
                            delay: Some(Duration::from_secs(3600)),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id.to_string())
        .collect();
    let s1 = b
        .browse(&queue, JobState::Scheduled, 10, None)
        .await
        .unwrap();
    assert_eq!(s1.jobs.len(), 10);
    // cancel the cursor's own job and one ahead: the next page starts right after
    let last: mlqd::JobId = s1.jobs[9].id.parse().unwrap();
    let first: mlqd::JobId = s1.jobs[0].id.parse().unwrap();
    c.cancel(&last).await.unwrap();
    c.cancel(&first).await.unwrap();
    let rest: Vec<String> = {
        let mut all = ids(&s1);
        let mut cursor = s1.next_cursor.clone();
        while let Some(cur) = cursor {
            let p = b
                .browse(&queue, JobState::Scheduled, 10, Some(&cur))
                .await
                .unwrap();
            all.extend(ids(&p));
            cursor = p.next_cursor;
        }
        all
    };
    assert_eq!(rest.len(), 30, "{rest:?}");
    let mut sorted = delayed.clone();
    sorted.sort();
    let mut got = rest.clone();
    got.sort();
    assert_eq!(got, sorted, "one equal due time: every job once");
}

#[test]
fn finished_jobs_list_newest_first_from_a_capped_index() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &["--recent", "3"]);
    let c = http();
    let submit = |queue: &str, body: &Value, query: &str| -> String {
        let res = c
            .post(s.url(&format!("/v1/queues/{queue}/jobs{query}")))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        assert!(res.status().is_success());
        let v: Value = res.json().unwrap();
        v["id"].as_str().unwrap().to_string()
    };
    // dead: a failing handler with no retries
    for i in 0..4 {
        submit("bad", &json!({ "i": i }), "?max_retries=0");
    }
    let _fail = quiet_worker(
        &r,
        &ns,
        &["--queue", "bad", "--builtin", "fail", "--no-reaper"],
    );
    let ok_ids: Vec<String> = (0..5)
        .map(|i| submit("good", &json!({ "i": i }), ""))
        .collect();
    let _echo = quiet_worker(
        &r,
        &ns,
        &[
            "--queue",
            "good",
            "--builtin",
            "echo",
            "--no-reaper",
            "--recent",
            "3",
        ],
    );
    let page = |queue: &str, query: &str| -> Value {
        let res = c
            .get(s.url(&format!("/v1/queues/{queue}/jobs?{query}")))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().unwrap()
    };
    eventually(Duration::from_secs(20), || {
        (page("bad", "state=dead")["jobs"].as_array().unwrap().len() == 4).then_some(())
    })
    .expect("4 dead jobs");
    let dead = page("bad", "state=dead&limit=3");
    let times: Vec<&str> = dead["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["finished_at"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
    assert!(dead["next_cursor"].is_string());
    // the CLI's JSON is the same page
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["jobs", "--queue", "bad", "--state", "dead", "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["jobs"].as_array().unwrap().len(), 4);
    assert_eq!(v["jobs"][0]["state"], "dead");
    assert_eq!(v["next_cursor"], Value::Null);

    eventually(Duration::from_secs(20), || {
        let st: Value = c
            .get(s.url(&format!("/v1/jobs/{}", ok_ids[4])))
            .send()
            .unwrap()
            .json()
            .unwrap();
        (st["state"] == "succeeded").then_some(())
    })
    .expect("the echo jobs succeed");
    std::thread::sleep(Duration::from_millis(300));
    let done = page("good", "state=succeeded");
    let listed: Vec<&str> = done["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    // --recent 3: the three newest of five
    assert_eq!(listed.len(), 3, "{done}");
    for j in done["jobs"].as_array().unwrap() {
        assert_eq!(j["state"], "succeeded");
        assert!(
            ok_ids[2..].contains(&j["id"].as_str().unwrap().to_string()),
            "{j}"
        );
    }
    let times: Vec<&str> = done["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["finished_at"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
    // a cancelled job is listed under cancelled (serve's --recent)
    let later = submit("idle", &json!({}), "?delay=1h");
    let res = c
        .delete(s.url(&format!("/v1/jobs/{later}")))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let cancelled = page("idle", "state=cancelled");
    assert_eq!(cancelled["jobs"][0]["id"], later.as_str());
    assert_eq!(cancelled["jobs"][0]["state"], "cancelled");
    // the table names the next page
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["jobs", "-q", "bad", "-s", "dead", "--limit", "2"]);
    let out = stdout(&run(cmd));
    assert!(
        out.contains("next page: mlqd jobs --queue bad --state dead"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_records_drop_out_and_active_jobs_list_by_start() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let b = broker(&r, &ns);
    let c = client(&r, &ns);
    let queue = q("short");
    let short = JobOptions {
        result_ttl: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    for i in 0..3 {
        c.post(&queue, Payload::json(&json!({ "i": i })), short.clone())
            .await
            .unwrap();
    }
    let mut started = Vec::new();
    for _ in 0..3 {
        let cl = b
            .claim(&queue, "w", 1, Duration::from_secs(60))
            .await
            .unwrap();
        started.push(cl.jobs[0].clone());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let active = b.browse(&queue, JobState::Active, 2, None).await.unwrap();
    let want: Vec<String> = started.iter().map(|j| j.id.to_string()).collect();
    assert_eq!(ids(&active), want[..2]);
    let more = b
        .browse(&queue, JobState::Active, 2, active.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(ids(&more), want[2..]);
    assert_eq!(more.next_cursor, None);
    let ok: Vec<mlqd::broker::Success> = started
        .iter()
        .map(|j| mlqd::broker::Success {
            ulid: j.id.ulid().to_string(),
            attempt: j.attempt,
            result: b"{}".to_vec(),
            content_type: "application/json".into(),
        })
        .collect();
    b.complete(&queue, "w", &ok).await.unwrap();
    let done = b
        .browse(&queue, JobState::Succeeded, 10, None)
        .await
        .unwrap();
    assert_eq!(done.jobs.len(), 3);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let done = b
        .browse(&queue, JobState::Succeeded, 10, None)
        .await
        .unwrap();
    assert!(done.jobs.is_empty(), "expired records are skipped");
    // a broker with recent 0 keeps no index
    let mut cfg = BrokerConfig::new(r.url(), ns.clone());
    cfg.recent_cap = 0;
    let none = Broker::new(cfg).unwrap();
    let id = c
        .post(&q("none"), Payload::json(&json!({})), JobOptions::default())
        .await
        .unwrap()
        .id;
    let cl = none
        .claim(&q("none"), "w", 1, Duration::from_secs(60))
        .await
        .unwrap();
    none.complete(
        &q("none"),
        "w",
        &[mlqd::broker::Success {
            ulid: id.ulid().to_string(),
            attempt: cl.jobs[0].attempt,
            result: vec![],
            content_type: "application/json".into(),
        }],
    )
    .await
    .unwrap();
    assert!(
        b.browse(&q("none"), JobState::Succeeded, 10, None)
            .await
            .unwrap()
            .jobs
            .is_empty()
    );
}

#[test]
fn bad_browsing_input_is_refused() {
    let r = common::RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let get = |query: &str| {
        c.get(s.url(&format!("/v1/queues/q1/jobs?{query}")))
            .send()
            .unwrap()
    };
    let dead_cursor = {
        // a real cursor of another state
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["post", "--queue", "q1", "--delay", "1h", "{}"]);
        run(cmd);
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["post", "--queue", "q1", "--delay", "1h", "{}"]);
        run(cmd);
        let v: Value = get("state=scheduled&limit=1").json().unwrap();
        v["next_cursor"].as_str().unwrap().to_string()
    };
    for query in [
        "state=sleeping".to_string(),
        "limit=0".into(),
        "limit=501".into(),
        "limit=ten".into(),
        "cursor=%%%".into(),
        "cursor=bm9wZQ".into(),
        format!("state=dead&cursor={dead_cursor}"),
        "colour=red".into(),
    ] {
        assert_error(get(&query), 400, "invalid");
    }
    let ok: Value = get(&format!("state=scheduled&cursor={dead_cursor}"))
        .json()
        .unwrap();
    assert_eq!(ok["jobs"].as_array().unwrap().len(), 1);
    for args in [
        &["jobs", "--queue", "q1", "--state", "sleeping"][..],
        &["jobs", "--queue", "q1", "--limit", "0"],
        &["jobs", "--queue", "q1", "--limit", "-3"],
        &["jobs", "--queue", "q1", "--cursor", "garbage!"],
        &["jobs", "--queue", "bad name"],
    ] {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(args);
        let out = run(cmd);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
}

/// Succeeded jobs page newest first through their recent list, and a page's cursor still
/// finds its place after more jobs succeeded: no job is repeated or skipped; the list is
/// capped (here 4), the oldest dropping out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn succeeded_jobs_page_from_their_recent_list_while_more_succeed() {
    use common::Deployment as _;
    let r = common::RedisServer::start();
    let ns = namespace();
    let mut cfg = r.broker_config(&ns);
    cfg.recent_cap = 4;
    let b = Broker::new(cfg).unwrap();
    let c = client(&r, &ns);
    let queue = q("ok");
    let finish = |n: usize| {
        let (b, c, queue) = (&b, &c, &queue);
        async move {
            let mut done = Vec::new();
            for i in 0..n {
                let id = c
                    .post(
                        queue,
                        Payload::json(&json!({ "i": i })),
                        JobOptions::default(),
                    )
                    .await
                    .unwrap()
                    .id;
                let cl = b
                    .claim(queue, "w", 1, Duration::from_secs(60))
                    .await
                    .unwrap();
                let ok = mlqd::broker::Success {
                    ulid: id.ulid().to_string(),
                    attempt: cl.jobs[0].attempt,
                    result: b"{}".to_vec(),
                    content_type: "application/json".into(),
                };
                b.complete(queue, "w", &[ok]).await.unwrap();
                done.push(id.to_string());
            }
            done
        }
    };
    let first = finish(3).await;
    let page = b
        .browse(&queue, JobState::Succeeded, 2, None)
        .await
        .unwrap();
    assert_eq!(ids(&page), [first[2].clone(), first[1].clone()]);
    // one more succeeds: the cursor still points after first[1]
    let later = finish(1).await;
    let next = b
        .browse(&queue, JobState::Succeeded, 2, page.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(ids(&next), [first[0].clone()]);
    assert_eq!(next.next_cursor, None);
    // capped at 4: the oldest two go as two more succeed
    let last = finish(2).await;
    let all = all_pages(&b, "ok", JobState::Succeeded, 3).await;
    assert_eq!(
        all,
        [
            vec![last[1].clone(), last[0].clone(), later[0].clone()],
            vec![first[2].clone()]
        ]
    );
}
