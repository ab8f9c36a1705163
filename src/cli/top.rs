//! `mlqd top`: the live view on a terminal; one snapshot (tables, or JSON with `--json`)
//! with `--once`, or when stdout is not a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use tabled::builder::Builder;
use tabled::settings::Style;

use super::GlobalArgs;
use super::output::{line, print_json};
use crate::broker::Broker;
use crate::top::{self, Collector, Snapshot};
use crate::units::{duration_arg, format_size};

/// `mlqd top --help`'s description, with the keys of the live view (as [`top::KEYS`]
/// lists them; a test holds the two together).
pub const LONG_ABOUT: &str = "Live view of queues, workers, throughput and the reaper leader.

Keys in the live view:
  q/Esc/Ctrl-C   quit
  ↑/↓ k/j        select a queue
  p/space        pause the selected queue, or resume it
  r              refresh now

When stdout is not a terminal (a pipe, cron, CI), or with --once or --json, it prints one \
snapshot and exits.";

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Print one snapshot (tables) and exit; the default when stdout is not a terminal
    #[arg(long, env = "MLQD_ONCE")]
    pub once: bool,
    /// Print one snapshot as JSON and exit
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
    /// Time between refreshes (also the window the rates of a one-off snapshot cover)
    #[arg(long, env = "MLQD_INTERVAL", value_parser = duration_arg, default_value = "1s")]
    pub interval: Duration,
}

pub async fn run(g: &GlobalArgs, a: TopArgs) -> anyhow::Result<u8> {
    if a.interval < Duration::from_millis(100) {
        return Err(crate::Error::invalid("--interval must be at least 100ms").into());
    }
    let mut config = super::broker_config(g);
    // a view should say "unreachable" quickly rather than freeze
    config.op_timeout = Duration::from_secs(2);
    let broker = Broker::new(config)?;
    if a.once || a.json || !std::io::stdout().is_terminal() {
        let snap = one_snapshot(broker, a.interval).await?;
        if a.json {
            print_json(&snap)?;
        } else {
            line(snapshot_text(&snap))?;
        }
        return Ok(super::exit::OK);
    }
    let shutdown = super::shutdown_on_signals();
    top::run(broker, a.interval, shutdown).await?;
    Ok(super::exit::OK)
}

/// Two reads `interval` apart, so the rates are real.
async fn one_snapshot(broker: Broker, interval: Duration) -> crate::Result<Snapshot> {
    let mut c = Collector::new(broker);
    c.collect().await?;
    tokio::time::sleep(interval).await;
    c.collect().await
}

/// The snapshot as text: a summary line, the queues table and the workers table.
pub fn snapshot_text(s: &Snapshot) -> String {
    let mut out = format!(
        "mlqd top · namespace {} · {}\nreaper leader: {} · {}: {} used, {} ops/s, {} clients · {} jobs/s succeeded\n",
        s.namespace,
        s.taken_at,
        s.leader.as_deref().unwrap_or("none"),
        top::view::redis_label(&s.redis),
        format_size(s.redis.used_memory),
        s.redis.ops_per_sec,
        s.redis.connected_clients,
        top::view::rate(s.succeeded_per_s()),
    );
    if s.queues.is_empty() {
        out.push_str(&top::view::no_queues(s));
        out.push('\n');
    } else {
        let mut b = Builder::default();
        b.push_record(top::view::QUEUE_COLUMNS);
        for q in &s.queues {
            b.push_record(top::view::queue_cells(q));
        }
        let mut t = b.build();
        t.with(Style::rounded());
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !s.schedules.is_empty() {
        let mut b = Builder::default();
        b.push_record(["schedule", "when", "queue", "next run"]);
        for r in &s.schedules {
            b.push_record([
                r.name.clone(),
                r.when.clone(),
                r.queue.clone(),
                r.next_run.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        let mut t = b.build();
        t.with(Style::rounded());
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if s.workers.is_empty() {
        out.push_str("no workers are running");
    } else {
        let mut b = Builder::default();
        b.push_record(["worker", "host", "queues", "busy", "handler", "heartbeat"]);
        for w in &s.workers {
            b.push_record([
                w.id.clone(),
                w.host.clone(),
                w.queues.join(","),
                format!("{}/{}", w.busy, w.concurrency),
                w.handler.clone(),
                format!("{} ago", top::view::age(w.heartbeat_age_ms)),
            ]);
        }
        let mut t = b.build();
        t.with(Style::rounded());
        out.push_str(&t.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn help_lists_every_key_of_the_live_view() {
        let mut cmd = super::super::Cli::command();
        let help = cmd
            .find_subcommand_mut("top")
            .unwrap()
            .render_long_help()
            .to_string();
        for (keys, _, what) in crate::top::KEYS {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(keys))
                .unwrap_or_else(|| panic!("no {keys:?} in:\n{help}"));
            assert!(line.ends_with(what), "{line}");
        }
    }
}
