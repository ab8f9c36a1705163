//! Plumbing shared by the TLS, cluster and sentinel harnesses: loopback ports, private
//! directories, `redis-server` children that die with the test process (even when a harness
//! lives in a `static` and is never dropped), and waiting for a node to answer.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Starts `cmd` so that the kernel kills it when the test process ends (SIGKILL through
/// `PR_SET_PDEATHSIG`). The signal fires when the *thread* that forked the child ends, so
/// every child is forked by one thread that lives as long as the process.
pub fn spawn_tied(mut cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in rx {
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(tx)
    });
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (tx, rx) = mpsc::channel();
    spawner
        .lock()
        .expect("spawner lock")
        .send((cmd, tx))
        .expect("spawner thread");
    rx.recv().expect("spawner answer")
}

/// A free port whose cluster bus port (port + 10000) is free as well.
pub fn cluster_port() -> u16 {
    for _ in 0..200 {
        let p = super::free_port();
        if p < 55535 && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok() {
            return p;
        }
    }
    panic!("no free port pair for a cluster node");
}

/// A fresh private directory under the system temp dir.
pub fn private_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mlqd-test-{what}-{}-{:08x}",
        std::process::id(),
        super::rand_u32()
    ));
    std::fs::create_dir_all(&dir).expect("create test dir");
    dir
}

/// `redis-cli` against a plain node.
pub fn redis_cli(port: u16, args: &[&str]) -> Output {
    Command::new("redis-cli")
        .arg("-h")
        .arg("127.0.0.1")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-cli")
}

/// A synchronous connection to one plain node, for assertions.
pub fn node_conn(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .expect("client")
        .get_connection_with_timeout(Duration::from_secs(2))
        .expect("connect to test node")
}

/// Whether a plain node answers PING.
pub fn answers(port: u16) -> bool {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok()
}

/// Polls `f` every 50 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `redis-server` command with the harness defaults: loopback, no persistence, its
/// directory and log file in `dir`.
pub fn server_command(dir: &Path) -> Command {
    let mut cmd = Command::new("redis-server");
    cmd.arg("--bind")
        .arg("127.0.0.1")
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .args(["--save", "", "--appendonly", "no"]);
    cmd
}

/// Kills a child and reaps it.
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines of a server's log, for a failure message.
pub fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
