//! Every Redis key and channel mlqd uses, built in one place. Keys of one queue share the
//! prefix `<ns>:{<queue>}:`, so they live in one Redis Cluster hash slot and one script can
//! touch them all. The worker registry shares the tag `{:registry}` for the same reason: a
//! queue name never holds a ':', so no queue can land on that tag by its name. The other
//! namespace-wide keys (queue set, leader) are only ever touched alone.

use crate::error::{Error, Result};
use crate::job::QueueName;

/// The parts joined into one key. Keys are built on every call (a script takes up to a
/// dozen), and `format!` costs about ten times as much as this.
fn join(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        key.push_str(p);
    }
    key
}

/// The hash tag of the worker registry's keys (a ':' keeps it apart from every queue's).
const REGISTRY_TAG: &str = "{:registry}";
/// The hash tag of the schedules' keys, for the same reason.
const SCHEDULES_TAG: &str = "{:schedules}";

/// Keys that belong to the whole namespace (not to one queue).
#[derive(Clone, Debug)]
pub struct Keys {
    ns: String,
}

impl Keys {
    /// `namespace` must be 1 to 64 characters from `[A-Za-z0-9_.:-]` (no braces, so it
    /// never takes over the queue's hash tag).
    pub fn new(namespace: &str) -> Result<Self> {
        let ok = !namespace.is_empty()
            && namespace.len() <= 64
            && namespace
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
        if !ok {
            return Err(Error::invalid(format!(
                "invalid namespace {namespace:?}: use 1 to 64 letters, digits, '_', '.', ':' or '-'"
            )));
        }
        Ok(Keys {
            ns: namespace.to_string(),
        })
    }

    pub fn namespace(&self) -> &str {
        &self.ns
    }

    /// The keys of one queue.
    pub fn queue(&self, queue: &QueueName) -> QueueKeys {
        QueueKeys {
            prefix: join(&[&self.ns, ":{", queue.as_str(), "}:"]),
        }
    }

    /// SET of every queue name that has seen a job.
    pub fn queues(&self) -> String {
        join(&[&self.ns, ":queues"])
    }

    /// Pub/sub channel: "<kind> <id> <id>…" on every state change and progress report.
    pub fn events_channel(&self) -> String {
        join(&[&self.ns, ":events"])
    }

    /// Pub/sub channel: the id of a running job that was cancelled, for its worker.
    pub fn cancel_channel(&self) -> String {
        join(&[&self.ns, ":cancel"])
    }

    /// ZSET worker id -> last heartbeat (ms).
    pub fn workers(&self) -> String {
        join(&[&self.ns, ":", REGISTRY_TAG, ":workers"])
    }

    /// HASH describing one worker (host, pid, queues, …), expiring with its heartbeat.
    pub fn worker(&self, id: &str) -> String {
        join(&[&self.ns, ":", REGISTRY_TAG, ":worker:", id])
    }

    /// The registry keys of one worker.
    pub fn registry(&self, id: &str) -> WorkerKeys {
        WorkerKeys {
            workers: self.workers(),
            worker: self.worker(id),
        }
    }

    /// STRING holding the reaper leader's token, with a TTL.
    pub fn leader(&self) -> String {
        join(&[&self.ns, ":leader"])
    }

    /// The schedules' keys, under their own hash tag.
    pub fn schedules(&self) -> ScheduleKeys {
        ScheduleKeys {
            prefix: format!("{}:{SCHEDULES_TAG}:", self.ns),
        }
    }
}

/// The keys of the periodic jobs, all under `<ns>:{:schedules}:` so their scripts stay on
/// one slot (a run's job lives in its queue's slot: it is posted by its own script).
#[derive(Clone, Debug)]
pub struct ScheduleKeys {
    prefix: String,
}

impl ScheduleKeys {
    /// HASH name -> the schedule's spec JSON.
    pub fn defs(&self) -> String {
        format!("{}defs", self.prefix)
    }
    /// ZSET name -> when its next run is due (ms).
    pub fn next(&self) -> String {
        format!("{}next", self.prefix)
    }
    /// HASH name -> "<due ms> <job id>" of the last run posted.
    pub fn runs(&self) -> String {
        format!("{}runs", self.prefix)
    }
}

