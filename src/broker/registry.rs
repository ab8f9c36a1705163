//! The worker registry (heartbeats, who is alive) and the reaper leadership. The registry's
//! keys share one hash tag, so its scripts and pipelines stay on one slot.

use std::collections::HashMap;
use std::time::Duration;

use super::scripts::{HEARTBEAT, LEADER_ACQUIRE, LEADER_RELEASE, LEADER_RENEW, WORKER_LEAVE};
use super::{Broker, WorkerInfo, reply};
use crate::error::Result;

impl Broker {
    /// Records a worker's heartbeat and description; the description expires after `ttl`
    /// unless renewed.
    pub async fn heartbeat(&self, info: &WorkerInfo, ttl: Duration) -> Result<()> {
        let k = self.keys.registry(&info.id);
        let mut call = HEARTBEAT.call(&k);
        call.arg(info.id.as_str()).arg(ttl.as_millis() as u64);
        let queues = info.queues.join(",");
        for (k, v) in [
            ("host", info.host.as_str()),
            ("queues", queues.as_str()),
            ("handler", info.handler.as_str()),
            ("version", info.version.as_str()),
        ] {
            call.arg(k).arg(v);
        }
        call.arg("pid")
            .arg(info.pid)
            .arg("concurrency")
            .arg(info.concurrency)
            .arg("in_flight")
            .arg(info.in_flight)
            .arg("started")
            .arg(info.started_ms);
        self.conn.invoke(call.invocation()).await?;
        Ok(())
    }

    /// Takes workers out of the registry.
    pub async fn worker_leave(&self, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut call = WORKER_LEAVE.call_with(&self.keys, ids.iter().map(String::as_str));
        for id in ids {
            call.arg(id.as_str());
        }
        Ok(reply::int(&self.conn.invoke(call.invocation()).await?)? as u64)
    }

    /// Registered workers with their last heartbeat, oldest heartbeat first. A worker
    /// whose description expired is listed with what the registry still knows.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let seen: Vec<(String, f64)> = self
            .conn
            .query(&redis::Cmd::zrange_withscores(self.keys.workers(), 0, -1))
            .await?;
        if seen.is_empty() {
            return Ok(Vec::new());
        }
        // every description shares the registry's slot: one round trip on any deployment
        let mut pipe = redis::pipe();
        for (id, _) in &seen {
            pipe.hgetall(self.keys.worker(id));
        }
        let hashes: Vec<HashMap<String, String>> = self.conn.pipe(&pipe).await?;
        Ok(seen
            .into_iter()
            .zip(hashes)
            .map(|((id, score), h)| WorkerInfo::from_registry(id, score as i64, &h))
            .collect())
    }

    /// Workers whose last heartbeat is older than `silent_for` (by the Redis clock).
    pub async fn stale_workers(&self, silent_for: Duration) -> Result<Vec<String>> {
        let now = self.time_ms().await?;
        let cutoff = now - silent_for.as_millis() as i64;
        self.conn
            .query(&redis::Cmd::zrangebyscore(
                self.keys.workers(),
                "-inf",
                format!("({cutoff}"),
            ))
            .await
    }

    /// Takes (or keeps) the reaper leadership. Returns whether the caller leads, and who
    /// does.
    pub async fn leader_acquire(&self, token: &str, ttl: Duration) -> Result<(bool, String)> {
        let mut call = LEADER_ACQUIRE.call(&self.keys);
        call.arg(token).arg(ttl.as_millis() as u64);
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?.into_iter();
        let leads = reply::flag(&reply::next(&mut it, "flag")?)?;
        let holder = reply::string(reply::next(&mut it, "holder")?)?;
        Ok((leads, holder))
    }

    /// Extends the leadership while the token still holds it. False: lost.
    pub async fn leader_renew(&self, token: &str, ttl: Duration) -> Result<bool> {
        let mut call = LEADER_RENEW.call(&self.keys);
        call.arg(token).arg(ttl.as_millis() as u64);
        reply::flag(&self.conn.invoke(call.invocation()).await?)
    }

    /// Gives the leadership up if the token holds it.
    pub async fn leader_release(&self, token: &str) -> Result<bool> {
        let mut call = LEADER_RELEASE.call(&self.keys);
        call.arg(token);
        reply::flag(&self.conn.invoke(call.invocation()).await?)
    }

    /// Who leads the reapers now, if anyone.
    pub async fn leader(&self) -> Result<Option<String>> {
        self.conn.query(&redis::Cmd::get(self.keys.leader())).await
    }
}
