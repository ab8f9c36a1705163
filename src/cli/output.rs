//! How commands print: tables for people, JSON for machines, a progress bar while waiting,
//! raw bytes for results.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::job::{JobStatus, QueueStats};

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints one line on stdout (an error, not a panic, when stdout is closed).
pub fn line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// Writes raw bytes to stdout.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    // a JSON result printed to a terminal ends with a newline, for the prompt's sake
    if std::io::stdout().is_terminal() && !bytes.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn table(builder: Builder) -> String {
    let mut t = builder.build();
    t.with(Style::rounded());
    t.to_string()
}

fn or_dash(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

/// A job's status as a two-column table, followed by its attempt history.
pub fn status_table(s: &JobStatus) -> String {
    let mut b = Builder::default();
    let progress = s
        .progress
        .as_ref()
        .map(|p| match &p.message {
            Some(m) => format!("{}% {m}", p.percent),
            None => format!("{}%", p.percent),
        })
        .unwrap_or_else(|| "-".into());
    let rows: Vec<(&str, String)> = vec![
        ("id", s.id.clone()),
        ("queue", s.queue.clone()),
        ("state", s.state.to_string()),
        ("progress", progress),
        (
            "attempts",
            format!(
                "{} (failures {}/{} retries, lost leases {}/{})",
                s.attempts, s.failures, s.max_retries, s.stalls, s.max_stalls
            ),
        ),
        ("priority", s.priority.to_string()),
        ("created", s.created_at.clone()),
        ("run at", or_dash(s.run_at.as_deref())),
        ("started", or_dash(s.started_at.as_deref())),
        ("finished", or_dash(s.finished_at.as_deref())),
        ("worker", or_dash(s.worker.as_deref())),
        ("error", or_dash(s.error.as_deref())),
        ("content type", s.content_type.clone()),
    ];
    for (k, v) in rows {
        b.push_record([k.to_string(), v]);
    }
    let mut out = table(b);
    if !s.history.is_empty() {
        let mut h = Builder::default();
        h.push_record(["#", "worker", "started", "finished", "outcome", "error"]);
        for (i, a) in s.history.iter().enumerate() {
            h.push_record([
                (i + 1).to_string(),
                a.worker.clone(),
                a.started_at.clone(),
                or_dash(a.finished_at.as_deref()),
                serde_json::to_value(a.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                or_dash(a.error.as_deref()),
            ]);
        }
        out.push_str("\nhistory\n");
        out.push_str(&table(h));
    }
    out
}

/// One row per queue.
pub fn queues_table(queues: &[QueueStats]) -> String {
    let mut b = Builder::default();
    b.push_record([
        "queue",
        "pending",
        "scheduled",
        "active",
        "retry",
        "dead",
        "paused",
        "enqueued",
        "succeeded",
        "failed",
    ]);
    for q in queues {
        b.push_record([
            q.queue.clone(),
            q.pending.to_string(),
            q.scheduled.to_string(),
            q.active.to_string(),
            q.retry.to_string(),
            q.dead.to_string(),
            if q.paused { "yes".into() } else { "no".into() },
            q.totals.enqueued.to_string(),
            q.totals.succeeded.to_string(),
            q.totals.failed.to_string(),
        ]);
    }
    table(b)
}

/// Dead jobs, one per row.
pub fn dead_table(jobs: &[JobStatus]) -> String {
    let mut b = Builder::default();
    b.push_record(["id", "died", "attempts", "error"]);
    for j in jobs {
        let mut err = j.error.clone().unwrap_or_default();
        if err.chars().count() > 80 {
            err = err.chars().take(77).collect::<String>() + "...";
        }
        b.push_record([
            j.id.clone(),
            or_dash(j.finished_at.as_deref()),
            j.attempts.to_string(),
            err,
        ]);
    }
    table(b)
}

/// A progress bar on stderr while waiting for a job, only when stderr is a terminal.
pub struct WaitBar {
    bar: Option<ProgressBar>,
}

impl WaitBar {
    pub fn new(id: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(100);
            let style = ProgressStyle::with_template(
                "{spinner} {prefix} [{bar:30}] {pos:>3}% {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(id.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        WaitBar { bar }
    }

    pub fn update(&self, s: &JobStatus) {
        if let Some(bar) = &self.bar {
            if let Some(p) = &s.progress {
                bar.set_position(u64::from(p.percent));
            }
            let msg = match s.progress.as_ref().and_then(|p| p.message.as_deref()) {
                Some(m) => format!("{} · {m}", s.state),
                None => s.state.to_string(),
            };
            bar.set_message(msg);
            if s.state == crate::job::JobState::Succeeded {
                bar.set_position(100);
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