/// The keys of one queue, all under `<ns>:{<queue>}:`.
#[derive(Clone, Debug)]
pub struct QueueKeys {
    prefix: String,
}

impl QueueKeys {
    fn key(&self, role: &str) -> String {
        join(&[&self.prefix, role])
    }
    /// LIST of pending priority-0 ulids, oldest first.
    pub fn pending(&self) -> String {
        self.key("pending")
    }
    /// ZSET of pending ulids with a non-zero priority (score: band + sequence).
    pub fn prio(&self) -> String {
        self.key("prio")
    }
    /// STRING counter ordering the prio ZSET within a priority.
    pub fn seq(&self) -> String {
        self.key("seq")
    }
    /// ZSET of delayed ulids by due time (ms).
    pub fn scheduled(&self) -> String {
        self.key("scheduled")
    }
    /// ZSET of ulids waiting out a retry backoff, by due time (ms).
    pub fn retry(&self) -> String {
        self.key("retry")
    }
    /// ZSET of running ulids by lease deadline (ms).
    pub fn active(&self) -> String {
        self.key("active")
    }
    /// ZSET of dead ulids by time of death (ms); capped.
    pub fn dead(&self) -> String {
        self.key("dead")
    }
    /// HASH ulid -> header JSON, "\n", inline payload.
    pub fn specs(&self) -> String {
        self.key("specs")
    }
    /// HASH ulid -> payload too large to keep inline.
    pub fn payloads(&self) -> String {
        self.key("payloads")
    }
    /// HASH ulid -> meta JSON (attempts, lease owner, progress, history).
    pub fn meta(&self) -> String {
        self.key("meta")
    }
    /// HASH of totals: enqueued, succeeded, failed, dead, cancelled, stalled, requeued.
    pub fn stats(&self) -> String {
        self.key("stats")
    }
    /// STRING that exists while the queue is paused.
    pub fn paused(&self) -> String {
        self.key("paused")
    }
    /// HASH of the queue's limits (rate, per, period, burst, max_active) and its token
    /// bucket (tokens, ts); absent when the queue has none.
    pub fn limits(&self) -> String {
        self.key("limits")
    }
    /// STRING that exists for one housekeeping period after a claim promoted due jobs and
    /// recovered expired leases (so busy workers do not repeat it on every claim).
    pub fn tidied(&self) -> String {
        self.key("tidied")
    }
    /// LIST holding at most one wake-up token for idle workers.
    pub fn wake(&self) -> String {
        self.key("wake")
    }
    /// ZSET worker id -> receipt (see claim.lua) of the last job claimed into its buffer
    /// that reached a handler; losing the lease of a buffered job beyond it costs no stall.
    pub fn starts(&self) -> String {
        self.key("starts")
    }
    /// LIST of ulids of jobs that became terminal with no worker to send their callback
    /// (cancelled before they ran, or buried after losing their worker); the reaper
    /// leader sends those callbacks. Capped.
    pub fn notify(&self) -> String {
        self.key("notify")
    }
    /// LIST of recently succeeded ulids, newest first, capped (`--recent`): what browsing
    /// lists succeeded jobs from (stats `listed` counts the entries ever pushed).
    pub fn recent_succeeded(&self) -> String {
        self.key("recent:ok")
    }
    /// ZSET of recently cancelled ulids by cancel time (ms), capped (`--recent`).
    pub fn recent_cancelled(&self) -> String {
        self.key("recent:cancelled")
    }
    /// ZSET ulid -> when the janitor next checks that job's output stream (ms): kept while
    /// the job lives, expiring with its done record, deleted once the job is gone.
    pub fn streams(&self) -> String {
        self.key("streams")
    }
    /// STRING record of a succeeded or cancelled job, with a TTL.
    pub fn done(&self, ulid: &str) -> String {
        join(&[&self.prefix, "done:", ulid])
    }
    /// STREAM of a job's output chunks, capped in bytes (`--max-stream`): entry id
    /// `<attempt>-<seq>`, fields `d` (the bytes), `e` (bytes of the job's output up to and
    /// with this chunk, every attempt counted), and on the first chunk an attempt stores `p`
    /// (the id of the chunk it follows, '' for none).
    pub fn stream(&self, ulid: &str) -> String {
        format!("{}stream:{}", self.prefix, ulid)
    }
    /// STRING idempotency key -> ulid of the first job, with a TTL.
    pub fn idem(&self, key: &str) -> String {
        join(&[&self.prefix, "idem:", key])
    }
    /// Pattern matching every key of the queue (for tests and cleanup).
    pub fn pattern(&self) -> String {
        format!("{}*", self.prefix.replace('{', "\\{").replace('}', "\\}"))
    }

