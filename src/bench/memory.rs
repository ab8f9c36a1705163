//! Worker memory: a real `mlqd worker --builtin noop` child, its resident set idle (before
//! any job) and at its peak while it drains `jobs` jobs (`VmRSS` / `VmHWM` in
//! /proc/PID/status).

use std::time::Duration;

use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use super::{BenchConfig, WorkerMemory, enqueue_all, phase, wait_succeeded};

/// How long the child gets to start and settle into its idle wait before it is measured.
const IDLE_SETTLE: Duration = Duration::from_secs(1);
use crate::broker::Broker;
use crate::error::{Error, Result};

/// Drains `jobs` jobs with a real `mlqd worker` process and reads its memory.
pub(super) async fn measure(
    config: &BenchConfig,
    broker: Broker,
    exe: &std::path::Path,
    concurrency: usize,
    bar: &ProgressBar,
    stop: &CancellationToken,
) -> Result<WorkerMemory> {
    let n = config.jobs;
    phase(bar, format!("worker RSS: mlqd worker -c {concurrency}"), n);
    let mut cmd = tokio::process::Command::new(exe);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MLQD_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--redis-url").arg(&config.redis_url);
    for (flag, file) in [
        ("--redis-ca", &config.tls.ca),
        ("--redis-cert", &config.tls.cert),
        ("--redis-key", &config.tls.key),
    ] {
        if let Some(f) = file {
            cmd.arg(flag).arg(f);
        }
    }
    cmd.arg("--namespace")
        .arg(broker.keys().namespace())
        .arg("--log-level")
        .arg("error")
        .arg("worker");
    for q in config.queue_names() {
        cmd.arg("--queue").arg(q.as_str());
    }
    cmd.arg("--builtin")
        .arg("noop")
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .arg("--batch-size")
        .arg(config.batch_size.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::invalid(format!("cannot start {}: {e}", exe.display())))?;
    let pid = child.id().unwrap_or(0);
    let read = || std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    // idle: started, connected, blocked waiting for work
    tokio::time::sleep(IDLE_SETTLE).await;
    let idle = read();
    // then the jobs arrive while it runs, as they would
    let drained = match enqueue_all(config, &broker, n, bar).await {
        Ok(_) => wait_succeeded(config, &broker, n, bar, stop).await,
        Err(e) => Err(e),
    };
    let status = read();
    // SIGTERM: the worker drains and leaves the registry
    if pid > 0 {
        // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    drained?;
    let kib_of = |status: &str, field: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    let kib = |field: &str| kib_of(&status, field);
    Ok(WorkerMemory {
        concurrency,
        jobs: n,
        idle_rss_bytes: kib_of(&idle, "VmRSS:"),
        rss_bytes: kib("VmRSS:"),
        peak_rss_bytes: kib("VmHWM:"),
        anon_rss_bytes: kib("RssAnon:"),
    })
}
