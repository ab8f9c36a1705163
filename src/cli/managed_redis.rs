//! The `redis-server` child that `mlqd up` runs when no `--redis-url` is given: AOF on,
//! data in the data directory, loopback only, `noeviction`. Stopped with SIGTERM so Redis
//! flushes its AOF; killed if it does not stop.
//!
//! Its URL is written to `<data dir>/redis.url`: a restart takes the same port again (an
//! `export MLQD_REDIS_URL=…` pasted elsewhere stays right even when 6379 was taken), and
//! commands run from the same directory without a URL read it (see `cli::GlobalArgs`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::broker::{Broker, BrokerConfig};

/// The file in the data directory that holds the managed Redis's URL: `up` writes it, and
/// every other command run from the same directory reads it when no URL is given.
pub const URL_FILE: &str = "redis.url";
/// redis-server's pid file, in the data directory while it runs.
const PID_FILE: &str = "redis.pid";

/// A running managed Redis.
pub struct ManagedRedis {
    child: Child,
    pub url: String,
    pub dir: PathBuf,
    /// The URL of the last run, when this run could not keep it (its port was taken).
    pub moved_from: Option<String>,
}

impl ManagedRedis {
    /// Starts redis-server on the port of the last run in this data directory (so URLs
    /// exported elsewhere stay right), else on `preferred` (6379, so other `mlqd` commands
    /// work with their defaults), else on a free port; then writes its URL to
    /// [`URL_FILE`].
    pub async fn start(data_dir: &Path, preferred: u16) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let dir = data_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let last = last_port(&dir);
        let port = match last {
            Some(p) if port_free(p) => p,
            Some(p) => {
                if let Some(pid) = running_redis(&dir) {
                    bail!(crate::Error::invalid(format!(
                        "a redis-server (pid {pid}) from an earlier `mlqd up` still runs on port {p} with the data directory {}: stop it (`kill {pid}`), or use it with --redis-url redis://127.0.0.1:{p}",
                        dir.display()
                    )));
                }
                tracing::warn!(
                    port = p,
                    "the last run's redis port is taken; picking another"
                );
                choose(preferred)?
            }
            None => choose(preferred)?,
        };
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(&dir)
            .arg("--pidfile")
            .arg(dir.join(PID_FILE))
            .arg("--appendonly")
            .arg("yes")
            .arg("--appendfsync")
            .arg("everysec")
            .arg("--save")
            .arg("")
            .arg("--maxmemory-policy")
            .arg("noeviction")
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(crate::Error::invalid(
                "redis-server is not installed: install it (`sudo apt-get install -y redis-server`) or point mlqd up at a Redis with --redis-url"
            )),
            Err(e) => return Err(e).context("starting redis-server"),
        };
        let url = url_for(port);
        let moved_from = last.filter(|&p| p != port).map(url_for);
        let mut managed = ManagedRedis {
            child,
            url,
            dir,
            moved_from,
        };
        managed.wait_ready().await?;
        managed.write_url()?;
        Ok(managed)
    }

    /// Writes the URL file whole (a reader never sees half of it).
    fn write_url(&self) -> anyhow::Result<()> {
        let path = self.dir.join(URL_FILE);
        let tmp = self.dir.join(format!("{URL_FILE}.tmp"));
        std::fs::write(&tmp, format!("{}\n", self.url))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("writing {}", path.display()))
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let broker = Broker::new(BrokerConfig::new(self.url.clone(), "mlqd"))?;
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!(
                    "redis-server exited at start ({status}); see {}",
                    self.dir.join("redis.log").display()
                );
            }
            if broker.ping().await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("redis-server did not answer within 5 s")
    }

    /// SIGTERM (Redis writes its AOF and exits), SIGKILL after 10 s.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id().and_then(|p| libc::pid_t::try_from(p).ok()) {
            // SAFETY: kill(2) on our own child's pid; no memory is shared.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

fn url_for(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// The port a managed Redis of this data directory had last time, from its URL file.
fn last_port(dir: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(dir.join(URL_FILE)).ok()?;
    text.trim()
        .strip_prefix("redis://127.0.0.1:")?
        .parse()
        .ok()
        .filter(|&p| p != 0)
}

/// The pid of a redis-server still running with this data directory (one an `up` killed
/// with SIGKILL left behind): its pid file names a live redis-server process.
fn running_redis(dir: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(dir.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let alive = pid > 0 && unsafe { libc::kill(pid, 0) } == 0;
    // a pid reused by another program is not our Redis (where /proc tells)
    let is_redis = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.starts_with("redis"))
        .unwrap_or(true);
    (alive && is_redis).then_some(pid)
}

fn choose(preferred: u16) -> anyhow::Result<u16> {
    if preferred != 0 && port_free(preferred) {
        Ok(preferred)
    } else {
        free_port()
    }
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
