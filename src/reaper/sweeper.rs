//! Sweeper: checks that every job sits in exactly one state structure and that every
//! running job has a lease owner, and repairs what does not (a bug, a manual edit, a
//! restore from an old snapshot). The scan only flags candidates, in small steps;
//! `sweep.lua` re-checks and repairs each by id, atomically, and the repairs are logged
//! and counted.

use std::collections::HashMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{ReaperConfig, count, periodic};
use crate::broker::{Broker, Flagged, ScanTarget, Seen, SweepCheck};
use crate::error::Result;
use crate::job::QueueName;

/// A scan step reads at most [`SCAN`] entries and stops early once it has run for
/// [`STEP_TIME`] in Redis (`sweep_scan.lua` checks its clock between sub-pages of 50), so
/// it stays near a millisecond at any backlog and on a slow or busy machine (at 1M pending
/// on a busy 2-core VM a step read about 300 specs or 600 list entries). A repair call
/// re-checks [`REPAIR`] jobs, by id.
const SCAN: usize = 1000;
const STEP_TIME: Duration = Duration::from_micros(800);
const REPAIR: usize = 100;

pub(crate) struct Sweeper {
    broker: Broker,
    config: ReaperConfig,
}

impl Sweeper {
    pub fn new(broker: Broker, config: ReaperConfig) -> Self {
        Sweeper { broker, config }
    }

    pub async fn run(self, stop: CancellationToken) {
        let failed = "invariant sweep failed; retrying later";
        let (this, stop) = (&self, &stop);
        let tick = move || async move {
            let n = this.tick(stop).await?;
            if n > 0 {
                tracing::warn!(repairs = n, "invariant sweep repaired jobs");
            }
            Ok(None)
        };
        periodic(stop, self.config.sweep_interval, failed, tick).await;
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

/// One queue's sweep, in small steps (see [`SCAN`]; no script ever reads a whole
/// structure, so none blocks Redis long at any backlog):
/// 1. the specs: jobs in no ZSET are remembered with their meta's fingerprint (fine if
///    the pending list holds them), jobs in several ZSETs or active without a lease are
///    flagged;
/// 2. the pending list, from its tail, started after step 1: every job seen there is
///    not lost. Workers pop the head and new jobs join the tail or the head, so an
///    index counted from the tail never skips an entry that stays in the list; a job
///    that left it was claimed, which rewrites its meta, so `sweep.lua` sees it moved.
///    An entry whose job is in a ZSET too is repaired right after its step: every post
///    moves the index, so it must be used before many posts come (`sweep.lua` also
///    looks a little nearer the head for it);
/// 3. the ZSETs and the meta, for entries whose job is gone;
/// 4. `sweep.lua` re-checks each candidate by id and repairs.
pub async fn sweep_queue(broker: &Broker, queue: &QueueName) -> Result<usize> {
    let mut repairs = 0;
    let mut checks: Vec<SweepCheck> = Vec::new();
    // jobs in no ZSET, by their 128 bits: a backlog of millions stays tens of MB here
    let mut nowhere: HashMap<u128, u64> = HashMap::new();
    let mut odd_ids: Vec<(String, String)> = Vec::new();
    scan(broker, queue, ScanTarget::Specs, |f| {
        match f.note.strip_prefix("none:") {
            Some(fp) => match ulid_bits(&f.ulid) {
                Some(bits) => {
                    nowhere.insert(bits, fingerprint_bits(fp));
                }
                None => odd_ids.push((f.ulid, fp.to_string())),
            },
            None => checks.push(SweepCheck {
                ulid: f.ulid,
                seen: Seen::Flagged,
            }),
        }
        None
    })
    .await?;
    repairs += scan(broker, queue, ScanTarget::Pending, |f| {
        if let Some(bits) = ulid_bits(&f.ulid) {
            nowhere.remove(&bits);
        }
        odd_ids.retain(|(u, _)| *u != f.ulid);
        let index = f.note.strip_prefix("many:")?.parse().ok()?;
        Some(SweepCheck {
            ulid: f.ulid,
            seen: Seen::AlsoPending(index),
        })
    })
    .await?;
    for (bits, fp) in nowhere {
        checks.push(SweepCheck {
            ulid: ulid::Ulid::from(bits).to_string(),
            seen: Seen::Nowhere(fingerprint_text(fp)),
        });
    }
    for (ulid, fp) in odd_ids {
        checks.push(SweepCheck {
            ulid,
            seen: Seen::Nowhere(fp),
        });
    }
    for target in [
        ScanTarget::Prio,
        ScanTarget::Scheduled,
        ScanTarget::Retry,
        ScanTarget::Active,
        ScanTarget::Dead,
        ScanTarget::Meta,
    ] {
        scan(broker, queue, target, |f| {
            checks.push(SweepCheck {
                ulid: f.ulid,
                seen: Seen::Flagged,
            });
            None
        })
        .await?;
    }
    checks.sort_by(|a, b| a.ulid.cmp(&b.ulid));
    checks.dedup();
    repairs += repair(broker, queue, &checks).await?;
    Ok(repairs)
}

/// Every step of one scan, each flagged entry handed to `each`; what `each` answers is
/// repaired right after its step. Returns the number of those repairs.
async fn scan(
    broker: &Broker,
    queue: &QueueName,
    target: ScanTarget,
    mut each: impl FnMut(Flagged) -> Option<SweepCheck>,
) -> Result<usize> {
    let mut cursor = "0".to_string();
    let mut repairs = 0;
    loop {
        let (next, flagged) = broker
            .sweep_scan(queue, target, &cursor, SCAN, STEP_TIME)
            .await?;
        let now: Vec<SweepCheck> = flagged.into_iter().filter_map(&mut each).collect();
        repairs += repair(broker, queue, &now).await?;
        match next {
            Some(c) => cursor = c,
            None => return Ok(repairs),
        }
    }
}

/// Re-checks jobs by id ([`REPAIR`] a call) and repairs what breaks an invariant; each
/// repair logged and counted.
async fn repair(broker: &Broker, queue: &QueueName, checks: &[SweepCheck]) -> Result<usize> {
    let mut repairs = 0;
    for chunk in checks.chunks(REPAIR) {
        for r in broker.sweep(queue, chunk).await? {
            tracing::warn!(queue = %queue, job = %r.ulid, repair = %r.note, "invariant repaired");
            repairs += 1;
        }
    }
    count("repaired", repairs);
    Ok(repairs)
}

/// A meta fingerprint (16 hex digits, or '' for none) as a number: 0 for none.
fn fingerprint_bits(text: &str) -> u64 {
    u64::from_str_radix(text, 16).map_or(0, |n| n.max(1))
}

/// The fingerprint as `sweep.lua` compares it.
fn fingerprint_text(bits: u64) -> String {
    if bits == 0 {
        String::new()
    } else {
        format!("{bits:016x}")
    }
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
