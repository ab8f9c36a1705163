//! Drawing `mlqd top`: a pure function of a [`Snapshot`] and the [`ViewState`] (which queue
//! is selected, the last message), so it can be tested on ratatui's `TestBackend`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, TableState};

use super::snapshot::{QueueRow, RedisStats, Snapshot};
use crate::units::format_size;

/// What the user did to the view (not part of a snapshot).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    /// Index of the selected queue.
    pub selected: usize,
    /// The outcome of the last key action ("paused predict").
    pub message: Option<String>,
    /// Why the last refresh failed; the screen keeps the last good snapshot.
    pub error: Option<String>,
    /// Whether any snapshot arrived yet.
    pub loaded: bool,
}

impl ViewState {
    /// Keeps the selection inside the queue list.
    pub fn clamp(&mut self, queues: usize) {
        if queues == 0 {
            self.selected = 0;
        } else if self.selected >= queues {
            self.selected = queues - 1;
        }
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    pub fn down(&mut self, queues: usize) {
        if self.selected + 1 < queues {
            self.selected += 1;
        }
    }
}

/// Formats a rate for a table cell: `-` before rates are known.
/// The queues table's columns, in the live view and in `mlqd top --once`.
pub const QUEUE_COLUMNS: [&str; 10] = [
    "queue",
    "pending",
    "scheduled",
    "active",
    "retry",
    "dead",
    "ok/s",
    "failed/s",
    "paused",
    "limits",
];

/// One queue's row as text, in [`QUEUE_COLUMNS`] order.
pub fn queue_cells(q: &QueueRow) -> [String; 10] {
    [
        q.queue.clone(),
        q.pending.to_string(),
        q.scheduled.to_string(),
        q.active.to_string(),
        q.retry.to_string(),
        q.dead.to_string(),
        rate(q.succeeded_per_s),
        rate(q.failed_per_s),
        if q.paused { "yes" } else { "no" }.to_string(),
        crate::limits::QueueLimits::summary(q.limits.as_ref()),
    ]
}

pub fn rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// `redis 7.2.4 at redis://host:6379` (what is known of it).
pub fn redis_label(r: &RedisStats) -> String {
    let version = if r.version.is_empty() {
        "?"
    } else {
        r.version.as_str()
    };
    if r.url.is_empty() {
        format!("redis {version}")
    } else {
        format!("redis {version} at {}", r.url)
    }
}

/// What an empty namespace shows: where it looked, so a wrong URL or namespace is plain.
pub fn no_queues(snap: &Snapshot) -> String {
    format!(
        "no queues yet in {} (namespace {}): post a job with `mlqd post`",
        if snap.redis.url.is_empty() {
            "this redis"
        } else {
            snap.redis.url.as_str()
        },
        snap.namespace
    )
}

/// How long ago, for a heartbeat (`0.4s`, `12s`, `3m`).
pub fn age(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 120_000 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}m", ms / 60_000)
    }
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, snap: &Snapshot, state: &ViewState) {
    // the queue table as tall as its rows (within reason), the workers get the rest
    let queue_rows = (snap.queues.len() as u16).clamp(1, 20) + 3;
    let [header, queues, spark, workers, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(queue_rows),
        Constraint::Length(6),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    render_header(frame, header, snap, state);
    render_queues(frame, queues, snap, state);
    render_throughput(frame, spark, snap);
    render_workers(frame, workers, snap);
    render_footer(frame, footer, state);
}

fn render_header(frame: &mut Frame, area: Rect, snap: &Snapshot, state: &ViewState) {
    let leader = snap.leader.as_deref().unwrap_or("none");
    let first = Line::from(vec![
        Span::styled("mlqd top", Style::new().bold()),
        Span::raw(format!(
            "  namespace {}  ·  {}",
            snap.namespace,
            if state.loaded {
                snap.taken_at.as_str()
            } else {
                "connecting…"
            }
        )),
    ]);
    let second = Line::from(vec![
        Span::raw("reaper leader: "),
        Span::styled(
            leader.to_string(),
            if snap.leader.is_some() {
                Style::new().fg(Color::Green)
            } else {
                Style::new().fg(Color::Red)
            },
        ),
        Span::raw(format!(
            "  ·  {}: {} used, {} ops/s, {} clients",
            redis_label(&snap.redis),
            format_size(snap.redis.used_memory),
            snap.redis.ops_per_sec,
            snap.redis.connected_clients
        )),
    ]);
    let third = Line::from(schedules_line(snap));
    frame.render_widget(Paragraph::new(vec![first, second, third]), area);
}

/// `schedules: 2 · next: nightly → train at 2026-01-02T03:00:00.000Z` (or none).
pub fn schedules_line(snap: &Snapshot) -> String {
    match snap.next_schedule() {
        None => format!("schedules: {}", snap.schedules.len()),
        Some(s) => format!(
            "schedules: {} · next: {} → {} at {}",
            snap.schedules.len(),
            s.name,
            s.queue,
            s.next_run.as_deref().unwrap_or("-")
        ),
    }
}

fn render_queues(frame: &mut Frame, area: Rect, snap: &Snapshot, state: &ViewState) {
    let header = Row::new(QUEUE_COLUMNS.map(|h| Cell::from(h).bold()));
    let rows = snap.queues.iter().map(|q| {
        let mut cells = queue_cells(q).map(Cell::from);
        if q.dead > 0 {
            cells[5] = Cell::from(q.dead.to_string()).fg(Color::Red);
        }
        if q.paused {
            cells[8] = Cell::from("PAUSED").fg(Color::Yellow);
        }
        Row::new(cells)
    });
    let widths = [
        Constraint::Length(queue_width(snap)),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(7),
        // what is left: a long queue name keeps its width first
        Constraint::Fill(1),
    ];
    let title = format!(" queues ({}) ", snap.queues.len());
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::new().borders(Borders::ALL).title(title))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("▶ ");
    let mut ts = TableState::default();
    if !snap.queues.is_empty() {
        ts.select(Some(state.selected.min(snap.queues.len() - 1)));
    }
    frame.render_stateful_widget(table, area, &mut ts);
    if snap.queues.is_empty() && state.loaded {
        // the line below the header, inside the border
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: area.height.saturating_sub(3).min(1),
        };
        frame.render_widget(Paragraph::new(no_queues(snap)).dim(), inner);
    }
}

