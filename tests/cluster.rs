//! mlqd on a Redis Cluster of three masters (`redis+cluster://`): queues spread over the
//! masters, one worker serves queues on different nodes, and every command works. One
//! cluster serves the whole file (each test has its own namespace).

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::cluster::RedisCluster;
use common::{
    Proc, Server, eventually, http, mlqd, namespace, post, quiet, quiet_worker, read_events, run,
    status_json, stderr, stdout, submit,
};
use serde_json::{Value, json};

#[test]
fn harness_cluster_spreads_queues_over_masters() {
    let cluster = RedisCluster::shared();
    let ports = cluster.ports();
    assert_eq!(ports.len(), 3);
    let queues = cluster.spread_queues("q", 6);
    assert_eq!(queues.len(), 6);
    let owners: BTreeSet<u16> = queues.iter().map(|q| cluster.queue_owner(q)).collect();
    assert_eq!(
        owners.len(),
        3,
        "6 queues land on all 3 masters: {owners:?}"
    );
    // the owner really holds the key: a write there works, elsewhere it is MOVED
    let q = &queues[0];
    let key = format!("t:{{{q}}}:probe");
    let owner = cluster.queue_owner(q);
    for port in ports {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .query(&mut cluster.conn(port));
        assert_eq!(r.is_ok(), port == owner, "SET on {port}: {r:?}");
    }
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query(&mut cluster.conn(owner))
        .unwrap();
}

