//! `mlqd workers`: the live workers in the registry.

use clap::Args;
use tabled::builder::Builder;
use tabled::settings::Style;

use super::GlobalArgs;
use super::output::{line, print_json};
use crate::broker::Broker;

#[derive(Debug, Args)]
pub struct WorkersArgs {
    /// Print JSON
    #[arg(long, env = "MLQD_JSON")]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, a: WorkersArgs) -> anyhow::Result<u8> {
    let broker = Broker::new(super::broker_config(g))?;
    let workers = broker.workers().await?;
    if a.json {
        print_json(&workers)?;
        return Ok(super::exit::OK);
    }
    if workers.is_empty() {
        line(format_args!(
            "no workers are running in {}",
            super::read_from(g)
        ))?;
        return Ok(super::exit::OK);
    }
    let mut b = Builder::default();
    b.push_record([
        "id",
        "host",
        "pid",
        "queues",
        "busy",
        "handler",
        "started",
        "last heartbeat",
    ]);
    for w in &workers {
        b.push_record([
            w.id.clone(),
            w.host.clone(),
            w.pid.to_string(),
            w.queues.join(","),
            format!("{}/{}", w.in_flight, w.concurrency),
            w.handler.clone(),
            w.started_at.clone(),
            w.last_heartbeat.clone(),
        ]);
    }
    let mut t = b.build();
    t.with(Style::rounded());
    line(t)?;
    Ok(super::exit::OK)
}
