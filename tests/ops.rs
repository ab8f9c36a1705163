//! The operations kit end to end: `mlqd top` in a real pseudo-terminal and as a one-off
//! snapshot, `mlqd bench` against a private Redis, the metrics every dashboard panel queries
//! (scraped from real serve, worker and reaper processes), the docker-compose setup, the
//! Kubernetes manifests and the iris image checked against the real CLI parser, and the
//! generated completions and manual pages.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use clap::{CommandFactory, Parser};
use common::{
    Proc, RedisServer, eventually, free_port, keys, mlqd, namespace, post, queue_keys, repo, run,
    scrape, stderr, stdout, try_scrape,
};
use serde_json::Value;

fn spawn(r: &RedisServer, ns: &str, args: &[&str]) -> Proc {
    let mut cmd = mlqd(r, ns);
    cmd.args(args).stdout(Stdio::null());
    Proc::spawn(cmd)
}

fn paused(r: &RedisServer, ns: &str, queue: &str) -> bool {
    let mut c = r.conn();
    redis::cmd("EXISTS")
        .arg(queue_keys(ns, queue).paused())
        .query::<bool>(&mut c)
        .expect("EXISTS")
}

/// The cells of the table row that starts with `first`.
fn row<'a>(text: &'a str, first: &str) -> Vec<&'a str> {
    text.lines()
        .map(|l| {
            l.split('│')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.first() == Some(&first))
        .unwrap_or_else(|| panic!("no row for {first:?} in:\n{text}"))
}

// ---- mlqd top ------------------------------------------------------------------------

/// Two queues (alpha: 3 pending; beta: 1 pending, 1 scheduled) and a worker on a third
/// queue, which also leads the reapers.
fn top_fixture(r: &RedisServer, ns: &str, worker_id: &str) -> Proc {
    for i in 0..3 {
        post(r, ns, &["--queue", "alpha", &format!("{{\"i\":{i}}}")]);
    }
    post(r, ns, &["--queue", "beta", "{}"]);
    post(r, ns, &["--queue", "beta", "--delay", "1h", "{}"]);
    let worker = spawn(
        r,
        ns,
        &[
            "worker",
            "--queue",
            "gamma",
            "--builtin",
            "noop",
            "--worker-id",
            worker_id,
        ],
    );
    let leader = eventually(Duration::from_secs(10), || {
        let mut c = r.conn();
        redis::cmd("GET")
            .arg(keys(ns).leader())
            .query::<Option<String>>(&mut c)
            .ok()
            .flatten()
    });
    assert_eq!(leader.as_deref(), Some(worker_id));
    worker
}

