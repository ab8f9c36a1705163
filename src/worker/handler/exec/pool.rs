//! The pool of children: one slot per concurrency slot, checked out for one request at a
//! time; a child that misbehaves is stopped (SIGTERM to its group, SIGKILL after the
//! grace) and started again after a backoff.

use std::collections::{HashSet, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::ExecConfig;
use super::io::{Read, describe_exit, last_words, log_stderr, read_lines};
use crate::backoff::Doubling;
use crate::error::{Error, Result};
use crate::units::format_duration;
use crate::worker::protocol;

/// First restart delay after a child misbehaved; doubles per misbehaviour in a row.
const RESTART_MIN: Duration = Duration::from_millis(100);
const RESTART_MAX: Duration = Duration::from_secs(10);

pub(super) struct Pool {
    pub(super) config: ExecConfig,
    /// Label for messages: the command as given.
    pub(super) display: String,
    pub(super) free: Mutex<Vec<Slot>>,
    pub(super) available: Arc<Semaphore>,
    pub(super) line_limit: usize,
}

/// One concurrency slot: its child (when running) and its restart state.
pub(super) struct Slot {
    pub(super) index: usize,
    pub(super) proc: Option<Proc>,
    /// Misbehaviours in a row; sets the restart delay.
    pub(super) failures: u32,
    pub(super) restart_at: Option<Instant>,
    /// A previous child still being stopped; the next waits for it, so a model is never
    /// loaded twice in one slot.
    pub(super) stopping: Option<JoinHandle<()>>,
    pub(super) started: bool,
}

/// A running child.
pub(super) struct Proc {
    pub(super) child: Child,
    pub(super) pid: u32,
    pub(super) stdin: ChildStdin,
    pub(super) lines: mpsc::Receiver<Read>,
    pub(super) reader: JoinHandle<()>,
    /// Passes stderr to the log; ends when the child (and its group) closed stderr.
    pub(super) stderr: JoinHandle<()>,
    /// The jobs the child runs (or last ran), for its stderr lines in the log.
    pub(super) label: Arc<Mutex<String>>,
    pub(super) tail: Arc<Mutex<VecDeque<String>>>,
    /// Ids of the last request, so a late progress line for them is ignored, not fatal.
    pub(super) recent: HashSet<String>,
}

impl Pool {
    /// Makes the pool and starts one child per slot.
    pub(super) fn start(config: ExecConfig) -> Result<Arc<Pool>> {
        let display = shlex::try_join(config.argv.iter().map(String::as_str))
            .unwrap_or_else(|_| config.argv.join(" "));
        let line_limit = protocol::line_limit(config.max_result);
        let slots = config.slots.max(1);
        let mut free = Vec::with_capacity(slots);
        for index in (0..slots).rev() {
            free.push(Slot {
                index,
                proc: None,
                failures: 0,
                restart_at: None,
                stopping: None,
                started: false,
            });
        }
        let pool = Arc::new(Pool {
            config,
            display,
            free: Mutex::new(Vec::new()),
            available: Arc::new(Semaphore::new(slots)),
            line_limit,
        });
        for slot in &mut free {
            let proc = pool.spawn(slot.index).map_err(|e| {
                Error::invalid(format!(
                    "cannot start the handler command {:?}: {e}",
                    pool.display
                ))
            })?;
            slot.proc = Some(proc);
            slot.started = true;
        }
        *pool.free_list() = free;
        Ok(pool)
    }

    fn free_list(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) async fn checkout(self: &Arc<Self>) -> Option<SlotGuard> {
        let permit = self.available.clone().acquire_owned().await.ok()?;
        let mut free = self.free_list();
        // prefer a slot whose child is up
        let pos = free
            .iter()
            .rposition(|s| s.proc.is_some())
            .or_else(|| free.len().checked_sub(1))?;
        let slot = free.swap_remove(pos);
        Some(SlotGuard {
            pool: self.clone(),
            slot: Some(slot),
            busy: false,
            jobs: Vec::new(),
            _permit: permit,
        })
    }

    fn spawn(&self, index: usize) -> std::io::Result<Proc> {
        let argv = &self.config.argv;
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("MLQD_SLOT", index.to_string())
            .kill_on_drop(true);
        if std::env::var_os("PYTHONUNBUFFERED").is_none() {
            // a Python handler that print()s its answers must not sit on them in a buffer
            cmd.env("PYTHONUNBUFFERED", "1");
        }
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn()?;
        let pid = child.id().unwrap_or(0);
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(a), Some(b), Some(c)) => (a, b, c),
                _ => return Err(std::io::Error::other("child has no stdio pipes")),
            };
        let (tx, lines) = mpsc::channel(64);
        let reader = tokio::spawn(read_lines(stdout, tx, self.line_limit));
        let label = Arc::new(Mutex::new(String::new()));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr = tokio::spawn(log_stderr(stderr, index, pid, label.clone(), tail.clone()));
        tracing::info!(slot = index, pid, command = %self.display, "handler process started");
        Ok(Proc {
            child,
            pid,
            stdin,
            lines,
            reader,
            stderr,
            label,
            tail,
            recent: HashSet::new(),
        })
    }

    /// Closes every idle child's stdin (the protocol's "no more jobs"), then stops those
    /// that do not exit within the grace.
    pub(super) async fn shutdown(&self) {
        self.available.close();
        let slots: Vec<Slot> = std::mem::take(&mut *self.free_list());
        let mut waits = Vec::new();
        for mut slot in slots {
            if let Some(stopping) = slot.stopping.take() {
                waits.push(stopping);
            }
            if let Some(proc) = slot.proc.take() {
                let grace = self.config.grace;
                waits.push(tokio::spawn(async move {
                    let Proc {
                        mut child,
                        pid,
                        stdin,
                        reader,
                        ..
                    } = proc;
                    drop(stdin);
                    if tokio::time::timeout(grace, child.wait()).await.is_err() {
                        terminate(child, pid, grace).await;
                    }
                    reader.abort();
                }));
            }
        }
        for w in waits {
            let _ = w.await;
        }
    }
}

