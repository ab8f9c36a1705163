//! `--exec CMD`: a pool of long-lived child processes, one per concurrency slot, so a model
//! loads once per slot and then serves job after job over JSON Lines (see `protocol.rs`).
//!
//! The pool survives every way a child can misbehave. A crash, a malformed line, an answer
//! for a job it was not given, or a line longer than `--max-result` allows fails only the
//! jobs that child was running, with an error saying what happened; the child is then
//! stopped (SIGTERM to its process group, SIGKILL after the grace) and started again after
//! a backoff. A job whose handler future is dropped (timeout, or a cancel the child
//! ignored) stops its child the same way, so no process outlives its job's limits.
//!
//! Layout: `pool` (the slots, starting, restarting and stopping children), `exchange` (one
//! request on a child: the job lines out, the answers in), `io` (the child's stdout and
//! stderr readers).

mod exchange;
mod io;
mod pool;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::{Handler, HandlerError, HandlerResult, Job};
use crate::error::{Error, Result};
use pool::Pool;

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

impl ExecHandler {
    /// Starts one child per slot now, so models load before the first job arrives. Fails
    /// when the command cannot be started at all (not found, not executable).
    pub async fn start(config: ExecConfig) -> Result<Self> {
        if config.argv.is_empty() {
            return Err(Error::invalid("--exec needs a command"));
        }
        let pool = Pool::start(config)?;
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
    fn may_kill_the_worker(&self) -> bool {
        true
    }

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
}