    /// The keys of one job of the queue.
    pub fn job(&self, ulid: &str) -> JobKeys {
        JobKeys {
            queue: self.clone(),
            ulid: ulid.to_string(),
        }
    }
}

/// The keys of one job: its queue's, and its own done record and output stream.
#[derive(Clone, Debug)]
pub struct JobKeys {
    queue: QueueKeys,
    ulid: String,
}

impl JobKeys {
    /// STRING record of this job once succeeded or cancelled, with a TTL.
    pub fn done(&self) -> String {
        self.queue.done(&self.ulid)
    }
    /// STREAM of this job's output chunks.
    pub fn stream(&self) -> String {
        self.queue.stream(&self.ulid)
    }
}

impl std::ops::Deref for JobKeys {
    type Target = QueueKeys;
    fn deref(&self) -> &QueueKeys {
        &self.queue
    }
}

/// The registry keys of one worker, under the registry's hash tag.
#[derive(Clone, Debug)]
pub struct WorkerKeys {
    workers: String,
    worker: String,
}

impl WorkerKeys {
    /// ZSET worker id -> last heartbeat (ms).
    pub fn workers(&self) -> String {
        self.workers.clone()
    }
    /// HASH describing this worker.
    pub fn worker(&self) -> String {
        self.worker.clone()
    }
}

/// The part of a key that picks its Redis Cluster slot: the first non-empty `{…}`, else
/// the whole key.
pub fn slot_tag(key: &str) -> &str {
    if let Some(open) = key.find('{')
        && let Some(len) = key[open + 1..].find('}')
        && len > 0
    {
        return &key[open + 1..open + 1 + len];
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_key_shares_the_hash_tag() {
        let keys = Keys::new("mlqd").unwrap();
        let q = keys.queue(&QueueName::new("predict").unwrap());
        for k in [
            q.pending(),
            q.prio(),
            q.seq(),
            q.scheduled(),
            q.retry(),
            q.active(),
            q.dead(),
            q.specs(),
            q.payloads(),
            q.meta(),
            q.stats(),
            q.notify(),
            q.paused(),
            q.limits(),
            q.recent_succeeded(),
            q.recent_cancelled(),
            q.wake(),
            q.tidied(),
            q.starts(),
            q.streams(),
            q.done("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
            q.stream("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
            q.idem("k{with}braces"),
        ] {
            assert!(k.starts_with("mlqd:{predict}:"), "{k}");
            // the first {...} decides the slot
            let tag = &k[k.find('{').unwrap() + 1..k.find('}').unwrap()];
            assert_eq!(tag, "predict");
        }
    }

    #[test]
    fn registry_keys_share_a_tag_no_queue_can_have() {
        let keys = Keys::new("team:prod").unwrap();
        let r = keys.registry("host-1-{x}");
        assert_eq!(slot_tag(&r.workers()), ":registry");
        assert_eq!(slot_tag(&r.worker()), ":registry");
        assert_eq!(slot_tag(&keys.worker("w")), ":registry");
        assert!(QueueName::new(":registry").is_err());
        assert_eq!(slot_tag("a:{}:b"), "a:{}:b");
        assert_eq!(slot_tag("ns:{q}:done:{x}"), "q");
        let s = keys.schedules();
        for k in [s.defs(), s.next(), s.runs()] {
            assert_eq!(slot_tag(&k), ":schedules", "{k}");
        }
        assert!(QueueName::new(":schedules").is_err());
    }

    #[test]
    fn namespace_cannot_steal_the_hash_tag() {
        assert!(Keys::new("my{ns}").is_err());
        assert!(Keys::new("").is_err());
        assert!(Keys::new("team-a:prod").is_ok());
    }
}
