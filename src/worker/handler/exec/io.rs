//! The child's pipes: stdout read into bounded lines, stderr passed to the log (its last
//! lines kept to explain a crash).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::mpsc;

/// Longest stderr line passed to the log (longer ones are cut).
const STDERR_LINE: usize = 16 * 1024;
/// Stderr lines kept to explain a crash.
const STDERR_TAIL: usize = 5;

/// What the stdout reader saw.
pub(super) enum Read {
    Line(Vec<u8>),
    TooLong,
    Eof,
    Failed(String),
}

pub(super) fn describe_exit(status: std::process::ExitStatus) -> String {
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
pub(super) fn last_words(tail: &Mutex<VecDeque<String>>) -> String {
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
pub(super) async fn read_lines(
    stdout: impl AsyncRead + Unpin,
    tx: mpsc::Sender<Read>,
    limit: usize,
) {
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
pub(super) async fn log_stderr(
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

#[cfg(test)]
mod tests {
    use super::*;

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