#[test]
fn top_once_prints_queues_workers_and_leader_as_a_table_or_json() {
    let r = RedisServer::start();
    let ns = namespace();
    let _w = top_fixture(&r, &ns, "box-7-once");

    let mut cmd = mlqd(&r, &ns);
    cmd.args(["top", "--once", "--interval", "200ms"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // queue  pending scheduled active retry dead ok/s failed/s paused limits
    assert_eq!(
        row(&text, "alpha"),
        ["alpha", "3", "0", "0", "0", "0", "0.0", "0.0", "no", "-"]
    );
    assert_eq!(
        row(&text, "beta"),
        ["beta", "1", "1", "0", "0", "0", "0.0", "0.0", "no", "-"]
    );
    let w = row(&text, "box-7-once");
    assert_eq!(w[2], "gamma", "{text}");
    assert_eq!(w[3], "0/1", "{text}");
    assert!(text.contains("reaper leader: box-7-once"), "{text}");

    // stdout is not a terminal here: without flags, top prints the same snapshot once
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["top", "--interval", "100ms"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(row(&stdout(&out), "alpha")[1], "3");

    let mut cmd = mlqd(&r, &ns);
    cmd.args(["top", "--json", "--interval", "100ms"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let snap: mlqd::top::Snapshot = serde_json::from_slice(&out.stdout).expect("snapshot JSON");
    assert_eq!(snap.namespace, ns);
    let q: BTreeMap<&str, &mlqd::top::QueueRow> =
        snap.queues.iter().map(|q| (q.queue.as_str(), q)).collect();
    assert_eq!(q["alpha"].pending, 3);
    assert_eq!(q["beta"].scheduled, 1);
    assert_eq!(q["alpha"].totals.enqueued, 3);
    assert_eq!(q["alpha"].succeeded_per_s, Some(0.0));
    assert_eq!(snap.leader.as_deref(), Some("box-7-once"));
    assert_eq!(snap.workers.len(), 1);
    assert_eq!(snap.workers[0].queues, ["gamma"]);
    assert!(snap.redis.used_memory > 0 && !snap.redis.version.is_empty());
}

/// A pseudo-terminal whose screen is kept by a VT100 emulator.
struct Terminal {
    master: std::fs::File,
    slave: std::fs::File,
    screen: Arc<Mutex<vt100::Parser>>,
    cooked: libc::termios,
}

const ROWS: u16 = 40;
const COLS: u16 = 130;

impl Terminal {
    fn open() -> Terminal {
        let (mut m, mut s) = (0, 0);
        let size = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two fds into the given ints; the other pointers may be null
        let rc = unsafe {
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both fds were just opened by openpty and are owned by nobody else
        let (master, slave) =
            unsafe { (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s)) };
        let cooked = termios(&slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            ROWS.try_into().unwrap(),
            COLS.try_into().unwrap(),
            0,
        )));
        let mut reader = master.try_clone().expect("clone master");
        let feed = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        Terminal {
            master,
            slave,
            screen,
            cooked,
        }
    }

    /// Runs `cmd` with the terminal as its controlling terminal and stdio.
    fn spawn(&self, mut cmd: Command) -> Proc {
        let io = |f: &std::fs::File| Stdio::from(f.try_clone().expect("clone slave"));
        cmd.env("TERM", "xterm-256color")
            .stdin(io(&self.slave))
            .stdout(io(&self.slave))
            .stderr(io(&self.slave));
        // SAFETY: only async-signal-safe calls between fork and exec
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Proc {
            child: cmd.spawn().expect("spawn in the terminal"),
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        eventually(Duration::from_secs(15), || {
            let t = self.text();
            ok(&t).then_some(t)
        })
        .unwrap_or_else(|| panic!("screen never showed {what}:\n{}", self.text()))
    }

    fn press(&self, keys: &[u8]) {
        (&self.master)
            .write_all(keys)
            .expect("type into the terminal");
    }

    /// Whether the terminal is back to the line mode it started in, on the main screen
    /// with a visible cursor.
    fn assert_restored(&self) {
        let now = termios(&self.slave);
        assert_eq!(
            now.c_lflag & (libc::ICANON | libc::ECHO | libc::ISIG),
            self.cooked.c_lflag & (libc::ICANON | libc::ECHO | libc::ISIG),
            "raw mode was left on"
        );
        // let the last bytes reach the emulator
        let restored = eventually(Duration::from_secs(5), || {
            let p = self.screen.lock().unwrap();
            (!p.screen().alternate_screen() && !p.screen().hide_cursor()).then_some(())
        });
        assert!(
            restored.is_some(),
            "still on the alternate screen or the cursor is hidden"
        );
    }
}

fn termios(f: &std::fs::File) -> libc::termios {
    // SAFETY: tcgetattr fills the struct for a valid terminal fd
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(f.as_raw_fd(), &mut t), 0, "tcgetattr");
        t
    }
}

/// The screen row of a queue, split into its cells.
fn screen_row(text: &str, queue: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.split(|c: char| c.is_whitespace() || c == '│' || c == '▶')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.first().map(String::as_str) == Some(queue))
        .unwrap_or_default()
}

#[test]
fn top_draws_live_in_a_terminal_pauses_the_selected_queue_and_restores_the_terminal() {
    let r = RedisServer::start();
    let ns = namespace();
    let _w = top_fixture(&r, &ns, "box-7-live");
    let term = Terminal::open();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["top", "--interval", "200ms"]);
    let mut top = term.spawn(cmd);

    let screen = term.wait_for("the queues, the worker and the leader", |t| {
        screen_row(t, "alpha").get(1).map(String::as_str) == Some("3")
            && screen_row(t, "beta").get(2).map(String::as_str) == Some("1")
            && t.contains("reaper leader: box-7-live")
            && t.contains("0/1")
    });
    assert!(
        screen.contains("throughput") && screen.contains("ops/s"),
        "{screen}"
    );
    assert!(term.screen.lock().unwrap().screen().alternate_screen());

    // down to beta, pause it: Redis has it paused and the screen says so
    term.press(b"j");
    term.press(b"p");
    assert!(
        eventually(Duration::from_secs(10), || paused(&r, &ns, "beta")
            .then_some(()))
        .is_some(),
        "p did not pause beta:\n{}",
        term.text()
    );
    assert!(!paused(&r, &ns, "alpha"));
    term.wait_for("beta PAUSED", |t| {
        screen_row(t, "beta").get(8).map(String::as_str) == Some("PAUSED")
    });
    // p again resumes it
    term.press(b"p");
    assert!(
        eventually(Duration::from_secs(10), || (!paused(&r, &ns, "beta"))
            .then_some(()))
        .is_some(),
        "p did not resume beta"
    );

    term.press(b"q");
    let status = top
        .wait_for(Duration::from_secs(10))
        .expect("top quits on q");
    assert!(status.success(), "{status:?}");
    term.assert_restored();
}

