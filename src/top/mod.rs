//! `mlqd top`: a live full-screen view of queues, workers, throughput and the reaper leader.
//!
//! - `snapshot`: what is shown, as plain data ([`Snapshot`]), and the [`Collector`] that
//!   reads it from Redis through the broker;
//! - `view`: drawing, a pure function of a snapshot and the [`ViewState`];
//! - here: the terminal loop. A collector task sends a snapshot every interval, keys move
//!   the selection and pause or resume the selected queue, and the terminal is restored on
//!   every way out: quit, SIGTERM, an error, or a panic (a panic hook restores it before the
//!   message is printed).

pub mod snapshot;
pub mod view;

use std::io::Stdout;
use std::sync::Once;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use snapshot::{Collector, QueueRow, RedisStats, ScheduleRow, Snapshot, WorkerRow};
pub use view::{ViewState, render};

use crate::broker::Broker;
use crate::error::{Error, Result};
use crate::job::QueueName;

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    /// Pause the selected queue, or resume it when paused.
    TogglePause,
    /// Refresh now.
    Refresh,
}

/// Every key of the live view: (keys, what they do in the footer, what they do in
/// `mlqd top --help`). [`action`] maps them; the footer and the help show them all (tests
/// hold both to this table).
pub const KEYS: [(&str, &str, &str); 4] = [
    ("q/Esc/Ctrl-C", "quit", "quit"),
    ("↑/↓ k/j", "select", "select a queue"),
    (
        "p/space",
        "pause/resume",
        "pause the selected queue, or resume it",
    ),
    ("r", "refresh", "refresh now"),
];

/// The key map: see [`KEYS`].
pub fn action(key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Action::Quit),
        KeyCode::Char('q') | KeyCode::Esc => Some(Action::Quit),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
        KeyCode::Char('p') | KeyCode::Char(' ') => Some(Action::TogglePause),
        KeyCode::Char('r') => Some(Action::Refresh),
        _ => None,
    }
}

/// Puts the terminal back: cooked mode, main screen, visible cursor. Safe to call twice.
fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = execute!(std::io::stdout(), LeaveAlternateScreen, cursor::Show);
}

/// Owns the full-screen terminal; restores it when dropped, and (through a panic hook
/// installed once) when anything panics while it is up.
struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    fn enter() -> Result<Self> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        let io = |e: std::io::Error| Error::invalid(format!("cannot use the terminal: {e}"));
        crossterm::terminal::enable_raw_mode().map_err(io)?;
        let mut out = std::io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, cursor::Hide) {
            restore_terminal();
            return Err(io(e));
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(e) => {
                restore_terminal();
                Err(io(e))
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore_terminal();
    }
}

enum Msg {
    Snapshot(Result<Snapshot>),
    Done(Result<String>),
}

/// Runs the live view until the user quits or `shutdown` fires.
pub async fn run(broker: Broker, interval: Duration, shutdown: CancellationToken) -> Result<()> {
    let mut screen = Screen::enter()?;
    let (tx, mut rx) = mpsc::channel::<Msg>(8);
    let refresh = std::sync::Arc::new(tokio::sync::Notify::new());
    let stop = shutdown.child_token();
    let _stop_collector = stop.clone().drop_guard();
    {
        let tx = tx.clone();
        let refresh = refresh.clone();
        let stop = stop.clone();
        let mut collector = Collector::new(broker.clone());
        tokio::spawn(async move {
            loop {
                let snap = collector.collect().await;
                if tx.send(Msg::Snapshot(snap)).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(interval) => {}
                    _ = refresh.notified() => {}
                }
            }
        });
    }
    let mut events = EventStream::new();
    let mut snap = Snapshot {
        namespace: broker.keys().namespace().to_string(),
        ..Default::default()
    };
    let mut state = ViewState::default();
    let draw_error = |e: std::io::Error| Error::invalid(format!("cannot draw: {e}"));
    loop {
        state.clamp(snap.queues.len());
        screen
            .terminal
            .draw(|f| render(f, &snap, &state))
            .map_err(draw_error)?;
        tokio::select! {
            _ = shutdown.cancelled() => break,
            msg = rx.recv() => match msg {
                Some(Msg::Snapshot(Ok(s))) => {
                    snap = s;
                    state.loaded = true;
                    state.error = None;
                    #[cfg(debug_assertions)]
                    if std::env::var_os("MLQD_TOP_TEST_PANIC").is_some() {
                        // debug builds only: lets a test check the terminal comes back after a panic
                        panic!("MLQD_TOP_TEST_PANIC is set");
                    }
                }
                Some(Msg::Snapshot(Err(e))) => state.error = Some(e.to_string()),
                Some(Msg::Done(Ok(m))) => {
                    state.message = Some(m);
                    refresh.notify_one();
                }
                Some(Msg::Done(Err(e))) => state.message = Some(format!("failed: {e}")),
                None => return Err(Error::Protocol("the snapshot reader stopped".into())),
            },
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => match action(key) {
                    Some(Action::Quit) => break,
                    Some(Action::Up) => state.up(),
                    Some(Action::Down) => state.down(snap.queues.len()),
                    Some(Action::Refresh) => refresh.notify_one(),
                    Some(Action::TogglePause) => {
                        if let Some(q) = snap.queues.get(state.selected) {
                            let pause = !q.paused;
                            let name = q.queue.clone();
                            state.message = Some(format!(
                                "{} {name}…",
                                if pause { "pausing" } else { "resuming" }
                            ));
                            let broker = broker.clone();
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                let done = toggle(&broker, &name, pause).await;
                                let _ = tx.send(Msg::Done(done)).await;
                            });
                        }
                    }
                    None => {}
                },
                Some(Ok(_)) => {} // resize and the rest: the next draw adapts
                Some(Err(e)) => return Err(Error::invalid(format!("cannot read the terminal: {e}"))),
                None => break,
            },
        }
    }
    drop(screen);
    Ok(())
}

async fn toggle(broker: &Broker, queue: &str, pause: bool) -> Result<String> {
    let q = QueueName::new(queue)?;
    if pause {
        broker.pause(&q).await?;
        Ok(format!("paused {queue}"))
    } else {
        broker.resume(&q).await?;
        Ok(format!("resumed {queue}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_actions() {
        let none = KeyModifiers::NONE;
        assert_eq!(action(key(KeyCode::Char('q'), none)), Some(Action::Quit));
        assert_eq!(action(key(KeyCode::Esc, none)), Some(Action::Quit));
        assert_eq!(
            action(key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(action(key(KeyCode::Char('c'), none)), None);
        assert_eq!(action(key(KeyCode::Down, none)), Some(Action::Down));
        assert_eq!(action(key(KeyCode::Char('k'), none)), Some(Action::Up));
        assert_eq!(
            action(key(KeyCode::Char('p'), none)),
            Some(Action::TogglePause)
        );
        let mut release = key(KeyCode::Char('q'), none);
        release.kind = KeyEventKind::Release;
        assert_eq!(action(release), None);
    }
}
