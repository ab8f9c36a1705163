//! What a newcomer meets in the first hour, end to end with the real binary: `scripts/up.sh`
//! finding the binary wherever cargo puts it, `mlqd up` keeping its Redis URL across
//! restarts (with the preferred port taken) and other commands finding it, views that say
//! which Redis they read, a JSON body sent as a form refused, `post --wait` saying when no
//! worker serves the queue, callbacks that carry the result, the help and manual pages, and
//! the `/healthz` of workers and reapers.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::{
    Proc, RedisServer, Server, eventually, free_port, http, mlqd, namespace, run, stderr, stdout,
};
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlqd-{tag}-{:08x}", common::rand_u32()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `mlqd` run from `dir` with nothing from this environment: no URL, no namespace.
fn bare(dir: &Path) -> Command {
    let mut cmd = Command::new(common::bin());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MLQD_LOG_LEVEL", "warn")
        .current_dir(dir);
    cmd
}

// ---- scripts/up.sh ---------------------------------------------------------------------

/// `scripts/up.sh --print-binary` run from `cwd` with `CARGO_TARGET_DIR` as given.
fn print_binary(target_dir: Option<&str>, cwd: &Path) -> String {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/up.sh"))
        .arg("--print-binary")
        .current_dir(cwd)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    if let Some(t) = target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    let out = run(cmd);
    assert!(
        out.status.success(),
        "up.sh --print-binary: {}",
        stderr(&out)
    );
    stdout(&out)
}

#[test]
fn up_script_and_readme_find_the_binary_wherever_cargo_puts_it() {
    let elsewhere = temp_dir("cwd");
    // the target dir this very test was built in (its binary is <target>/debug/mlqd): the
    // script must name the release binary beside it
    let built = Path::new(common::bin())
        .parent()
        .and_then(Path::parent)
        .expect("target dir");
    assert_eq!(
        print_binary(Some(built.to_str().unwrap()), &elsewhere),
        built.join("release/mlqd").display().to_string()
    );
    let custom = std::env::temp_dir().join(format!("mlqd-target-{:08x}", common::rand_u32()));
    assert_eq!(
        print_binary(Some(custom.to_str().unwrap()), &elsewhere),
        custom.join("release/mlqd").display().to_string()
    );
    // a relative CARGO_TARGET_DIR is relative to the repository (the script works from there)
    assert_eq!(
        print_binary(Some("rel-target"), &elsewhere),
        repo().join("rel-target/release/mlqd").display().to_string()
    );
    assert_eq!(
        print_binary(None, &elsewhere),
        repo().join("target/release/mlqd").display().to_string()
    );
    assert!(!custom.exists(), "--print-binary must not build anything");

    // the README's PATH line, run as a newcomer would, puts that directory first
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("export PATH=") && l.contains("up.sh --print-binary"))
        .expect("the README's export PATH line uses scripts/up.sh --print-binary");
    let line = line.split(" #").next().unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("{line}\nprintf %s \"$PATH\""))
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &custom);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("{}:", custom.join("release").display())),
        "PATH={}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(&elsewhere);
}

// ---- mlqd up: the Redis URL is kept and found ------------------------------------------

/// A running `mlqd up` and what its banner said.
struct Up {
    proc: Proc,
    redis: String,
    banner: Vec<String>,
}

impl Up {
    fn start(dir: &Path, preferred_port: u16) -> Up {
        let mut cmd = bare(dir);
        cmd.args(["up", "--builtin", "echo", "--listen", "127.0.0.1:0"])
            .args(["--redis-port", &preferred_port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut proc = Proc::spawn(cmd);
        let out = proc.child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        while !banner
            .iter()
            .any(|l: &String| l.contains("Ctrl-C stops everything"))
        {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("mlqd up printed only {banner:?}"));
            banner.push(line);
        }
        let redis = banner
            .iter()
            .find_map(|l| l.strip_prefix("mlqd up: Redis"))
            .expect("Redis line")
            .trim()
            .to_string();
        Up {
            proc,
            redis,
            banner,
        }
    }

    fn stop(mut self) {
        self.proc.signal("TERM");
        let st = self
            .proc
            .wait_for(Duration::from_secs(30))
            .expect("up did not stop");
        assert_eq!(st.code(), Some(0));
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// Sends SIGTERM to a process this test caused to exist, when dropped.
struct TermOnDrop(String);

impl Drop for TermOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.0).status();
    }
}