/// Debug builds only: `MLQD_TOP_TEST_PANIC` makes top panic after its first snapshot.
#[cfg(debug_assertions)]
#[test]
fn top_restores_the_terminal_when_it_panics() {
    let r = RedisServer::start();
    let ns = namespace();
    post(&r, &ns, &["--queue", "alpha", "{}"]);
    let term = Terminal::open();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["top", "--interval", "200ms"])
        .env("MLQD_TOP_TEST_PANIC", "1");
    let mut top = term.spawn(cmd);
    let status = top
        .wait_for(Duration::from_secs(15))
        .expect("top ends after the panic");
    assert_eq!(status.code(), Some(101), "a panic exits 101");
    term.assert_restored();
    let screen = term.text();
    assert!(screen.contains("MLQD_TOP_TEST_PANIC"), "{screen}");
}

// ---- mlqd bench ----------------------------------------------------------------------

#[test]
fn bench_drains_every_job_reports_each_target_and_cleans_up() {
    let r = RedisServer::start();
    let ns = namespace();
    let plot = std::env::temp_dir().join(format!("mlqd-bench-{}.svg", common::rand_u32()));
    let mut cmd = mlqd(&r, &ns);
    cmd.args([
        "bench",
        "--jobs",
        "1500",
        "--concurrency",
        "1,4",
        "--latency-jobs",
        "40",
        "--serial-jobs",
        "300",
        "--rate",
        "200",
        "--json",
        "--plot",
    ])
    .arg(&plot);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: mlqd::bench::Report = serde_json::from_slice(&out.stdout).expect("bench JSON");
    assert_eq!(report.runs.len(), 2);
    for run in &report.runs {
        assert_eq!(run.drained, 1500, "concurrency {}", run.concurrency);
        assert!(run.enqueue_per_s > 0.0 && run.drain_per_s > 0.0);
        assert!(run.redis_cpu_us_per_job > 0.0 && run.redis_bytes_per_job > 0.0);
        let lat = run.latency.as_ref().expect("latency measured");
        assert_eq!(lat.samples, 40);
        assert!(lat.p50_ms > 0.0 && lat.p50_ms <= lat.p95_ms && lat.p95_ms <= lat.p99_ms);
        // two workers share the slots from concurrency 2 on
        assert_eq!(run.latency_two.is_some(), run.concurrency >= 2);
    }
    let serial = report.serial.as_ref().expect("one at a time measured");
    assert_eq!(serial.jobs, 300);
    assert!(serial.enqueue_per_s > 0.0 && serial.ping_per_s > 0.0);
    let mem = report
        .worker_memory
        .as_ref()
        .expect("worker process measured");
    assert!(mem.peak_rss_bytes >= mem.rss_bytes && mem.rss_bytes > 1_000_000);
    assert!(mem.idle_rss_bytes > 1_000_000 && mem.idle_rss_bytes <= mem.peak_rss_bytes);
    assert_eq!(report.targets.len(), 11);
    assert!(
        report
            .targets
            .iter()
            .all(|t| t.value.is_some() && t.met.is_some())
    );
    let svg = std::fs::read_to_string(&plot).expect("plot written");
    let _ = std::fs::remove_file(&plot);
    assert!(svg.contains("<svg") && svg.contains("worker concurrency"));
    // every key bench made is gone (this server holds nothing else)
    let mut c = r.conn();
    let left: u64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
    assert_eq!(left, 0, "bench left keys behind");
}

// ---- metrics and the dashboard ---------------------------------------------------------

/// Metric names in Prometheus text.
fn metric_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

/// The `mlqd_*` names in a PromQL expression.
fn promql_metrics(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("mlqd_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

fn dashboard_queries(dash: &Value) -> Vec<String> {
    let mut exprs = Vec::new();
    fn walk(v: &Value, exprs: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if matches!(k.as_str(), "expr" | "definition")
                        && let Some(s) = v.as_str()
                    {
                        exprs.push(s.to_string());
                    }
                    if k == "query"
                        && let Some(s) = v.as_str()
                    {
                        exprs.push(s.to_string());
                    }
                    walk(v, exprs);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, exprs)),
            _ => {}
        }
    }
    walk(dash, &mut exprs);
    exprs
}

