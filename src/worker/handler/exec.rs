//! `--exec CMD`: a pool of long-lived child processes, one per concurrency slot, so a model
//! loads once per slot and then serves job after job over JSON Lines (see `protocol.rs`).
//!
//! The pool survives every way a child can misbehave. A crash, a malformed line, an answer
//! for a job it was not given, or a line longer than `--max-result` allows fails only the
//! jobs that child was running, with an error saying what happened; the child is then
//! stopped (SIGTERM to its process group, SIGKILL after the grace) and started again after
//! a backoff. A job whose handler future is dropped (timeout, or a cancel the child
//! ignored) stops its child the same way, so no process outlives its job's limits.

use std::collections::{HashMap, HashSet, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Handler, HandlerError, HandlerResult, Job, ProgressReporter};
use crate::backoff::Doubling;
use crate::error::{Error, Result};
use crate::job::JobId;
use crate::units::format_duration;
use crate::worker::protocol::{self, Reply};

/// Longest stderr line passed to the log (longer ones are cut).
const STDERR_LINE: usize = 16 * 1024;
/// Stderr lines kept to explain a crash.
const STDERR_TAIL: usize = 5;
/// First restart delay after a child misbehaved; doubles per misbehaviour in a row.
const RESTART_MIN: Duration = Duration::from_millis(100);
const RESTART_MAX: Duration = Duration::from_secs(10);

/// How the exec handler runs.
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// Program and arguments, already split (see [`split_command`]).
    pub argv: Vec<String>,
    /// Children kept alive: one per concurrency slot.
    pub slots: usize,
    /// Largest result accepted; also bounds how long a line from the child may be.
    pub max_result: u64,
    /// After a cancel line: how long the child may go on before it is stopped. Also the
    /// time between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Send every request as a `{"batch":[…]}` line (the worker batches).
    pub batch: bool,
}

/// Splits CMD the way a POSIX shell splits words (quotes and backslashes), without running
/// a shell: no expansion, no pipes, no redirections.
pub fn split_command(cmd: &str) -> Result<Vec<String>> {
    let argv = shlex::split(cmd).ok_or_else(|| {
        Error::invalid(format!(
            "cannot split --exec {cmd:?}: unbalanced quotes or a trailing backslash"
        ))
    })?;
    if argv.is_empty() {
        return Err(Error::invalid("--exec needs a command"));
    }
    Ok(argv)
}

/// The `--exec` handler: cheap to clone, all clones share the pool.
#[derive(Clone)]
pub struct ExecHandler {
    pool: Arc<Pool>,
}

struct Pool {
    config: ExecConfig,
    /// Label for messages: the command as given.
    display: String,
    free: Mutex<Vec<Slot>>,
    available: Arc<Semaphore>,
    line_limit: usize,
}

/// One concurrency slot: its child (when running) and its restart state.
struct Slot {
    index: usize,
    proc: Option<Proc>,
    /// Misbehaviours in a row; sets the restart delay.
    failures: u32,
    restart_at: Option<Instant>,
    /// A previous child still being stopped; the next waits for it, so a model is never
    /// loaded twice in one slot.
    stopping: Option<JoinHandle<()>>,
    started: bool,
}

/// A running child.
struct Proc {
    child: Child,
    pid: u32,
    stdin: ChildStdin,
    lines: mpsc::Receiver<Read>,
    reader: JoinHandle<()>,
    /// Passes stderr to the log; ends when the child (and its group) closed stderr.
    stderr: JoinHandle<()>,
    /// The jobs the child runs (or last ran), for its stderr lines in the log.
    label: Arc<Mutex<String>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// Ids of the last request, so a late progress line for them is ignored, not fatal.
    recent: HashSet<String>,
}

/// What the stdout reader saw.
enum Read {
    Line(Vec<u8>),
    TooLong,
    Eof,
    Failed(String),
}

impl ExecHandler {
    /// Starts one child per slot now, so models load before the first job arrives. Fails
    /// when the command cannot be started at all (not found, not executable).
    pub async fn start(config: ExecConfig) -> Result<Self> {
        if config.argv.is_empty() {
            return Err(Error::invalid("--exec needs a command"));
        }
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
        Ok(ExecHandler { pool })
    }

    /// Runs one request (one job, or a batch) on a free child.
    async fn run(pool: Arc<Pool>, jobs: Vec<Job>) -> Vec<HandlerResult> {
        let mut guard = match pool.checkout().await {
            Some(g) => g,
            None => return fail_all(&jobs, "the exec handler is shutting down"),
        };
        if let Err(e) = guard.ready().await {
            return fail_all(&jobs, &e);
        }
        guard.busy = true;
        let results = guard.exchange(&jobs).await;
        guard.busy = false;
        results
    }
}