#[test]
fn up_keeps_its_redis_url_across_restarts_and_commands_run_there_find_it() {
    let dir = temp_dir("up-url");
    // the preferred port (6379 by default) is taken, so up picks another
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let preferred = taken.local_addr().unwrap().port();

    let first = Up::start(&dir, preferred);
    assert_ne!(port_of(&first.redis), preferred);
    let export = format!("mlqd up:   export MLQD_REDIS_URL={}", first.redis);
    assert!(first.banner.contains(&export), "{:?}", first.banner);
    assert!(
        first
            .banner
            .iter()
            .any(|l| l.contains("run from this directory find this Redis")),
        "{:?}",
        first.banner
    );
    let file = dir.join(".mlqd/redis.url");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), first.redis);
    let url = first.redis.clone();
    first.stop();

    // restarted with the preferred port still taken: the same URL, nothing moved
    let second = Up::start(&dir, preferred);
    assert_eq!(second.redis, url, "{:?}", second.banner);
    assert!(
        !second.banner.iter().any(|l| l.contains("moved")),
        "{:?}",
        second.banner
    );

    // a command run from the same directory, given no URL, reaches it (and says so at
    // debug level); its text result ends with a newline though stdout is a pipe
    let mut post = bare(&dir);
    post.args([
        "--log-level",
        "debug",
        "post",
        r#"{"hello":"newcomer"}"#,
        "--wait",
        "--wait-timeout",
        "30s",
    ]);
    let out = run(post);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"{\"hello\":\"newcomer\"}\n");
    assert!(
        stderr(&out).contains("./.mlqd/redis.url"),
        "{}",
        stderr(&out)
    );
    let mut queues = bare(&dir);
    queues.args(["queues", "--json"]);
    let out = run(queues);
    assert!(out.status.success(), "{}", stderr(&out));
    let queues: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(queues[0]["queue"], "default");
    assert_eq!(queues[0]["totals"]["succeeded"], 1);

    // SIGKILL leaves up's Redis running: a new up says so instead of starting a second
    // Redis on the same data
    let mut second = second;
    second.proc.signal("KILL");
    second
        .proc
        .wait_for(Duration::from_secs(10))
        .expect("killed");
    let pid = std::fs::read_to_string(dir.join(".mlqd/redis.pid"))
        .expect("redis.pid")
        .trim()
        .to_string();
    let orphan = TermOnDrop(pid.clone());
    let mut third = bare(&dir);
    third.args([
        "up",
        "--builtin",
        "echo",
        "--listen",
        "127.0.0.1:0",
        "--redis-port",
        &preferred.to_string(),
    ]);
    let out = run(third);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("still runs on port {}", port_of(&url)))
            && err.contains(&format!("kill {pid}")),
        "{err}"
    );
    drop(orphan);
    let gone = eventually(Duration::from_secs(15), || {
        TcpStream::connect(("127.0.0.1", port_of(&url)))
            .is_err()
            .then_some(())
    });
    assert!(gone.is_some(), "the orphaned redis did not stop");

    // with up stopped, a command that read the file says where its URL came from
    let mut queues = bare(&dir);
    queues.arg("queues");
    let out = run(queues);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the Redis URL came from ./.mlqd/redis.url"),
        "{}",
        stderr(&out)
    );

    // the kept port taken by something else: up moves, and says so loudly
    let squatter = TcpListener::bind(("127.0.0.1", port_of(&url))).unwrap();
    let moved = Up::start(&dir, preferred);
    assert_ne!(moved.redis, url);
    assert!(
        moved
            .banner
            .iter()
            .any(|l| l.contains(&format!("Redis moved from {url}"))),
        "{:?}",
        moved.banner
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), moved.redis);
    moved.stop();
    drop(squatter);
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_redis_is_named_by_the_commands_that_read_it() {
    let r = RedisServer::start();
    let ns = namespace();
    let where_ = format!("{} (namespace {ns})", r.url());
    for (args, says) in [
        (&["queues"][..], "no queues yet in"),
        (&["workers"][..], "no workers are running in"),
        (
            &["top", "--once", "--interval", "100ms"][..],
            "no queues yet in",
        ),
    ] {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(args);
        let out = run(cmd);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            stdout(&out).contains(&format!("{says} {where_}")),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

// ---- HTTP: JSON sent as a form ---------------------------------------------------------

#[test]
fn json_sent_as_a_form_is_refused_and_real_forms_are_kept() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let serve = Server::spawn(cmd);
    let base = &serve.base;
    let c = http();
    let form = "application/x-www-form-urlencoded";
    // what `curl -d '{"features": …}'` sends
    let res = c
        .post(format!("{base}/v1/queues/iris/jobs"))
        .header("content-type", form)
        .body(r#"{"features": [5.1, 3.5, 1.4, 0.2]}"#)
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    let err: Value = res.json().unwrap();
    assert_eq!(err["error"]["code"], "invalid");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("send Content-Type: application/json"), "{msg}");
    assert!(
        r.keys(&ns).is_empty(),
        "stored something: {:?}",
        r.keys(&ns)
    );
    // the batch route says the same
    let res = c
        .post(format!("{base}/v1/queues/iris/jobs:batch"))
        .header("content-type", form)
        .body(r#"[{"a": 1}]"#)
        .send()
        .unwrap();
    assert_eq!(res.status(), 415);
    let err: Value = res.json().unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send Content-Type: application/json"),
        "{err}"
    );
    assert!(r.keys(&ns).is_empty());
    // a real form is a payload like any other bytes, its type kept
    let res = c
        .post(format!("{base}/v1/queues/forms/jobs"))
        .header("content-type", form)
        .body("name=ada&lang=en")
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let st = common::status_json(&r, &ns, &id);
    assert_eq!(st["content_type"], form);
}

// ---- post --wait with nobody serving ---------------------------------------------------

#[test]
fn post_wait_says_once_when_no_live_worker_serves_the_queue() {
    let r = RedisServer::start();
    let ns = namespace();
    // a worker that serves another queue does not count
    let mut worker = mlqd(&r, &ns);
    worker.args(["worker", "--queue", "served", "--builtin", "sleep"]);
    let _worker = Proc::spawn(worker);
    let live = eventually(Duration::from_secs(20), || {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["workers", "--json"]);
        let out = run(cmd);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        (v.as_array()?.len() == 1).then_some(())
    });
    assert!(live.is_some(), "the worker did not register");

    let mut post = mlqd(&r, &ns);
    post.args([
        "post",
        "--queue",
        "nobody",
        "{}",
        "--wait",
        "--wait-timeout",
        "4s",
    ]);
    let out = run(post);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("no live worker serves queue nobody").count(),
        1,
        "{err}"
    );
    assert!(err.contains("still waiting"), "{err}");

    // a served queue's job that takes longer than the check: no such line
    let mut post = mlqd(&r, &ns);
    post.args([
        "post",
        "--queue",
        "served",
        r#"{"ms": 3000}"#,
        "--wait",
        "--wait-timeout",
        "30s",
    ]);
    let out = run(post);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("no live worker"), "{}", stderr(&out));
    assert_eq!(out.stdout, b"{\"ms\": 3000}\n");
}