#[test]
fn every_metric_the_dashboard_queries_is_exported_by_serve_worker_and_reaper() {
    let r = RedisServer::start();
    let ns = namespace();
    // serve on a free port; it prints its address
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped());
    let mut serve = Proc::spawn(cmd);
    let out = serve.child.stdout.take().expect("serve stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(i) = line.find("http://") {
                let _ = tx.send(line[i..].trim().to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve address");
    let worker_port = free_port();
    let _worker = spawn(
        &r,
        &ns,
        &[
            "worker",
            "--queue",
            "predict",
            "--builtin",
            "echo",
            "--metrics-listen",
            &format!("127.0.0.1:{worker_port}"),
        ],
    );
    let reaper_port = free_port();
    let _reaper = spawn(
        &r,
        &ns,
        &[
            "reaper",
            "--metrics-listen",
            &format!("127.0.0.1:{reaper_port}"),
        ],
    );
    // a few jobs through the API (enqueued, HTTP and job metrics), two of them delayed
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::new();
    for i in 0..5 {
        let delay = if i < 2 { "?delay=1h" } else { "" };
        let res = http
            .post(format!("{base}/v1/queues/predict/jobs{delay}"))
            .header("content-type", "application/json")
            .body(format!("{{\"i\":{i}}}"))
            .send()
            .expect("post");
        assert_eq!(res.status().as_u16(), 201);
    }
    let worker_url = format!("http://127.0.0.1:{worker_port}/metrics");
    let worker_text = eventually(Duration::from_secs(15), || {
        let t = try_scrape(&worker_url).ok()?;
        t.contains(r#"mlqd_jobs_completed_total{queue="predict",outcome="succeeded"} 3"#)
            .then_some(t)
    })
    .expect("the worker counted 3 succeeded jobs");
    // gauges read from Redis at scrape time (refreshed at most once a second)
    let serve_text = eventually(Duration::from_secs(10), || {
        let t = try_scrape(&format!("{base}/metrics")).ok()?;
        (t.contains(r#"mlqd_queue_depth{queue="predict",state="scheduled"} 2"#)
            && t.contains(r#"mlqd_queue_depth{queue="predict",state="pending"} 0"#)
            && t.contains("mlqd_workers 1")
            && t.contains("mlqd_reaper_leader_present 1"))
        .then_some(t)
    })
    .unwrap_or_else(|| panic!("serve gauges: {}", scrape(&format!("{base}/metrics"))));
    let reaper_text = scrape(&format!("http://127.0.0.1:{reaper_port}/metrics"));
    assert!(reaper_text.contains("mlqd_reaper_leader "), "{reaper_text}");

    let exported: BTreeSet<String> = [&serve_text, &worker_text, &reaper_text]
        .iter()
        .flat_map(|t| metric_names(t))
        .collect();
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("deploy/grafana/dashboards/mlqd.json")).expect("dashboard"),
    )
    .expect("dashboard JSON");
    let queries = dashboard_queries(&dash);
    assert!(queries.len() >= 15, "{queries:?}");
    let wanted: BTreeSet<String> = queries.iter().flat_map(|q| promql_metrics(q)).collect();
    assert!(wanted.len() >= 12, "{wanted:?}");
    let missing: Vec<&String> = wanted.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics nobody exports: {missing:?}"
    );
}

// ---- docker-compose --------------------------------------------------------------------

fn yaml(path: &str) -> serde_yaml_ng::Value {
    let text = std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
    v.apply_merge().expect("merge keys");
    v
}

fn strings(v: &serde_yaml_ng::Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| match x {
                    serde_yaml_ng::Value::String(s) => Some(s.clone()),
                    serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The value after `flag` in an argument list.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {addr:?}"))
}

/// Every env var a subcommand (with the global flags) reads.
fn env_names(sub: &str) -> BTreeSet<String> {
    let cmd = mlqd::cli::Cli::command();
    let mut out: BTreeSet<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
        .collect();
    if let Some(s) = cmd.find_subcommand(sub) {
        out.extend(
            s.get_arguments()
                .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned())),
        );
    }
    out
}