/// The queue column as wide as its longest name (the header at least), so the counts sit
/// next to the names instead of across the screen.
fn queue_width(snap: &Snapshot) -> u16 {
    let longest = snap
        .queues
        .iter()
        .map(|q| q.queue.chars().count())
        .max()
        .unwrap_or(0)
        .max(QUEUE_COLUMNS[0].len());
    u16::try_from(longest).unwrap_or(u16::MAX)
}

fn render_throughput(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    let now = snap.throughput.last().copied();
    let peak = snap.throughput.iter().copied().fold(0.0, f64::max);
    let title = format!(
        " throughput: {} jobs/s now, peak {} ",
        rate(now),
        rate(Some(peak))
    );
    let block = Block::new().borders(Borders::ALL).title(title);
    let width = block.inner(area).width as usize;
    let start = snap.throughput.len().saturating_sub(width);
    let data: Vec<u64> = snap.throughput[start..]
        .iter()
        .map(|v| v.round().max(0.0) as u64)
        .collect();
    let spark = Sparkline::default()
        .block(block)
        .data(&data)
        .style(Style::new().fg(Color::Cyan));
    frame.render_widget(spark, area);
}

fn render_workers(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    let header = Row::new(
        ["worker", "host", "queues", "busy", "handler", "heartbeat"].map(|h| Cell::from(h).bold()),
    );
    let rows = snap.workers.iter().map(|w| {
        let beat = Cell::from(format!("{} ago", age(w.heartbeat_age_ms)));
        let beat = if w.heartbeat_age_ms > 10_000 {
            beat.fg(Color::Red)
        } else {
            beat
        };
        Row::new(vec![
            Cell::from(w.id.clone()),
            Cell::from(w.host.clone()),
            Cell::from(w.queues.join(",")),
            Cell::from(format!("{}/{}", w.busy, w.concurrency)),
            Cell::from(w.handler.clone()),
            beat,
        ])
    });
    let widths = [
        Constraint::Min(20),
        Constraint::Length(16),
        Constraint::Min(10),
        Constraint::Length(9),
        Constraint::Length(14),
        Constraint::Length(12),
    ];
    let title = format!(" workers ({}) ", snap.workers.len());
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::new().borders(Borders::ALL).title(title));
    frame.render_widget(table, area);
}