// ---- callbacks carry the result --------------------------------------------------------

/// What a callback receiver got: path, headers (lowercase names), body.
type Received = Arc<Mutex<Vec<(String, BTreeMap<String, String>, Vec<u8>)>>>;

/// A minimal HTTP/1.1 receiver on 127.0.0.1 answering 204 to every POST.
fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let got: Received = Arc::default();
    let store = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let store = store.clone();
            std::thread::spawn(move || {
                if let Some(req) = read_request(conn) {
                    store.lock().unwrap().push(req);
                }
            });
        }
    });
    (base, got)
}

fn read_request(mut conn: TcpStream) -> Option<(String, BTreeMap<String, String>, Vec<u8>)> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    let path = first.split_whitespace().nth(1)?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    conn.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .ok()?;
    Some((path, headers, body))
}

fn signed_by(secret: &[u8], body: &[u8], header: &str) -> bool {
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

#[test]
fn callbacks_carry_a_small_json_result_and_name_the_url_of_others() {
    let r = RedisServer::start();
    let ns = namespace();
    let (base, got) = receiver();
    let mut worker = mlqd(&r, &ns);
    worker.args(["worker", "--builtin", "echo", "--callback-secret", "s3cret"]);
    let _worker = Proc::spawn(worker);
    let post = |route: &str, payload: &str, content_type: &str| -> String {
        let file = common::write_temp("payload", payload.as_bytes());
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["post", "--callback", &format!("{base}/{route}")])
            .args([
                "--content-type",
                content_type,
                "--wait",
                "--wait-timeout",
                "30s",
            ])
            .arg(format!("@{}", file.display()));
        let out = run(cmd);
        assert!(out.status.success(), "{route}: {}", stderr(&out));
        stderr(&out).lines().next().unwrap().trim().to_string()
    };
    let small = r#"{"class": "setosa", "p": 0.97560}"#;
    let big = format!(r#"{{"pad": "{}"}}"#, "x".repeat(70 * 1024));
    let ids = [
        post("small", small, "application/json"),
        post("big", &big, "application/json"),
        post("text", "hello", "text/plain"),
    ];
    let all = eventually(Duration::from_secs(20), || {
        (got.lock().unwrap().len() >= 3).then_some(())
    });
    assert!(
        all.is_some(),
        "callbacks missing: {}",
        got.lock().unwrap().len()
    );
    let got = got.lock().unwrap();
    let by_route = |route: &str| -> (Value, &BTreeMap<String, String>, &Vec<u8>) {
        let (_, headers, body) = got
            .iter()
            .find(|(p, _, _)| p == &format!("/{route}"))
            .unwrap_or_else(|| panic!("no callback to /{route}"));
        (serde_json::from_slice(body).unwrap(), headers, body)
    };
    for (i, route) in ["small", "big", "text"].into_iter().enumerate() {
        let (v, headers, body) = by_route(route);
        assert_eq!(v["id"], ids[i].as_str(), "{route}");
        assert_eq!(v["state"], "succeeded");
        assert!(
            signed_by(b"s3cret", body, &headers["x-mlqd-signature"]),
            "{route}: bad signature"
        );
        if route == "small" {
            // the result as stored, byte for byte, under "result"
            assert!(
                String::from_utf8_lossy(body).contains(&format!(r#""result":{small}"#)),
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(v.get("result_url").is_none());
        } else {
            assert!(v.get("result").is_none(), "{route}");
            assert_eq!(
                v["result_url"],
                format!("/v1/jobs/{}/result", ids[i]),
                "{route}"
            );
        }
    }
}

// ---- help, manual pages, queues --------------------------------------------------------

fn help(args: &[&str]) -> String {
    let mut cmd = bare(&repo());
    cmd.args(args);
    let out = run(cmd);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_shows_keys_builtins_and_global_flags_apart_and_man_pages_have_examples() {
    let top = help(&["top", "--help"]);
    for key in ["q/Esc/Ctrl-C", "↑/↓ k/j", "p/space", "r  "] {
        assert!(top.contains(key), "{key} in:\n{top}");
    }
    let worker = help(&["worker", "--help"]);
    // clap pads the builtins' names to one width: compare with single spaces
    let flat = worker.split_whitespace().collect::<Vec<_>>().join(" ");
    for contract in [
        "- echo:",
        r#"- sleep: takes {"ms": N}"#,
        "reporting progress",
        "- fail: always fails, retryably",
        "- noop:",
        r#"- stream: takes {"chunks": N, "ms": M}"#,
    ] {
        assert!(flat.contains(contract), "{contract} in:\n{worker}");
    }
    // a command's own flags, then the global ones under their own heading
    let queues = help(&["queues", "--help"]);
    let (own, global) = queues
        .split_once("Global options:")
        .expect("a Global options heading");
    assert!(
        own.contains("--json") && !own.contains("--redis-url"),
        "{own}"
    );
    for flag in ["--redis-url", "--namespace", "--log-format", "--log-level"] {
        assert!(global.contains(flag), "{flag}");
    }
    let page = help(&["man"]);
    assert!(page.contains(".SH \"EXIT STATUS\"") && page.contains(".SH EXAMPLES"));
    let tmp = temp_dir("man");
    help(&["man", "--dir", tmp.to_str().unwrap()]);
    let worker_page = std::fs::read_to_string(tmp.join("mlqd-worker.1")).unwrap();
    assert!(worker_page.contains(".SH EXAMPLES") && worker_page.contains("\\-\\-builtin sleep"));
    assert!(
        worker_page.contains("SIGTERM"),
        "the worker's exit 0 is a drain"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn queues_shows_the_cancelled_count() {
    let r = RedisServer::start();
    let ns = namespace();
    let mut post = mlqd(&r, &ns);
    post.args(["post", "--queue", "later", "{}"]);
    let out = run(post);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut cancel = mlqd(&r, &ns);
    cancel.args(["cancel", &stdout(&out)]);
    assert!(run(cancel).status.success());
    let mut queues = mlqd(&r, &ns);
    queues.arg("queues");
    let text = stdout(&run(queues));
    let cells = |first: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.split('│').nth(1).is_some_and(|c| c.trim() == first))
            .unwrap_or_else(|| panic!("no {first} row in:\n{text}"));
        line.split('│')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let header = cells("queue");
    let row = cells("later");
    let col = header
        .iter()
        .position(|h| h == "cancelled")
        .unwrap_or_else(|| panic!("no cancelled column: {header:?}"));
    assert_eq!(row[col], "1", "{text}");
}

// ---- /healthz and /readyz on --metrics-listen ------------------------------------------

fn probe(c: &reqwest::blocking::Client, url: &str) -> Option<(u16, Value)> {
    let res = c.get(url).send().ok()?;
    let code = res.status().as_u16();
    Some((code, res.json().ok()?))
}

#[test]
fn workers_and_reapers_answer_health_probes_on_their_metrics_port() {
    let mut r = RedisServer::start();
    let ns = namespace();
    let c = http();
    let (wport, rport) = (free_port(), free_port());
    let mut worker = mlqd(&r, &ns);
    worker.args(["worker", "--builtin", "echo", "--metrics-listen"]);
    worker.arg(format!("127.0.0.1:{wport}"));
    let _worker = Proc::spawn(worker);
    let mut reaper = mlqd(&r, &ns);
    reaper.args(["reaper", "--metrics-listen"]);
    reaper.arg(format!("127.0.0.1:{rport}"));
    let _reaper = Proc::spawn(reaper);
    for port in [wport, rport] {
        let base = format!("http://127.0.0.1:{port}");
        let up = eventually(Duration::from_secs(20), || {
            probe(&c, &format!("{base}/healthz"))
        });
        assert_eq!(up, Some((200, serde_json::json!({"status": "ok"}))));
        let ready = probe(&c, &format!("{base}/readyz")).expect("readyz");
        assert_eq!(ready, (200, serde_json::json!({"status": "ready"})));
    }
    // Redis gone: not ready, but alive (restarting the process would not help)
    r.kill();
    for port in [wport, rport] {
        let base = format!("http://127.0.0.1:{port}");
        let unready = eventually(Duration::from_secs(10), || {
            probe(&c, &format!("{base}/readyz")).filter(|(code, _)| *code == 503)
        });
        let (_, body) = unready.expect("readyz stays 200 without Redis");
        assert_eq!(body["error"]["code"], "redis_unavailable");
        assert_eq!(
            probe(&c, &format!("{base}/healthz")).map(|(code, _)| code),
            Some(200)
        );
    }
}