#[test]
fn compose_commands_parse_and_ports_agree_with_prometheus_and_grafana() {
    let compose = yaml("docker-compose.yml");
    let services = compose["services"].as_mapping().expect("services");
    let name = |k: &serde_yaml_ng::Value| k.as_str().unwrap_or_default().to_string();
    let names: BTreeSet<String> = services.keys().map(name).collect();
    for s in [
        "redis",
        "serve",
        "worker",
        "reaper",
        "prometheus",
        "grafana",
    ] {
        assert!(names.contains(s), "no {s} service");
    }

    // the Dockerfile's final stage runs mlqd
    let dockerfile = std::fs::read_to_string(repo("Dockerfile")).expect("Dockerfile");
    let stages = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "not a multi-stage build");
    let entry = dockerfile
        .lines()
        .rev()
        .find(|l| l.starts_with("ENTRYPOINT"))
        .expect("ENTRYPOINT");
    assert_eq!(entry, r#"ENTRYPOINT ["mlqd"]"#);
    assert!(dockerfile.contains("COPY --from=build /usr/local/bin/mlqd"));

    // every mlqd service's command line is accepted by the real parser, and its
    // environment names only variables that command reads
    let mut args_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, svc) in services {
        let svc_name = name(k);
        if svc["image"].as_str() != Some("mlqd:latest") {
            continue;
        }
        assert!(svc["build"].is_string(), "{svc_name}: built from this repo");
        let command = strings(&svc["command"]);
        let argv: Vec<String> = std::iter::once("mlqd".to_string())
            .chain(command.iter().cloned())
            .collect();
        if let Err(e) = mlqd::cli::Cli::try_parse_from(&argv) {
            panic!("{svc_name}: `{}` is refused:\n{e}", argv.join(" "));
        }
        let env = svc["environment"].as_mapping().expect("environment");
        let known = env_names(&command[0]);
        for key in env.keys().map(name).filter(|k| k.starts_with("MLQD_")) {
            assert!(
                known.contains(&key),
                "{svc_name}: `mlqd {}` reads no {key}",
                command[0]
            );
        }
        assert!(
            env.keys().map(name).any(|k| k == "MLQD_REDIS_URL"),
            "{svc_name}: no MLQD_REDIS_URL"
        );
        args_of.insert(svc_name, command);
    }
    assert_eq!(
        args_of.keys().cloned().collect::<Vec<_>>(),
        ["reaper", "serve", "worker"]
    );

    // serve listens beyond loopback, so it must have a token
    let serve = &args_of["serve"];
    let listen = flag(serve, "--listen").expect("serve --listen");
    assert!(listen.starts_with("0.0.0.0:"));
    let serve_env = services["serve"]["environment"].as_mapping().unwrap();
    assert!(serve_env.keys().map(name).any(|k| k == "MLQD_TOKEN"));
    let serve_port = port_of(listen);
    let published = strings(&services["serve"]["ports"]);
    assert!(
        published.iter().any(|p| port_of(p) == serve_port),
        "serve publishes {published:?}, listens on {serve_port}"
    );
    let worker_port =
        port_of(flag(&args_of["worker"], "--metrics-listen").expect("worker metrics"));
    let reaper_port =
        port_of(flag(&args_of["reaper"], "--metrics-listen").expect("reaper metrics"));
    // scaled workers must not publish a fixed host port
    assert!(services["worker"]["ports"].is_null());

    // Redis keeps an append-only file, never evicts, and wants a password that every mlqd
    // service's URL carries
    let redis_cmd = strings(&services["redis"]["command"]);
    assert_eq!(
        flag(&redis_cmd, "--appendonly"),
        Some("yes"),
        "{redis_cmd:?}"
    );
    assert_eq!(flag(&redis_cmd, "--maxmemory-policy"), Some("noeviction"));
    let password = flag(&redis_cmd, "--requirepass").expect("redis --requirepass");
    assert!(
        password.starts_with("${REDIS_PASSWORD:?"),
        "the password comes from the environment, required: {password}"
    );
    for svc in args_of.keys() {
        let url = services[svc.as_str()]["environment"]["MLQD_REDIS_URL"]
            .as_str()
            .unwrap_or_default();
        assert!(
            url.starts_with("redis://:${REDIS_PASSWORD}@redis:"),
            "{svc}: {url}"
        );
    }
    let redis_health = strings(&services["redis"]["healthcheck"]["test"]).join(" ");
    assert!(redis_health.contains("PONG"), "{redis_health}");
    assert_eq!(
        services["redis"]["environment"]["REDISCLI_AUTH"].as_str(),
        Some("${REDIS_PASSWORD}"),
        "the healthcheck's redis-cli authenticates"
    );

    // every mlqd service has a healthcheck on its own /healthz, at the port it serves
    for (svc, port) in [
        ("serve", serve_port),
        ("worker", worker_port),
        ("reaper", reaper_port),
    ] {
        let test = strings(&services[svc]["healthcheck"]["test"]);
        assert_eq!(
            test.first().map(String::as_str),
            Some("CMD"),
            "{svc}: {test:?}"
        );
        assert_eq!(
            test.get(1).map(String::as_str),
            Some("curl"),
            "{svc}: {test:?}"
        );
        let url = test.last().cloned().unwrap_or_default();
        assert_eq!(url, format!("http://127.0.0.1:{port}/healthz"), "{svc}");
    }
    // ... and the image has the curl they run
    assert!(
        dockerfile
            .lines()
            .any(|l| l.contains("apt-get install") && l.contains(" curl")),
        "the runtime image lacks curl for the healthchecks"
    );

    // the worker has resource limits and a GPU reservation to uncomment
    let limits = &services["worker"]["deploy"]["resources"]["limits"];
    assert!(
        limits["cpus"].is_string() && limits["memory"].is_string(),
        "{limits:?}"
    );
    let raw = std::fs::read_to_string(repo("docker-compose.yml")).unwrap();
    for line in [
        "# reservations:",
        "#     - driver: nvidia",
        "#       capabilities: [gpu]",
    ] {
        assert!(raw.contains(line), "no commented GPU reservation ({line})");
    }

    // Grafana's admin password comes from the environment (no default), Prometheus (no
    // auth of its own) is published on loopback only
    let grafana_pw = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
        .as_str()
        .unwrap_or_default();
    assert!(
        grafana_pw.starts_with("${GRAFANA_PASSWORD:?"),
        "{grafana_pw}"
    );
    let prom_ports = strings(&services["prometheus"]["ports"]);
    assert!(!prom_ports.is_empty());
    for p in &prom_ports {
        assert!(p.starts_with("127.0.0.1:"), "Prometheus published as {p}");
    }

    // Prometheus scrapes what the services serve
    let prom = yaml("deploy/prometheus.yml");
    let mut targets: BTreeMap<String, Vec<(String, u16)>> = BTreeMap::new();
    for job in prom["scrape_configs"]
        .as_sequence()
        .expect("scrape_configs")
    {
        let job_name = job["job_name"].as_str().unwrap_or_default().to_string();
        let mut found = Vec::new();
        for sc in job["static_configs"].as_sequence().into_iter().flatten() {
            for t in strings(&sc["targets"]) {
                let (host, port) = t.rsplit_once(':').expect("host:port");
                found.push((host.to_string(), port.parse().expect("port")));
            }
        }
        for sd in job["dns_sd_configs"].as_sequence().into_iter().flatten() {
            let port = sd["port"].as_u64().expect("dns_sd port") as u16;
            for n in strings(&sd["names"]) {
                found.push((n, port));
            }
        }
        for (host, _) in &found {
            assert!(
                names.contains(host),
                "{job_name} scrapes unknown host {host}"
            );
        }
        targets.insert(job_name, found);
    }
    let scraped: BTreeSet<(String, u16)> = targets.values().flatten().cloned().collect();
    for want in [
        ("serve".to_string(), serve_port),
        ("worker".to_string(), worker_port),
        ("reaper".to_string(), reaper_port),
    ] {
        assert!(
            scraped.contains(&want),
            "Prometheus does not scrape {want:?}: {targets:?}"
        );
    }

    // Grafana gets the datasource the dashboard names, and the files it mounts exist
    let ds = yaml("deploy/grafana/provisioning/datasources/prometheus.yml");
    let source = &ds["datasources"][0];
    assert_eq!(source["url"].as_str(), Some("http://prometheus:9090"));
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("deploy/grafana/dashboards/mlqd.json")).unwrap(),
    )
    .unwrap();
    let uid = source["uid"].as_str().expect("datasource uid");
    for p in dash["panels"].as_array().unwrap() {
        if p["type"] != "row" {
            assert_eq!(p["datasource"]["uid"], uid, "panel {}", p["title"]);
        }
    }
    for svc in ["prometheus", "grafana"] {
        for v in strings(&services[svc]["volumes"]) {
            if let Some(host) = v.split(':').next().filter(|h| h.starts_with("./")) {
                assert!(repo(host).exists(), "{svc} mounts missing {host}");
            }
        }
    }
}