/// The footer's key list, from [`super::KEYS`].
pub fn footer_keys() -> String {
    let mut out = String::new();
    for (keys, what, _) in super::KEYS {
        out.push_str(&format!("{keys} {what}  "));
    }
    out
}

fn render_footer(frame: &mut Frame, area: Rect, state: &ViewState) {
    let keys = Span::raw(footer_keys()).dim();
    let line = match (&state.error, &state.message) {
        (Some(e), _) => Line::from(vec![
            keys,
            Span::styled(format!("redis: {e}"), Style::new().fg(Color::Red)),
        ]),
        (None, Some(m)) => Line::from(vec![keys, Span::raw(m.clone())]),
        (None, None) => Line::from(keys),
    };
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::top::snapshot::{QueueRow, RedisStats, WorkerRow};

    fn sample() -> Snapshot {
        Snapshot {
            taken_at: "2026-01-02T03:04:05.000Z".into(),
            namespace: "mlqd".into(),
            queues: vec![
                QueueRow {
                    queue: "predict".into(),
                    pending: 1234,
                    active: 7,
                    dead: 2,
                    succeeded_per_s: Some(250.0),
                    failed_per_s: Some(0.5),
                    ..Default::default()
                },
                QueueRow {
                    queue: "train".into(),
                    scheduled: 3,
                    paused: true,
                    limits: Some(crate::limits::QueueLimits {
                        rate: Some("5/s".into()),
                        burst: Some(1),
                        max_active: Some(2),
                    }),
                    ..Default::default()
                },
            ],
            workers: vec![WorkerRow {
                id: "gpu-box-42-ab12".into(),
                host: "gpu-box".into(),
                queues: vec!["predict".into()],
                busy: 3,
                concurrency: 8,
                handler: "exec".into(),
                last_heartbeat: "2026-01-02T03:04:04.600Z".into(),
                heartbeat_age_ms: 400,
            }],
            leader: Some("gpu-box-42-ab12".into()),
            redis: RedisStats {
                url: "redis://127.0.0.1:6379".into(),
                version: "7.0.15".into(),
                used_memory: 3 * 1024 * 1024,
                ops_per_sec: 4321,
                connected_clients: 5,
            },
            throughput: vec![10.0, 120.0, 250.0],
            schedules: vec![crate::top::snapshot::ScheduleRow {
                name: "nightly".into(),
                queue: "etl".into(),
                when: "cron 0 3 * * *".into(),
                next_run: Some("2026-01-03T03:00:00.000Z".into()),
            }],
        }
    }

    fn draw(snap: &Snapshot, state: &ViewState) -> Vec<String> {
        let mut term = Terminal::new(TestBackend::new(110, 30)).expect("test terminal");
        term.draw(|f| render(f, snap, state)).expect("draw");
        let buf = term.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect()
    }

    fn line_with<'a>(screen: &'a [String], needle: &str) -> &'a str {
        screen
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}:\n{}", screen.join("\n")))
    }

    #[test]
    fn shows_queue_counts_rates_and_paused() {
        let state = ViewState {
            loaded: true,
            ..Default::default()
        };
        let screen = draw(&sample(), &state);
        let predict = line_with(&screen, "predict ");
        let cols: Vec<&str> = predict
            .split(|c: char| c.is_whitespace() || c == '│' || c == '▶')
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(
            cols,
            [
                "predict", "1234", "0", "7", "0", "2", "250", "0.5", "no", "-"
            ],
            "{predict}"
        );
        let train = line_with(&screen, "train");
        assert!(train.contains("PAUSED"), "{train}");
        assert!(train.contains("rate 5/s · max active 2"), "{train}");
        // the first queue is selected
        assert!(predict.contains('▶'), "{predict}");
    }

    #[test]
    fn shows_workers_leader_redis_and_throughput() {
        let state = ViewState {
            loaded: true,
            ..Default::default()
        };
        let screen = draw(&sample(), &state);
        let w = line_with(&screen, "3/8");
        assert!(
            w.contains("gpu-box-42-ab12") && w.contains("exec") && w.contains("0.4s ago"),
            "{w}"
        );
        assert!(line_with(&screen, "reaper leader").contains("gpu-box-42-ab12"));
        let redis = line_with(&screen, "redis 7.0.15");
        assert!(
            redis.contains("3.0 MiB used") && redis.contains("4321 ops/s"),
            "{redis}"
        );
        assert!(line_with(&screen, "throughput").contains("250 jobs/s now"));
        assert!(
            line_with(&screen, "schedules: 1")
                .contains("next: nightly → etl at 2026-01-03T03:00:00.000Z")
        );
    }

    #[test]
    fn selection_moves_and_stays_in_range() {
        let mut state = ViewState {
            loaded: true,
            ..Default::default()
        };
        state.down(2);
        let screen = draw(&sample(), &state);
        assert!(line_with(&screen, "train").contains('▶'));
        assert!(!line_with(&screen, "predict ").contains('▶'));
        state.down(2);
        assert_eq!(state.selected, 1);
        state.up();
        state.up();
        assert_eq!(state.selected, 0);
        state.selected = 5;
        state.clamp(2);
        assert_eq!(state.selected, 1);
    }

    #[test]
    fn shows_errors_and_empty_namespaces() {
        let state = ViewState {
            loaded: true,
            error: Some("connection refused".into()),
            ..Default::default()
        };
        let screen = draw(&Snapshot::default(), &state);
        assert!(line_with(&screen, "Ctrl-C quit").contains("redis: connection refused"));
        line_with(&screen, "no queues yet");
        assert!(line_with(&screen, "reaper leader").contains("none"));
    }

    #[test]
    fn footer_shows_every_key() {
        let state = ViewState {
            loaded: true,
            ..Default::default()
        };
        let screen = draw(&sample(), &state);
        let footer = screen.last().unwrap();
        for (keys, what, _) in crate::top::KEYS {
            assert!(footer.contains(&format!("{keys} {what}")), "{footer}");
        }
    }

    #[test]
    fn queue_column_is_as_wide_as_the_longest_name() {
        let state = ViewState {
            loaded: true,
            ..Default::default()
        };
        let gap_after = |snap: &Snapshot, name: &str| {
            let screen = draw(snap, &state);
            let line = line_with(&screen, &format!("{name} ")).to_string();
            let after = &line[line.find(name).unwrap() + name.len()..];
            after.len() - after.trim_start().len()
        };
        // "predict" (7) is the longest name: one column gap, then the counts
        let snap = sample();
        assert!(
            gap_after(&snap, "predict") <= 2,
            "the counts drift away from the names"
        );
        let mut long = sample();
        long.queues[1].queue = "a-queue-with-a-rather-long-name".into();
        let screen = draw(&long, &state);
        let row = line_with(&screen, "a-queue-with-a-rather-long-name");
        assert!(row.contains("PAUSED"), "a long name is not cut: {row}");
        assert!(gap_after(&long, "a-queue-with-a-rather-long-name") <= 2);
    }

    #[test]
    fn formats_rates_and_ages() {
        assert_eq!(rate(None), "-");
        assert_eq!(rate(Some(0.25)), "0.2");
        assert_eq!(rate(Some(12_345.6)), "12346");
        assert_eq!(age(400), "0.4s");
        assert_eq!(age(45_000), "45s");
        assert_eq!(age(600_000), "10m");
    }
}
