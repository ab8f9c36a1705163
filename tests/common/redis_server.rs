//! A private `redis-server` per test, on a free loopback port, killable and restartable;
//! fresh namespaces and the keys tests look at, built by `mlqd::broker::Keys`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mlqd::QueueName;
use mlqd::broker::{Keys, QueueKeys};

/// A private redis-server. Killed when dropped; its directory is removed.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    args: Vec<String>,
}

impl RedisServer {
    /// A throwaway server: no persistence.
    pub fn start() -> Self {
        Self::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// A server with extra configuration (e.g. `--appendonly yes`).
    pub fn start_with(args: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mlqd-test-redis-{}-{:08x}",
            std::process::id(),
            rand_u32()
        ));
        std::fs::create_dir_all(&dir).expect("create redis dir");
        for _ in 0..20 {
            let port = free_port();
            let mut server = RedisServer {
                child: None,
                port,
                dir: dir.clone(),
                args: args.iter().map(|s| s.to_string()).collect(),
            };
            if server.spawn() {
                return server;
            }
        }
        panic!("could not start redis-server on a free port");
    }

    fn spawn(&mut self) -> bool {
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed: `sudo apt-get install -y redis-server` (the tests start their own private servers)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.ping() {
                return true;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(_)) = c.try_wait()
            {
                self.child = None;
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
        false
    }

    fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, like a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same port and directory (AOF data survives).
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-server did not restart on port {}", self.port);
    }

    /// A synchronous connection for assertions.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .expect("client")
            .get_connection()
            .expect("connect to test redis")
    }

    /// Waits (up to 20 s) until a worker idles on its queue, blocked in its BLPOP.
    pub fn wait_for_idle_worker(&self) {
        let mut c = self.conn();
        super::eventually(Duration::from_secs(20), || {
            let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut c).ok()?;
            list.lines()
                .any(|l| l.contains(" cmd=blpop "))
                .then_some(())
        })
        .expect("the worker never waited on its queue");
    }

    /// Waits (up to 20 s) until `n` jobs of the queue are leased (claimed).
    pub fn wait_for_active(&self, ns: &str, queue: &str, n: i64) {
        let mut c = self.conn();
        super::eventually(Duration::from_secs(20), || {
            let active: i64 = redis::cmd("ZCARD")
                .arg(format!("{ns}:{{{queue}}}:active"))
                .query(&mut c)
                .ok()?;
            (active == n).then_some(())
        })
        .unwrap_or_else(|| panic!("{n} jobs of {queue} were never leased"));
    }

    /// Every key under a namespace.
    pub fn keys(&self, ns: &str) -> Vec<String> {
        let mut c = self.conn();
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{ns}:*"))
            .query(&mut c)
            .expect("KEYS");
        keys.sort();
        keys
    }

    pub fn used_memory(&self) -> u64 {
        let mut c = self.conn();
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query(&mut c)
            .expect("INFO");
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("used_memory")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A fresh namespace so tests never see each other's keys.
pub fn namespace() -> String {
    format!("t{:08x}", rand_u32())
}

/// The namespace's keys, as mlqd builds them.
pub fn keys(ns: &str) -> Keys {
    Keys::new(ns).expect("test namespace")
}

/// One queue's keys, as mlqd builds them.
pub fn queue_keys(ns: &str, queue: &str) -> QueueKeys {
    keys(ns).queue(&QueueName::new(queue).expect("test queue name"))
}

/// A random number for names that must not collide between tests.
pub fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u32
}