/// Every document of a (multi-document) YAML file.
fn yaml_docs(path: &Path) -> Vec<serde_yaml_ng::Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde_yaml_ng::Value::deserialize(d).expect("YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// `30s`, `2m` as seconds.
fn seconds(d: &str) -> u64 {
    mlqd::units::parse_duration(d)
        .unwrap_or_else(|e| panic!("{d}: {e}"))
        .as_secs()
}

#[test]
fn k8s_manifests_parse_and_agree_with_the_cli() {
    let dir = repo("deploy/k8s");
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("deploy/k8s").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            for d in yaml_docs(&path) {
                docs.push((path.file_name().unwrap().to_string_lossy().into_owned(), d));
            }
        }
    }
    let kind = |d: &serde_yaml_ng::Value| d["kind"].as_str().unwrap_or_default().to_string();
    let name = |d: &serde_yaml_ng::Value| {
        d["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for (file, d) in &docs {
        assert!(
            d["apiVersion"].is_string() && !kind(d).is_empty(),
            "{file}: {d:?}"
        );
        assert!(!name(d).is_empty(), "{file}: a {} without a name", kind(d));
    }
    // the Secrets' keys, by secret name
    let mut secrets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, d) in docs.iter().filter(|(_, d)| kind(d) == "Secret") {
        let keys = d["stringData"]
            .as_mapping()
            .or(d["data"].as_mapping())
            .expect("secret data")
            .keys()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        secrets.insert(name(d), keys);
    }

    let mut commands: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pod_labels: BTreeMap<String, serde_yaml_ng::Value> = BTreeMap::new();
    for (file, d) in docs.iter().filter(|(_, d)| kind(d) == "Deployment") {
        let spec = &d["spec"]["template"]["spec"];
        let labels = &d["spec"]["template"]["metadata"]["labels"];
        assert_eq!(
            &d["spec"]["selector"]["matchLabels"], labels,
            "{file}: the selector matches the pods"
        );
        pod_labels.insert(name(d), labels.clone());
        for c in spec["containers"].as_sequence().expect("containers") {
            if !c["image"].as_str().unwrap_or_default().starts_with("mlqd") {
                continue;
            }
            let args = strings(&c["args"]);
            let argv: Vec<String> = std::iter::once("mlqd".to_string())
                .chain(args.iter().cloned())
                .collect();
            if let Err(e) = mlqd::cli::Cli::try_parse_from(&argv) {
                panic!("{file}: `{}` is refused:\n{e}", argv.join(" "));
            }
            let known = env_names(&args[0]);
            let mut env = BTreeSet::new();
            for e in c["env"].as_sequence().into_iter().flatten() {
                let var = e["name"].as_str().expect("env name").to_string();
                if var.starts_with("MLQD_") {
                    assert!(
                        known.contains(&var),
                        "{file}: `mlqd {}` reads no {var}",
                        args[0]
                    );
                }
                let r = &e["valueFrom"]["secretKeyRef"];
                if !r.is_null() {
                    let secret = r["name"].as_str().unwrap_or_default();
                    let key = r["key"].as_str().unwrap_or_default();
                    assert!(
                        secrets.get(secret).is_some_and(|k| k.contains(key)),
                        "{file}: {var} refers to {secret}/{key}, which no Secret here has"
                    );
                }
                env.insert(var);
            }
            assert!(env.contains("MLQD_REDIS_URL"), "{file}: no MLQD_REDIS_URL");
            // probes hit routes the process serves, on the port it serves them
            let port = match args[0].as_str() {
                "serve" => port_of(flag(&args, "--listen").expect("--listen")),
                _ => port_of(flag(&args, "--metrics-listen").expect("--metrics-listen")),
            };
            let mut probes = 0;
            for probe in ["readinessProbe", "livenessProbe"] {
                let get = &c[probe]["httpGet"];
                if get.is_null() {
                    continue;
                }
                probes += 1;
                assert_eq!(
                    get["port"].as_u64(),
                    Some(u64::from(port)),
                    "{file} {probe}"
                );
                let path = get["path"].as_str().unwrap_or_default();
                assert!(
                    matches!(path, "/healthz" | "/readyz"),
                    "{file} {probe}: {path}"
                );
            }
            assert!(probes > 0, "{file}: {} has no probe", args[0]);
            if args[0] == "serve" {
                assert_eq!(
                    c["readinessProbe"]["httpGet"]["path"].as_str(),
                    Some("/readyz"),
                    "serve is ready only while Redis answers"
                );
                assert!(
                    env.contains("MLQD_TOKEN"),
                    "{file}: serve beyond loopback needs a token"
                );
            }
            // SIGTERM drains: the grace period outlasts --drain-timeout
            if let Some(drain) = flag(&args, "--drain-timeout") {
                let grace = spec["terminationGracePeriodSeconds"]
                    .as_u64()
                    .expect("terminationGracePeriodSeconds");
                assert!(
                    grace > seconds(drain),
                    "{file}: grace {grace}s <= drain {drain}"
                );
            }
            commands.insert(args[0].clone(), args);
        }
    }
    assert!(
        commands.contains_key("serve") && commands.contains_key("worker"),
        "{commands:?}"
    );
    assert!(
        flag(&commands["worker"], "--drain-timeout").is_some(),
        "the worker's drain is explicit, so the grace period can be checked against it"
    );
    // the Service reaches the serve pods on serve's port
    let serve_port = port_of(flag(&commands["serve"], "--listen").unwrap());
    let services: Vec<_> = docs.iter().filter(|(_, d)| kind(d) == "Service").collect();
    assert!(!services.is_empty(), "no Service");
    for (file, svc) in services {
        let selector = &svc["spec"]["selector"];
        let target = pod_labels
            .values()
            .find(|labels| {
                selector
                    .as_mapping()
                    .expect("selector")
                    .iter()
                    .all(|(k, v)| labels[k] == *v)
            })
            .unwrap_or_else(|| panic!("{file}: the Service selects no Deployment's pods"));
        assert_eq!(
            target["app.kubernetes.io/component"].as_str(),
            Some("serve")
        );
        for p in svc["spec"]["ports"].as_sequence().expect("ports") {
            assert_eq!(
                p["targetPort"].as_u64(),
                Some(u64::from(serve_port)),
                "{file}"
            );
        }
    }
}

