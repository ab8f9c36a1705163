//! Heartbeater: keeps this worker in the registry (`mlqd workers`, `GET /v1/workers`) and
//! proves it alive, so the reaper can requeue a dead worker's jobs without waiting for their
//! leases. Leaves the registry on a clean exit.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::backoff::pause;
use crate::broker::WorkerInfo;

pub(crate) struct Heartbeater {
    shared: Arc<Shared>,
    started_ms: i64,
}

impl Heartbeater {
    pub fn new(shared: Arc<Shared>) -> Self {
        Heartbeater {
            shared,
            started_ms: 0,
        }
    }

    pub async fn run(mut self, stop: CancellationToken) {
        self.started_ms = match self.shared.broker.time_ms().await {
            Ok(t) => t,
            Err(_) => (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
        };
        loop {
            self.tick().await;
            if !pause(&stop, self.shared.config.heartbeat).await {
                break;
            }
        }
        let id = self.shared.config.id.clone();
        if let Err(e) = self.shared.broker.worker_leave(&[id]).await {
            tracing::debug!(error = %e, "could not leave the worker registry");
        }
    }

    fn info(&self) -> WorkerInfo {
        let c = &self.shared.config;
        WorkerInfo {
            id: c.id.clone(),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            pid: std::process::id(),
            queues: c.queues.iter().map(|q| q.to_string()).collect(),
            concurrency: c.concurrency as u32,
            in_flight: self.shared.inflight().len() as u32,
            handler: c.handler_name.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_ms: self.started_ms,
            seen_ms: 0,
            started_at: String::new(),
            last_heartbeat: String::new(),
        }
    }

    async fn tick(&self) {
        let ttl = self.shared.config.heartbeat * 5;
        if let Err(e) = self.shared.broker.heartbeat(&self.info(), ttl).await {
            tracing::debug!(error = %e, "heartbeat failed");
        }
    }
}