impl Handler for ExecHandler {
    fn handle(&self, job: Job) -> BoxFuture<'static, HandlerResult> {
        let pool = self.pool.clone();
        Box::pin(async move {
            ExecHandler::run(pool, vec![job])
                .await
                .pop()
                .unwrap_or_else(|| Err(HandlerError::retryable("exec handler returned nothing")))
        })
    }

    fn handle_batch(&self, jobs: Vec<Job>) -> BoxFuture<'static, Vec<HandlerResult>> {
        Box::pin(ExecHandler::run(self.pool.clone(), jobs))
    }

    fn shutdown(&self) -> BoxFuture<'static, ()> {
        let pool = self.pool.clone();
        Box::pin(async move { pool.shutdown().await })
    }
}

fn fail_all(jobs: &[Job], message: &str) -> Vec<HandlerResult> {
    jobs.iter()
        .map(|_| Err(HandlerError::retryable(message)))
        .collect()
}

impl Pool {
    fn free_list(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn checkout(self: &Arc<Self>) -> Option<SlotGuard> {
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
    async fn shutdown(&self) {
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
struct SlotGuard {
    pool: Arc<Pool>,
    slot: Option<Slot>,
    busy: bool,
    jobs: Vec<(String, tokio_util::sync::CancellationToken)>,
    _permit: OwnedSemaphorePermit,
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
fn retire(pool: &Pool, slot: &mut Slot, why: &str, jobs: &str, reason: &'static str) {
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

/// How one request ended, when the child cannot go on.
struct Broken {
    /// The error every unanswered job of the request gets.
    error: HandlerError,
    /// Why the child is stopped, for the log.
    why: String,
    reason: &'static str,
}

impl SlotGuard {
    fn slot(&mut self) -> &mut Slot {
        // the slot is only taken in drop
        self.slot.as_mut().expect("slot present until drop")
    }

    /// Makes sure the slot has a live child, restarting it (after its backoff) if needed.
    async fn ready(&mut self) -> std::result::Result<(), String> {
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

    /// Sends the request and reads answers until every job has its final line, the child
    /// breaks, or every job is stopped and the child does not comply within the grace.
    async fn exchange(&mut self, jobs: &[Job]) -> Vec<HandlerResult> {
        self.jobs = jobs
            .iter()
            .map(|j| (j.id.to_string(), j.cancel.clone()))
            .collect();
        let index: HashMap<String, usize> = self
            .jobs
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.clone(), i))
            .collect();
        let mut results: Vec<Option<HandlerResult>> = jobs.iter().map(|_| None).collect();
        let mut progress = ProgressForwarder::default();
        let batch = self.pool.config.batch;
        let grace = self.pool.config.grace;
        let line = if batch {
            protocol::batch_line(jobs)
        } else {
            match jobs.first() {
                Some(j) if jobs.len() == 1 => protocol::job_line(j),
                _ => protocol::batch_line(jobs),
            }
        };
        let ids: Vec<String> = self.jobs.iter().map(|(id, _)| id.clone()).collect();
        let label = ids.join(",");
        let pool = self.pool.clone();
        let max_result = pool.config.max_result;
        let outcome: std::result::Result<(), Broken> = async {
            let proc = match self.slot.as_mut().and_then(|s| s.proc.as_mut()) {
                Some(p) => p,
                None => {
                    return Err(Broken {
                        error: HandlerError::retryable("the handler process is not running"),
                        why: "it was not running".into(),
                        reason: "crash",
                    });
                }
            };
            if let Ok(mut l) = proc.label.lock() {
                l.clone_from(&label);
            }
            if let Err(e) = proc.stdin.write_all(&line).await {
                return Err(crashed(proc, &format!("could not be given the job ({e})")).await);
            }
            let mut stops: FuturesUnordered<_> = jobs
                .iter()
                .enumerate()
                .map(|(i, j)| {
                    let token = j.cancel.clone();
                    async move {
                        token.cancelled().await;
                        i
                    }
                })
                .collect();
            let mut stopped = vec![false; jobs.len()];
            let mut kill_at: Option<Instant> = None;
            loop {
                let deadline = async {
                    match kill_at {
                        Some(t) => tokio::time::sleep_until(t).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    read = proc.lines.recv() => {
                        let read = read.unwrap_or(Read::Eof);
                        let raw = match read {
                            Read::Line(l) => l,
                            Read::TooLong => {
                                let limit = pool.line_limit;
                                return Err(Broken {
                                    error: HandlerError::permanent(format!(
                                        "handler wrote a line over {limit} bytes (the --max-result of {max_result} bytes plus protocol overhead); result refused"
                                    )),
                                    why: format!("it wrote a line over {limit} bytes"),
                                    reason: "protocol",
                                });
                            }
                            Read::Eof => return Err(crashed(proc, "closed its output").await),
                            Read::Failed(e) => {
                                return Err(crashed(proc, &format!("could not be read ({e})")).await);
                            }
                        };
                        if raw.iter().all(u8::is_ascii_whitespace) {
                            continue;
                        }
                        let reply = match protocol::parse_reply(&raw, max_result) {
                            Ok(r) => r,
                            Err(msg) => {
                                return Err(Broken {
                                    error: HandlerError::retryable(msg.clone()),
                                    why: msg,
                                    reason: "protocol",
                                });
                            }
                        };
                        let Some(&i) = index.get(reply.id()) else {
                            if proc.recent.contains(reply.id()) && matches!(reply, Reply::Progress { .. }) {
                                continue;
                            }
                            let msg = format!(
                                "handler answered for job {:?}, which it is not running (running: {label})",
                                reply.id()
                            );
                            return Err(Broken {
                                error: HandlerError::retryable(msg.clone()),
                                why: msg,
                                reason: "protocol",
                            });
                        };
                        match reply {
                            Reply::Progress { percent, message, .. } => {
                                if results[i].is_none() {
                                    progress.send(&jobs[i], percent, message);
                                }
                            }
                            Reply::Done { result, .. } => {
                                if results[i].is_some() {
                                    let msg = format!("handler answered twice for job {}", ids[i]);
                                    return Err(Broken {
                                        error: HandlerError::retryable(msg.clone()),
                                        why: msg,
                                        reason: "protocol",
                                    });
                                }
                                results[i] = Some(result);
                                if results.iter().all(Option::is_some) {
                                    return Ok(());
                                }
                            }
                        }
                    }
                    Some(i) = stops.next() => {
                        stopped[i] = true;
                        if results[i].is_none() {
                            let _ = tokio::time::timeout(
                                Duration::from_secs(1),
                                proc.stdin.write_all(&protocol::cancel_line(&ids[i])),
                            )
                            .await;
                        }
                        let all = results
                            .iter()
                            .zip(&stopped)
                            .all(|(r, s)| r.is_some() || *s);
                        if all && kill_at.is_none() {
                            kill_at = Some(Instant::now() + grace);
                        }
                    }
                    _ = deadline => {
                        return Err(Broken {
                            error: HandlerError::retryable(format!(
                                "stopped: the handler did not end the job within {} of being told to",
                                format_duration(grace)
                            )),
                            why: format!("it did not stop its job within {} of a cancel", format_duration(grace)),
                            reason: "cancel",
                        });
                    }
                }
            }
        }
        .await;
        drop(progress);
        let slot = self.slot();
        match outcome {
            Ok(()) => {
                slot.failures = 0;
                // the label stays: stderr arrives apart from stdout, often after the answer
                if let Some(proc) = slot.proc.as_mut() {
                    proc.recent = index.into_keys().collect();
                }
            }
            Err(broken) => {
                for r in results.iter_mut().filter(|r| r.is_none()) {
                    *r = Some(Err(broken.error.clone()));
                }
                retire(&pool, slot, &broken.why, &label, broken.reason);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(HandlerError::retryable("no answer"))))
            .collect()
    }
}

/// The error of a child that died (or stopped talking) mid-request.
async fn crashed(proc: &mut Proc, what: &str) -> Broken {
    let status = tokio::time::timeout(Duration::from_secs(1), proc.child.wait()).await;
    let how = match status {
        Ok(Ok(st)) => format!("handler process exited ({})", describe_exit(st)),
        _ => format!("handler process {what}"),
    };
    // let its last words reach the tail
    let _ = tokio::time::timeout(Duration::from_millis(500), &mut proc.stderr).await;
    let message = format!("{how} while running the job{}", last_words(&proc.tail));
    Broken {
        error: HandlerError::retryable(message.clone()),
        why: message,
        reason: "crash",
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exit code {c}"),
        None => status.to_string(),
    }
}

/// `; last stderr: …` from the child's last stderr lines, when it wrote any.
fn last_words(tail: &Mutex<VecDeque<String>>) -> String {
    let lines = tail.lock().map(|t| t.clone()).unwrap_or_default();
    if lines.is_empty() {
        return String::new();
    }
    let joined = lines.into_iter().collect::<Vec<_>>().join(" | ");
    let mut cut: String = joined.chars().rev().take(600).collect();
    cut = cut.chars().rev().collect();
    format!("; last stderr: {cut}")
}

/// Reads stdout into lines, refusing any line over `limit` bytes (the reader then stops:
/// the child is out of step and will be restarted).
async fn read_lines(stdout: impl AsyncRead + Unpin, tx: mpsc::Sender<Read>, limit: usize) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = Vec::new();
    loop {
        let buf = match reader.fill_buf().await {
            Ok(b) => b,
            Err(e) => {
                let _ = tx.send(Read::Failed(e.to_string())).await;
                return;
            }
        };
        if buf.is_empty() {
            if !line.is_empty() {
                let _ = tx.send(Read::Line(std::mem::take(&mut line))).await;
            }
            let _ = tx.send(Read::Eof).await;
            return;
        }
        let (take, complete) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        if line.len() + take > limit {
            let _ = tx.send(Read::TooLong).await;
            return;
        }
        line.extend_from_slice(&buf[..take]);
        reader.consume(if complete { take + 1 } else { take });
        if complete {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if tx
                .send(Read::Line(std::mem::take(&mut line)))
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// Passes the child's stderr to the log, line by line, with the jobs it is running.
async fn log_stderr(
    stderr: impl AsyncRead + Unpin,
    slot: usize,
    pid: u32,
    label: Arc<Mutex<String>>,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // read_until would grow without bound on a line with no end: read in bounded steps
        let n = match (&mut reader)
            .take(STDERR_LINE as u64)
            .read_until(b'\n', &mut buf)
            .await
        {
            Ok(n) => n,
            Err(_) => return,
        };
        if n == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        let job = label.lock().map(|l| l.clone()).unwrap_or_default();
        let job = if job.is_empty() { "-".to_string() } else { job };
        tracing::info!(slot, pid, job = %job, "handler: {text}");
        if let Ok(mut t) = tail.lock() {
            if t.len() == STDERR_TAIL {
                t.pop_front();
            }
            t.push_back(text.chars().take(300).collect());
        }
    }
}

/// Stores progress without holding up the reading of the child's output: the latest
/// value per job wins, one store at a time.
#[derive(Default)]
struct ProgressForwarder {
    senders: HashMap<JobId, watch::Sender<(u8, Option<String>)>>,
}

impl ProgressForwarder {
    fn send(&mut self, job: &Job, percent: u8, message: Option<String>) {
        if let Some(tx) = self.senders.get(&job.id) {
            let _ = tx.send((percent, message));
            return;
        }
        let Some(reporter) = job.reporter.clone() else {
            return;
        };
        let (tx, rx) = watch::channel((percent, message));
        tokio::spawn(forward_progress(reporter, job.id.clone(), job.attempt, rx));
        self.senders.insert(job.id.clone(), tx);
    }
}

async fn forward_progress(
    reporter: Arc<ProgressReporter>,
    id: JobId,
    attempt: u32,
    mut rx: watch::Receiver<(u8, Option<String>)>,
) {
    loop {
        let (percent, message) = rx.borrow_and_update().clone();
        reporter
            .report(&id, attempt, percent, message.as_deref())
            .await;
        if rx.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell_without_one() {
        assert_eq!(
            split_command(r#"python3 -u "my handler.py" --name 'a b' x\ y"#).unwrap(),
            vec!["python3", "-u", "my handler.py", "--name", "a b", "x y"]
        );
        // no expansion, no pipes: these are plain words
        assert_eq!(
            split_command("echo $HOME | cat").unwrap(),
            vec!["echo", "$HOME", "|", "cat"]
        );
        assert!(split_command("python3 'unterminated").is_err());
        assert!(split_command("   ").is_err());
    }

    #[tokio::test]
    async fn reader_refuses_lines_over_the_limit() {
        let data: &[u8] = b"short\r\n0123456789abcdef\nnever read\n";
        let (tx, mut rx) = mpsc::channel(8);
        read_lines(data, tx, 10).await;
        assert!(matches!(rx.recv().await, Some(Read::Line(l)) if l == b"short"));
        assert!(matches!(rx.recv().await, Some(Read::TooLong)));
        assert!(rx.recv().await.is_none());
        let (tx, mut rx) = mpsc::channel(8);
        read_lines(&b"a\nlast"[..], tx, 10).await;
        assert!(matches!(rx.recv().await, Some(Read::Line(l)) if l == b"a"));
        assert!(matches!(rx.recv().await, Some(Read::Line(l)) if l == b"last"));
        assert!(matches!(rx.recv().await, Some(Read::Eof)));
    }
}