#[test]
fn iris_image_installs_scikit_learn_and_runs_the_handler() {
    let text = std::fs::read_to_string(repo("examples/iris/Dockerfile")).expect("Dockerfile");
    assert!(
        text.lines()
            .any(|l| l.starts_with("RUN pip install") && l.contains("scikit-learn")),
        "no scikit-learn"
    );
    for l in text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let src = l.split_whitespace().nth(1).unwrap();
        assert!(repo(src).exists(), "COPY of missing {src}");
    }
    assert!(text.contains("COPY --from=mlqd /usr/local/bin/mlqd /usr/local/bin/mlqd"));
    let json_of = |prefix: &str| -> Vec<String> {
        let line = text
            .lines()
            .rev()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}"));
        serde_json::from_str(line[prefix.len()..].trim()).expect("exec form")
    };
    let argv: Vec<String> = json_of("ENTRYPOINT")
        .into_iter()
        .chain(json_of("CMD"))
        .collect();
    assert_eq!(argv[0], "mlqd");
    if let Err(e) = mlqd::cli::Cli::try_parse_from(&argv) {
        panic!("`{}` is refused:\n{e}", argv.join(" "));
    }
    let exec = flag(&argv, "--exec").expect("--exec");
    let script = exec.split_whitespace().last().unwrap();
    assert!(repo(script).exists(), "{script}");
}

