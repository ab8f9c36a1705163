//! One request on a child: write the job (or batch) line, then read answers until every
//! job has its final line, the child breaks, or every job is stopped and the child does not
//! comply within the grace.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio::time::Instant;

use super::io::{Read, describe_exit, last_words};
use super::pool::{Proc, SlotGuard, retire};
use crate::job::JobId;
use crate::units::format_duration;
use crate::worker::handler::{HandlerError, HandlerResult, Job, ProgressReporter};
use crate::worker::protocol::{self, Reply};

/// How one request ended, when the child cannot go on.
struct Broken {
    /// The error every unanswered job of the request gets.
    error: HandlerError,
    /// Why the child is stopped, for the log.
    why: String,
    reason: &'static str,
}

impl SlotGuard {
    /// Sends the request and reads answers until every job has its final line, the child
    /// breaks, or every job is stopped and the child does not comply within the grace.
    pub(super) async fn exchange(&mut self, jobs: &[Job]) -> Vec<HandlerResult> {
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
                            if proc.recent.contains(reply.id()) && matches!(reply, Reply::Progress { .. } | Reply::Stream { .. }) {
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
                            Reply::Stream { data, .. } => {
                                if results[i].is_none() {
                                    jobs[i].emit(data);
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