/// A slot checked out for one request. Dropped mid-request (the worker gave up on the job:
/// timeout, or a cancel the child ignored), it stops the child.
pub(super) struct SlotGuard {
    pub(super) pool: Arc<Pool>,
    pub(super) slot: Option<Slot>,
    pub(super) busy: bool,
    pub(super) jobs: Vec<(String, tokio_util::sync::CancellationToken)>,
    pub(super) _permit: OwnedSemaphorePermit,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let Some(mut slot) = self.slot.take() else {
            return;
        };
        if self.busy {
            let cancelled = self.jobs.iter().any(|(_, t)| t.is_cancelled());
            let why = if cancelled {
                "it did not stop within the grace after a cancel"
            } else {
                "its job ran past its timeout"
            };
            let ids: Vec<&str> = self.jobs.iter().map(|(id, _)| id.as_str()).collect();
            retire(
                &self.pool,
                &mut slot,
                why,
                &ids.join(","),
                if cancelled { "cancel" } else { "timeout" },
            );
        }
        self.pool.free_list().push(slot);
    }
}

impl Slot {
    /// Counts a misbehaviour and sets when the next child may start: 100 ms, doubling per
    /// misbehaviour in a row, at most 10 s.
    fn schedule_restart(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let exp = self.failures.saturating_sub(1).min(16);
        let delay = Doubling::new(RESTART_MIN, RESTART_MAX).nth(exp);
        self.restart_at = Some(Instant::now() + delay);
        delay
    }
}

/// Stops a slot's child in the background and schedules its restart.
pub(super) fn retire(pool: &Pool, slot: &mut Slot, why: &str, jobs: &str, reason: &'static str) {
    let delay = slot.schedule_restart();
    metrics::counter!("mlqd_handler_restarts_total", "handler" => "exec", "reason" => reason)
        .increment(1);
    if let Some(proc) = slot.proc.take() {
        tracing::warn!(
            slot = slot.index,
            pid = proc.pid,
            job = %jobs,
            restart_in = %format_duration(delay),
            "stopping handler process: {why}"
        );
        let grace = pool.config.grace;
        let previous = slot.stopping.take();
        let Proc { child, pid, .. } = proc;
        // SIGTERM now, even if the runtime is going away (kill_on_drop then SIGKILLs)
        signal_group(pid, libc::SIGTERM);
        slot.stopping = match tokio::runtime::Handle::try_current() {
            Ok(rt) => Some(rt.spawn(async move {
                if let Some(p) = previous {
                    let _ = p.await;
                }
                terminate(child, pid, grace).await;
            })),
            Err(_) => None,
        };
    }
}

/// SIGTERM to the child's process group, SIGKILL after `grace`, then reap it.
async fn terminate(mut child: Child, pid: u32, grace: Duration) {
    signal_group(pid, libc::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        signal_group(pid, libc::SIGKILL);
        let _ = child.kill().await;
    } else {
        // the leader is gone; take any helper it left in its group with it
        signal_group(pid, libc::SIGKILL);
    }
}

/// Signals the process group the child leads (it was started with its own group).
fn signal_group(pid: u32, sig: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 1 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is shared.
    unsafe {
        libc::kill(-pid, sig);
    }
}

impl SlotGuard {
    pub(super) fn slot(&mut self) -> &mut Slot {
        // the slot is only taken in drop
        self.slot.as_mut().expect("slot present until drop")
    }

    /// Makes sure the slot has a live child, restarting it (after its backoff) if needed.
    pub(super) async fn ready(&mut self) -> std::result::Result<(), String> {
        let pool = self.pool.clone();
        let slot = self.slot();
        if let Some(proc) = slot.proc.as_mut()
            && let Ok(Some(status)) = proc.child.try_wait()
        {
            let why = format!(
                "it exited while idle ({}){}",
                describe_exit(status),
                last_words(&proc.tail)
            );
            retire(&pool, slot, &why, "-", "crash");
        }
        if slot.proc.is_some() {
            return Ok(());
        }
        if let Some(stopping) = slot.stopping.take() {
            let _ = stopping.await;
        }
        if let Some(at) = slot.restart_at.take() {
            tokio::time::sleep_until(at).await;
        }
        match pool.spawn(slot.index) {
            Ok(proc) => {
                if slot.started {
                    tracing::info!(
                        slot = slot.index,
                        pid = proc.pid,
                        "handler process restarted"
                    );
                }
                slot.started = true;
                slot.proc = Some(proc);
                Ok(())
            }
            Err(e) => {
                slot.schedule_restart();
                Err(format!(
                    "cannot start the handler command {:?}: {e}",
                    pool.display
                ))
            }
        }
    }
}