// ---- completions and manual pages ------------------------------------------------------

/// Compares generated files with the committed ones; `MLQD_BLESS=1` rewrites them.
fn check_generated(dir: &Path, generated: &BTreeMap<String, Vec<u8>>, stale: &mut Vec<String>) {
    let bless = std::env::var_os("MLQD_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(dir).expect("create dir");
    }
    for (name, bytes) in generated {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            if bless {
                std::fs::write(&path, bytes).expect("write");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !generated.contains_key(&name) {
            if bless {
                let _ = std::fs::remove_file(entry.path());
            } else {
                stale.push(format!("{} (no longer generated)", entry.path().display()));
            }
        }
    }
}

/// The real binary, with nothing from this environment leaking into the output.
fn clean_mlqd() -> Command {
    let mut cmd = Command::new(common::bin());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

#[test]
fn committed_completions_and_man_pages_are_current() {
    let mut completions = BTreeMap::new();
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
        clap_complete::Shell::Elvish,
        clap_complete::Shell::PowerShell,
    ] {
        let mut cmd = clean_mlqd();
        cmd.args(["completions", &shell.to_string()]);
        let out = run(cmd);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("bench"),
            "{shell} completion lacks subcommands"
        );
        completions.insert(mlqd::cli::completions::file_name(shell), out.stdout);
    }
    let tmp = std::env::temp_dir().join(format!("mlqd-man-{}", common::rand_u32()));
    let mut cmd = clean_mlqd();
    cmd.arg("man").arg("--dir").arg(&tmp);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut pages = BTreeMap::new();
    for entry in std::fs::read_dir(&tmp).expect("man dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        pages.insert(name, std::fs::read(entry.path()).expect("page"));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    // mlqd.1 and one page per subcommand, nested ones included
    let sub = mlqd::cli::Cli::command();
    for s in sub.get_subcommands() {
        assert!(
            pages.contains_key(&format!("mlqd-{}.1", s.get_name())),
            "no page for {}",
            s.get_name()
        );
    }
    assert!(pages.contains_key("mlqd.1") && pages.contains_key("mlqd-dlq-list.1"));
    let top = String::from_utf8_lossy(&pages["mlqd-top.1"]).into_owned();
    assert!(top.contains("MLQD_INTERVAL"), "pages name the env vars");

    let mut stale = Vec::new();
    check_generated(&repo("completions"), &completions, &mut stale);
    check_generated(&repo("man"), &pages, &mut stale);
    assert!(
        stale.is_empty(),
        "generated files differ from the committed ones (run `MLQD_BLESS=1 cargo test --test ops committed_`): {stale:?}"
    );
}
