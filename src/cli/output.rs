//! How commands print: tables for people, JSON for machines, a progress bar while waiting,
//! raw bytes for results.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
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
        "cancelled",
        "paused",
        "enqueued",
        "succeeded",
        "failed",
        "limits",
    ]);
    for q in queues {
        b.push_record([
            q.queue.clone(),
            q.pending.to_string(),
            q.scheduled.to_string(),
            q.active.to_string(),
            q.retry.to_string(),
            q.dead.to_string(),
            q.totals.cancelled.to_string(),
            if q.paused { "yes".into() } else { "no".into() },
            q.totals.enqueued.to_string(),
            q.totals.succeeded.to_string(),
            q.totals.failed.to_string(),
            crate::limits::QueueLimits::summary(q.limits.as_ref()),
        ]);
    }
    table(b)
}

/// Jobs of one state, one per row: the times that matter for where they are.
pub fn jobs_table(jobs: &[JobStatus]) -> String {
    let mut b = Builder::default();
    b.push_record([
        "id", "state", "priority", "attempts", "created", "due", "started", "finished", "error",
    ]);
    for j in jobs {
        let mut err = j.error.clone().unwrap_or_default();
        if err.chars().count() > 60 {
            err = err.chars().take(57).collect::<String>() + "...";
        }
        b.push_record([
            j.id.clone(),
            j.state.to_string(),
            j.priority.to_string(),
            j.attempts.to_string(),
            j.created_at.clone(),
            or_dash(j.run_at.as_deref()),
            or_dash(j.started_at.as_deref()),
            or_dash(j.finished_at.as_deref()),
            if err.is_empty() { "-".into() } else { err },
        ]);
    }
    table(b)
}

/// Schedules, one per row.
pub fn schedules_table(list: &[crate::schedule::Schedule]) -> String {
    let mut b = Builder::default();
    b.push_record(["name", "when", "queue", "next run", "last run", "last job"]);
    for s in list {
        let when = match (&s.every, &s.cron, &s.tz) {
            (Some(e), _, _) => format!("every {e}"),
            (_, Some(c), Some(tz)) => format!("cron {c} ({tz})"),
            (_, Some(c), None) => format!("cron {c}"),
            _ => "-".into(),
        };
        b.push_record([
            s.name.clone(),
            when,
            s.queue.clone(),
            or_dash(s.next_run.as_deref()),
            or_dash(s.last_run.as_deref()),
            or_dash(s.last_job.as_deref()),
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

/// A progress bar on stderr while waiting for a job, only when stderr is a terminal. It
/// never outgrows the terminal's width (a long progress message is cut, so the line never
/// wraps and redraws cleanly), and it stays on screen at 100% when the job succeeds.
#[derive(Clone)]
pub struct WaitBar {
    bar: Option<ProgressBar>,
}

impl WaitBar {
    pub fn new() -> Self {
        if std::io::stderr().is_terminal() {
            Self::to(ProgressDrawTarget::stderr())
        } else {
            WaitBar { bar: None }
        }
    }

    /// A bar drawn on `target` (tests draw on a recording terminal).
    pub fn to(target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(Some(100), target);
        // the only part of variable width is the message, which takes what is left
        let style =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {elapsed:>4} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        WaitBar { bar: Some(bar) }
    }

    pub fn update(&self, s: &JobStatus) {
        if let Some(bar) = &self.bar {
            if let Some(p) = &s.progress {
                bar.set_position(u64::from(p.percent.min(100)));
            }
            let msg = match s.progress.as_ref().and_then(|p| p.message.as_deref()) {
                Some(m) => format!("{} · {}", s.state, one_line(m)),
                None => s.state.to_string(),
            };
            bar.set_message(msg);
            if s.state == crate::job::JobState::Succeeded {
                bar.set_position(100);
            }
        }
    }

    /// One line on stderr, above the bar when there is one.
    pub fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Ends the bar: left on screen at 100% when the job succeeded, else cleared (the
    /// error that follows says why).
    pub fn finish(&self, succeeded: bool) {
        if let Some(bar) = &self.bar {
            if succeeded {
                bar.set_position(100);
                bar.finish_with_message("succeeded");
            } else {
                bar.finish_and_clear();
            }
        }
    }
}

impl Default for WaitBar {
    fn default() -> Self {
        Self::new()
    }
}

/// A progress message on one line (a newline in it would break the bar's redraw).
fn one_line(m: &str) -> String {
    m.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;
    use crate::job::{JobState, Progress};

    /// A terminal `width` columns wide that keeps every line drawn on it.
    #[derive(Debug, Clone)]
    struct Recorder {
        width: u16,
        lines: Arc<Mutex<Vec<String>>>,
    }

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if !s.trim().is_empty() {
                self.lines.lock().unwrap().push(s.to_string());
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn status(state: JobState, percent: u8, message: &str) -> JobStatus {
        let mut s: JobStatus = serde_json::from_value(serde_json::json!({
            "id": "a-rather-long-queue-name-for-a-model-that-trains-for-hours.01JDX3ABCDEFGHJKMNPQRSTVWX",
            "queue": "q", "state": "pending", "priority": 0, "attempts": 1, "failures": 0,
            "max_retries": 3, "stalls": 0, "max_stalls": 3, "created_at": "2026-01-01T00:00:00.000Z",
            "content_type": "application/json", "result_ttl": "24h", "history": []
        }))
        .unwrap();
        s.state = state;
        s.progress = Some(Progress {
            percent,
            message: Some(message.to_string()),
        });
        s
    }

    #[test]
    fn wait_bar_fits_120_columns_and_ends_at_100_percent() {
        let term = Recorder {
            width: 120,
            lines: Arc::default(),
        };
        let bar = WaitBar::to(indicatif::ProgressDrawTarget::term_like_with_hz(
            Box::new(term.clone()),
            100,
        ));
        let long = "epoch 12/30, loss 0.0123, accuracy 0.9876, learning rate 0.001, \n\
                    validation loss 0.0456, validation accuracy 0.9512, time per epoch 12.3 s";
        bar.update(&status(JobState::Active, 40, long));
        std::thread::sleep(std::time::Duration::from_millis(30));
        bar.update(&status(JobState::Active, 97, long));
        bar.finish(true);
        let lines = term.lines.lock().unwrap().clone();
        assert!(!lines.is_empty());
        for l in &lines {
            let cols = console_width(l);
            assert!(cols <= 120, "{cols} columns: {l:?}");
            assert!(!l.contains('\n'), "{l:?}");
        }
        let last = lines.last().unwrap();
        assert!(
            last.contains("100%") && last.contains("succeeded"),
            "{last}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("40%") && l.contains("epoch 12/30"))
        );
    }

    /// Display width, ignoring ANSI escapes.
    fn console_width(s: &str) -> usize {
        let mut n = 0;
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (false, '\x1b') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, _) => n += 1,
            }
        }
        n
    }
}
