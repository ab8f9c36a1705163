//! Claims whose answers were lost: Redis ran the claim, then the connection broke before its
//! answer reached the worker. The jobs are leased to the worker, which does not know them;
//! left alone they would wait out their lease and then count a lost lease. The worker asks
//! for them back once Redis answers again (see `recall.lua`).

use std::time::Duration;

use super::claim::parse_claim;
use super::scripts::RECALL;
use super::{Broker, ClaimedJob};
use crate::error::Result;
use crate::job::QueueName;

/// Most active entries one recall looks at, so it stays a short script: the window is a
/// few seconds of lease deadlines, which other workers' claims and renewals share. A lost
/// claim's jobs beyond it are left to their lease, as they all were before recalls.
const RECALL_LIMIT: usize = 2_000;

impl Broker {
    /// The jobs of `queue` leased to `worker` whose lease deadline (Redis clock, ms) falls in
    /// `from_ms..=to_ms`, with their leases renewed to `lease`: those a lost claim took
    /// among them (the caller skips the jobs it knows).
    pub async fn recall(
        &self,
        queue: &QueueName,
        worker: &str,
        from_ms: i64,
        to_ms: i64,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>> {
        let k = self.keys.queue(queue);
        let mut call = RECALL.call(&k);
        call.arg(worker)
            .arg(from_ms)
            .arg(to_ms)
            .arg(lease.as_millis() as u64)
            .arg(RECALL_LIMIT);
        Ok(parse_claim(queue, self.conn.invoke(call.invocation()).await?)?.jobs)
    }
}
