//! The `redis-server` child that `mlqd up` runs when no `--redis-url` is given: AOF on,
//! data in the data directory, loopback only, `noeviction`. Stopped with SIGTERM so Redis
//! flushes its AOF; killed if it does not stop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::broker::{Broker, BrokerConfig};

/// A running managed Redis.
pub struct ManagedRedis {
    child: Child,
    pub url: String,
    pub dir: PathBuf,
}

impl ManagedRedis {
    /// Starts redis-server on 127.0.0.1:6379 when that port is free (so other `mlqd`
    /// commands work with their defaults), else on a free port.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let dir = data_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let port = if port_free(6379) { 6379 } else { free_port()? };
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(&dir)
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
        let url = format!("redis://127.0.0.1:{port}");
        let mut managed = ManagedRedis { child, url, dir };
        managed.wait_ready().await?;
        Ok(managed)
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

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