fn worker_args(queues: &[String], rest: &[&'static str]) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for q in queues {
        args.push("--queue".into());
        args.push(q.clone());
    }
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn state(cluster: &RedisCluster, ns: &str, id: &str) -> String {
    status_json(cluster, ns, id)["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn six_queues_on_three_masters_work_through_every_door() {
    let cluster = RedisCluster::shared();
    let ns = namespace();
    let queues = cluster.spread_queues("cq", 6);
    let owners: BTreeSet<u16> = queues.iter().map(|q| cluster.queue_owner(q)).collect();
    assert!(owners.len() >= 2, "queues on one master only: {owners:?}");

    let args = worker_args(&queues, &["--builtin", "sleep", "--concurrency", "3"]);
    let _w1 = quiet_worker(cluster, &ns, &strs(&args));
    let _w2 = quiet_worker(cluster, &ns, &strs(&args));
    let server = Server::start(cluster, &ns, &[]);
    let c = http();

    for (i, q) in queues.iter().enumerate() {
        // the CLI: post --wait prints the result
        let payload = json!({"ms": 1, "cli": i}).to_string();
        let mut cmd = mlqd(cluster, &ns);
        cmd.args([
            "post",
            &payload,
            "--queue",
            q,
            "--wait",
            "--wait-timeout",
            "30s",
        ]);
        let out = run(cmd);
        assert!(out.status.success(), "post --wait on {q}: {}", stderr(&out));
        assert_eq!(stdout(&out), payload);
        // HTTP: ?wait= answers with the result
        let body = json!({"ms": 1, "http": i}).to_string();
        let res = c
            .post(server.url(&format!("/v1/queues/{q}/jobs?wait=30s")))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .expect("POST ?wait=");
        assert_eq!(res.status().as_u16(), 200, "{q}");
        assert_eq!(res.text().unwrap(), body);
        // the queue's keys live on the master that owns its slot, and only there
        let on_owner = cluster.keys_on(cluster.queue_owner(q), &format!("{ns}:{{{q}}}:*"));
        assert!(!on_owner.is_empty(), "no keys of {q} on its master");
    }

    // events: the stream follows a job to its end, whichever master holds it
    let id = submit(&c, &server, &queues[1], &json!({"ms": 300}));
    let res = c
        .get(server.url(&format!("/v1/jobs/{id}/events")))
        .send()
        .expect("GET events");
    let events = read_events(res);
    let last = events.last().expect("some events");
    assert_eq!(last.1["state"], "succeeded", "{events:?}");
    assert!(events.len() >= 2, "{events:?}");

    // cancel of a running job reaches its worker
    let id = submit(&c, &server, &queues[2], &json!({"ms": 60000}));
    assert!(
        eventually(Duration::from_secs(15), || (state(cluster, &ns, &id)
            == "active")
            .then_some(()))
        .is_some(),
        "the long job did not start"
    );
    let res = c
        .delete(server.url(&format!("/v1/jobs/{id}")))
        .send()
        .expect("DELETE");
    assert!(res.status().is_success(), "{}", res.status());
    assert!(
        eventually(Duration::from_secs(15), || {
            let s = status_json(cluster, &ns, &id);
            (s["state"] == "cancelled" && s["history"][0]["outcome"] == "cancelled").then_some(())
        })
        .is_some(),
        "cancel did not end the running job: {}",
        status_json(cluster, &ns, &id)
    );

    // dead letters: a payload the handler refuses is dead at once; requeue runs it again
    let id = submit(&c, &server, &queues[3], &json!({"not": "ms"}));
    assert!(
        eventually(Duration::from_secs(15), || (state(cluster, &ns, &id)
            == "dead")
            .then_some(()))
        .is_some()
    );
    let mut cmd = mlqd(cluster, &ns);
    cmd.args(["dlq", "requeue", &id]);
    let out = run(cmd);
    assert!(out.status.success(), "dlq requeue: {}", stderr(&out));
    assert!(
        eventually(Duration::from_secs(15), || {
            let s = status_json(cluster, &ns, &id);
            (s["state"] == "dead" && s["attempts"] == 2).then_some(())
        })
        .is_some(),
        "the requeued job did not run again: {}",
        status_json(cluster, &ns, &id)
    );
    let mut cmd = mlqd(cluster, &ns);
    cmd.args(["dlq", "list", "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&id));

    // queues --json and top --once list every queue, read from all three masters
    let mut cmd = mlqd(cluster, &ns);
    cmd.args(["queues", "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "queues: {}", stderr(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).expect("queues JSON");
    let names: BTreeSet<String> = listed
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|q| q["queue"].as_str().map(str::to_string))
        .collect();
    for q in &queues {
        assert!(names.contains(q), "{q} missing from {listed}");
    }
    let totals: u64 = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["totals"]["succeeded"].as_u64().unwrap_or(0))
        .sum();
    assert!(totals >= 13, "succeeded totals {totals}: {listed}");
    let mut cmd = mlqd(cluster, &ns);
    cmd.args(["top", "--once"]);
    let out = run(cmd);
    assert!(out.status.success(), "top: {}", stderr(&out));
    let text = stdout(&out);
    for q in &queues {
        assert!(text.contains(q.as_str()), "{q} missing from top:\n{text}");
    }
    let mut cmd = mlqd(cluster, &ns);
    cmd.args(["workers", "--json"]);
    let out = run(cmd);
    let workers: Value = serde_json::from_slice(&out.stdout).expect("workers JSON");
    assert_eq!(workers.as_array().map(Vec::len), Some(2), "{workers}");
}

#[test]
fn a_sigkilled_workers_job_is_recovered_by_the_reaper() {
    let cluster = RedisCluster::shared();
    let ns = namespace();
    let queues = cluster.spread_queues("kq", 2);
    let q = &queues[1];
    let args = [
        "--queue",
        q,
        "--builtin",
        "sleep",
        "--lease",
        "1s",
        "--no-reaper",
    ];
    let mut victim = quiet_worker(cluster, &ns, &args);
    let id = post(cluster, &ns, &["--queue", q, r#"{"ms": 2000}"#]);
    assert!(
        eventually(Duration::from_secs(15), || (state(cluster, &ns, &id)
            == "active")
            .then_some(()))
        .is_some()
    );
    victim.signal("KILL");
    assert!(victim.wait_for(Duration::from_secs(5)).is_some());
    let mut reaper = mlqd(cluster, &ns);
    reaper.args(["reaper", "--interval", "200ms"]);
    let _reaper = Proc::spawn(quiet(reaper));
    let _rescuer = quiet_worker(cluster, &ns, &args);
    let done = eventually(Duration::from_secs(30), || {
        let s = status_json(cluster, &ns, &id);
        (s["state"] == "succeeded").then_some(s)
    })
    .unwrap_or_else(|| panic!("not recovered: {}", status_json(cluster, &ns, &id)));
    assert_eq!(done["attempts"], 2, "{done}");
    assert_eq!(done["history"][0]["outcome"], "lease_lost", "{done}");
    assert_eq!(done["history"][1]["outcome"], "succeeded", "{done}");
}

#[test]
fn a_tls_cluster_runs_jobs_on_every_master() {
    let cluster = RedisCluster::start_tls();
    assert!(cluster.url().starts_with("rediss+cluster://"));
    let ns = namespace();
    let queues = cluster.spread_queues("tq", 3);
    let args = worker_args(&queues, &["--builtin", "echo"]);
    let _w = quiet_worker(&cluster, &ns, &strs(&args));
    for q in &queues {
        let payload = json!({"queue": q}).to_string();
        let mut cmd = mlqd(&cluster, &ns);
        cmd.args([
            "post",
            &payload,
            "--queue",
            q,
            "--wait",
            "--wait-timeout",
            "30s",
        ]);
        let out = run(cmd);
        assert!(out.status.success(), "post --wait on {q}: {}", stderr(&out));
        assert_eq!(stdout(&out), payload);
    }
    let owners: BTreeSet<u16> = queues.iter().map(|q| cluster.queue_owner(q)).collect();
    assert_eq!(owners.len(), 3);
}

#[test]
fn an_idle_worker_takes_a_job_on_any_master() {
    let cluster = RedisCluster::shared();
    let ns = namespace();
    let queues = cluster.spread_queues("iq", 3);
    let args = worker_args(&queues, &["--builtin", "noop"]);
    let _w = quiet_worker(cluster, &ns, &strs(&args));
    std::thread::sleep(Duration::from_millis(1500));
    // each job is taken, whichever slot it lands on (one blocking pop per slot, the others
    // released when one wakes); that the wake-up token, not the pop's timeout, brings it
    // is checked without a clock by tests/one_hop.rs (the worker's wake-up count)
    for (i, pause) in [
        (2usize, 130u64),
        (0, 470),
        (1, 290),
        (2, 710),
        (1, 50),
        (0, 20),
    ] {
        std::thread::sleep(Duration::from_millis(pause));
        let id = post(cluster, &ns, &["--queue", &queues[i], "{}"]);
        let mut cmd = mlqd(cluster, &ns);
        cmd.args(["result", &id, "--wait", "--wait-timeout", "10s"]);
        let out = run(cmd);
        assert!(out.status.success(), "{}", stderr(&out));
        let s = status_json(cluster, &ns, &id);
        assert_eq!(s["state"], "succeeded", "{s}");
        assert_eq!(s["attempts"], 1, "{s}");
    }
}

#[test]
fn bench_spreads_its_queues_over_the_masters_and_cleans_up() {
    let cluster = RedisCluster::shared();
    let ns = namespace();
    let mut cmd = mlqd(cluster, &ns);
    cmd.args([
        "bench",
        "--jobs",
        "600",
        "--concurrency",
        "2",
        "--queues",
        "3",
        "--latency-jobs",
        "15",
        "--rate",
        "100",
        "--no-worker-process",
        "--json",
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: mlqd::bench::Report = serde_json::from_slice(&out.stdout).expect("bench JSON");
    assert_eq!(report.queues, 3);
    let run = &report.runs[0];
    assert_eq!(run.drained, 600);
    // CPU and memory are summed over the masters
    assert!(
        run.redis_cpu_us_per_job > 0.0 && run.redis_bytes_per_job > 0.0,
        "{run:?}"
    );
    assert_eq!(run.latency.as_ref().map(|l| l.samples), Some(15));
    // bench-0..2 land on more than one master, and nothing of bench's is left on any
    let owners: BTreeSet<u16> = (0..3)
        .map(|i| cluster.queue_owner(&format!("bench-{i}")))
        .collect();
    assert!(owners.len() >= 2, "{owners:?}");
    for port in cluster.ports() {
        let left = cluster.keys_on(port, &format!("{ns}-bench-*"));
        assert!(left.is_empty(), "bench left keys on {port}: {left:?}");
    }
}

#[test]
fn up_runs_against_a_cluster() {
    use std::io::{BufRead, BufReader};
    let cluster = RedisCluster::shared();
    let ns = namespace();
    let queues = cluster.spread_queues("uq", 2);
    let mut cmd = mlqd(cluster, &ns);
    cmd.args(["up", "--builtin", "echo", "--listen", "127.0.0.1:0"])
        .args(["--queue", &queues[0], "--queue", &queues[1]])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut up = Proc::spawn(cmd);
    let out = up.child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let mut banner = Vec::new();
    while !banner.iter().any(|l: &String| l.contains("Ctrl-C stops")) {
        match lines.next() {
            Some(Ok(l)) => banner.push(l),
            _ => panic!("up printed only {banner:?}"),
        }
    }
    assert!(
        banner.iter().any(|l| l.contains("redis+cluster://")),
        "{banner:?}"
    );
    for q in &queues {
        let mut cmd = mlqd(cluster, &ns);
        cmd.args([
            "post",
            r#"{"up":1}"#,
            "--queue",
            q,
            "--wait",
            "--wait-timeout",
            "30s",
        ]);
        let out = run(cmd);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), r#"{"up":1}"#);
    }
    up.signal("TERM");
    let st = up.wait_for(Duration::from_secs(30)).expect("up stopped");
    assert_eq!(st.code(), Some(0));
}
