//! The real `mlqd` binary: commands with a time limit, child processes that die with the
//! test, and the CLI calls many tests share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{Deployment, rand_u32};

/// The real binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mlqd")
}

/// `mlqd` pointed at a test deployment (its URL and TLS files) and namespace.
pub fn mlqd(redis: &(impl Deployment + ?Sized), ns: &str) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MLQD_REDIS_URL", redis.url())
        .env("MLQD_NAMESPACE", ns)
        .env("MLQD_LOG_LEVEL", "warn")
        .envs(redis.env());
    cmd
}

/// Runs a command to completion with a time limit.
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null());
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mlqd");
    wait_output(child, Duration::from_secs(60))
}

/// Runs a command with bytes on stdin.
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mlqd");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("write stdin");
    }
    wait_output(child, Duration::from_secs(60))
}

fn wait_output(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait for mlqd"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("mlqd did not finish within {limit:?}");
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

/// A child process killed (SIGKILL) when dropped, unless it already ended.
pub struct Proc {
    pub child: Child,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::null());
        Proc {
            child: cmd.spawn().expect("spawn"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status();
    }

    /// Waits for the exit status, up to `limit`.
    pub fn wait_for(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `mlqd status ID --json`, parsed.
pub fn status_json(redis: &(impl Deployment + ?Sized), ns: &str, id: &str) -> serde_json::Value {
    let mut cmd = mlqd(redis, ns);
    cmd.args(["status", id, "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "status failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

/// `mlqd post ARGS…`, which must succeed; its stdout (the job id).
pub fn post(redis: &(impl Deployment + ?Sized), ns: &str, args: &[&str]) -> String {
    let mut cmd = mlqd(redis, ns);
    cmd.arg("post").args(args);
    let out = run(cmd);
    assert!(out.status.success(), "post failed: {}", stderr(&out));
    stdout(&out)
}

/// `mlqd worker ARGS…` running in the background (its log on the test's stderr).
pub fn worker(redis: &(impl Deployment + ?Sized), ns: &str, args: &[&str]) -> Proc {
    let mut cmd = mlqd(redis, ns);
    cmd.arg("worker").args(args);
    Proc::spawn(cmd)
}

/// `mlqd worker ARGS…` with its output thrown away.
pub fn quiet_worker(redis: &(impl Deployment + ?Sized), ns: &str, args: &[&str]) -> Proc {
    let mut cmd = mlqd(redis, ns);
    cmd.arg("worker").args(args);
    Proc::spawn(quiet(cmd))
}

/// A quiet `mlqd worker` on queue `pills` whose exec handler (tests/handlers/poison.py)
/// SIGKILLs its own worker on a job `{"poison": true}`; leases of 1 s.
pub fn poison_worker(redis: &(impl Deployment + ?Sized), ns: &str) -> Proc {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let exec = format!(
        "python3 {}",
        repo.join("tests/handlers/poison.py").display()
    );
    let mut cmd = mlqd(redis, ns);
    cmd.args([
        "worker", "--queue", "pills", "--exec", &exec, "--lease", "1s",
    ])
    .env("PYTHONPATH", repo.join("python/src"));
    Proc::spawn(quiet(cmd))
}

/// The command with its stdout and stderr thrown away.
pub fn quiet(mut cmd: Command) -> Command {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// The exit code of a finished command (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("mlqd-{:08x}-{name}", rand_u32()));
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
