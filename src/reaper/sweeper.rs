//! Sweeper: checks that every job sits in exactly one state structure and that every
//! running job has a lease owner, and repairs what does not (a bug, a manual edit, a
//! restore from an old snapshot). The scan only flags candidates; `sweep.lua` re-checks
//! and repairs each atomically, and the repairs are logged and counted.

use std::collections::HashSet;

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count};
use crate::backoff::pause;
use crate::broker::{Broker, ScanTarget};
use crate::error::Result;
use crate::job::QueueName;

const SCAN: usize = 500;

pub(crate) struct Sweeper {
    broker: Broker,
    config: ReaperConfig,
}

impl Sweeper {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Sweeper { broker, config }
    }

    pub async fn run(self, stop: CancellationToken) {
        loop {
            match self.tick(&stop).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(repairs = n, "invariant sweep repaired jobs"),
                Err(e) => tracing::warn!(error = %e, "invariant sweep failed; retrying later"),
            }
            if !pause(&stop, self.config.sweep_interval).await {
                return;
            }
        }
    }

    /// Sweeps every queue; returns the number of repairs.
    pub async fn tick(&self, stop: &CancellationToken) -> Result<usize> {
        let mut repairs = 0;
        for queue in self.broker.queue_names().await? {
            if stop.is_cancelled() {
                break;
            }
            repairs += sweep_queue(&self.broker, &queue).await?;
        }
        Ok(repairs)
    }
}

/// One queue's sweep: scan, then re-check and repair the candidates.
pub async fn sweep_queue(broker: &Broker, queue: &QueueName) -> Result<usize> {
    // the pending list, as 16-byte ulids (a backlog of millions stays tens of MB here)
    let mut in_pending: HashSet<u128> = HashSet::new();
    let mut start = 0;
    loop {
        let chunk = broker.pending_ulids(queue, start, 5000).await?;
        let n = chunk.len();
        in_pending.extend(chunk.iter().filter_map(|u| ulid_bits(u)));
        if n < 5000 {
            break;
        }
        start += n;
    }
    let mut candidates: Vec<String> = Vec::new();
    for target in [
        ScanTarget::Specs,
        ScanTarget::Pending,
        ScanTarget::Prio,
        ScanTarget::Scheduled,
        ScanTarget::Retry,
        ScanTarget::Active,
        ScanTarget::Dead,
        ScanTarget::Meta,
    ] {
        let mut cursor = "0".to_string();
        loop {
            let (next, flagged) = broker.sweep_scan(queue, target, &cursor, SCAN).await?;
            for f in flagged {
                // a job in no ZSET is fine when the pending list holds it
                if f.note == "none" && ulid_bits(&f.ulid).is_some_and(|u| in_pending.contains(&u)) {
                    continue;
                }
                candidates.push(f.ulid);
            }
            match next {
                Some(c) => cursor = c,
                None => break,
            }
        }
    }
    candidates.sort();
    candidates.dedup();
    let mut repairs = 0;
    for chunk in candidates.chunks(200) {
        for r in broker.sweep(queue, chunk).await? {
            tracing::warn!(queue = %queue, job = %r.ulid, repair = %r.note, "invariant repaired");
            repairs += 1;
        }
    }
    count("repaired", repairs);
    Ok(repairs)
}

/// A ulid as its 128 bits (None for text that is not one: such an entry is never taken
/// for a pending job, so the sweep re-checks it).
fn ulid_bits(text: &str) -> Option<u128> {
    ulid::Ulid::from_string(text).ok().map(u128::from)
}

#[cfg(test)]
mod tests {
    use super::ulid_bits;

    #[test]
    fn ulids_compare_by_their_bits() {
        let a = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
        assert!(ulid_bits(a).is_some());
        assert_eq!(ulid_bits(a), ulid_bits(&a.to_lowercase()));
        assert_ne!(ulid_bits(a), ulid_bits("01ARZ3NDEKTSV4RRFFQ69G5FAW"));
        assert_eq!(ulid_bits("not-a-ulid"), None);
    }
}
