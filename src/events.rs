//! One pub/sub subscription per process, fanned out in-process to everyone waiting on a job
//! (`post --wait`, `?wait=`, SSE). No waiter polls Redis: it re-reads the job's status when
//! an event names it, or when the subscription was (re)made and events may have been missed.
//!
//! Each watched job has one `watch` channel holding its latest event, shared by all its
//! watchers: every watcher re-reads the job when woken, so events that come faster than
//! it reads fold into one wake-up, and a parked watcher costs a few hundred bytes (a
//! 64-slot broadcast channel per job cost about 3 KB).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::backoff::{Doubling, pause};
use crate::broker::Broker;
use crate::job::JobId;

/// What happened to a job, as announced on the events channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    /// A state name (`active`, `succeeded`, …) or `progress`.
    pub kind: String,
}

/// What a watcher sees next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// An event about the watched job.
    Event(JobEvent),
    /// The subscription was (re)established: events may have been missed, re-read.
    Resync,
}

/// Per watched job: its latest event (None until one comes).
type Senders = HashMap<String, watch::Sender<Option<JobEvent>>>;

struct Inner {
    senders: Mutex<Senders>,
    generation: watch::Sender<u64>,
    stop: CancellationToken,
}

/// The process's event fan-out. Cheap to clone; the subscriber task stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
    _guard: Arc<StopOnDrop>,
}

struct StopOnDrop(CancellationToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl EventHub {
    /// Starts the subscriber task (it reconnects by itself).
    pub fn start(broker: Broker) -> Self {
        let stop = CancellationToken::new();
        let inner = Arc::new(Inner {
            senders: Mutex::new(HashMap::new()),
            generation: watch::channel(0).0,
            stop: stop.clone(),
        });
        tokio::spawn(subscriber(broker, Arc::downgrade(&inner)));
        EventHub {
            inner,
            _guard: Arc::new(StopOnDrop(stop)),
        }
    }

    /// Starts watching one job. Register before reading the job's status, so nothing
    /// that happens after the read is missed.
    pub fn watch(&self, id: &JobId) -> Watcher {
        let key = id.to_string();
        let rx = {
            let mut map = self.inner.senders.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.clone())
                .or_insert_with(|| watch::channel(None).0)
                .subscribe()
        };
        Watcher {
            key,
            rx,
            generation: self.inner.generation.subscribe(),
            hub: self.inner.clone(),
        }
    }

    /// Waits until the subscription is live (or `timeout` passes). Returns whether it is.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let mut g = self.inner.generation.subscribe();
        tokio::time::timeout(timeout, g.wait_for(|n| *n > 0))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// A registration for one job's events.
pub struct Watcher {
    key: String,
    rx: watch::Receiver<Option<JobEvent>>,
    generation: watch::Receiver<u64>,
    hub: Arc<Inner>,
}

impl Watcher {
    /// The next event for the job (the latest, when several came since the last call), or
    /// a resync.
    pub async fn next(&mut self) -> Wake {
        tokio::select! {
            r = self.rx.changed() => match r.ok().and_then(|()| self.rx.borrow_and_update().clone()) {
                Some(e) => Wake::Event(e),
                // closed: treat as a resync, the caller re-reads
                None => Wake::Resync,
            },
            r = self.generation.changed() => {
                if r.is_err() {
                    // hub gone; avoid a hot loop
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Wake::Resync
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let mut map = self.hub.senders.lock().unwrap_or_else(|p| p.into_inner());
        // the receiver this watcher holds is dropped after this; 1 means it was the last
        if let Some(tx) = map.get(&self.key)
            && tx.receiver_count() <= 1
        {
            map.remove(&self.key);
        }
    }
}

/// Parses "<kind> <id> <id>…" and hands the event to the watchers of each id.
fn dispatch(inner: &Inner, payload: &str) {
    let mut parts = payload.split(' ');
    let Some(kind) = parts.next() else { return };
    let map = inner.senders.lock().unwrap_or_else(|p| p.into_inner());
    if map.is_empty() {
        return;
    }
    for id in parts {
        if let Some(tx) = map.get(id) {
            tx.send_replace(Some(JobEvent {
                kind: kind.to_string(),
            }));
        }
    }
}

async fn subscriber(broker: Broker, inner: std::sync::Weak<Inner>) {
    let Some(stop) = inner.upgrade().map(|i| i.stop.clone()) else {
        return;
    };
    let channel = broker.keys().events_channel();
    follow(
        &broker,
        &channel,
        &stop,
        || {
            if let Some(i) = inner.upgrade() {
                i.generation.send_modify(|g| *g += 1);
            }
        },
        |payload| {
            if let Some(i) = inner.upgrade() {
                dispatch(&i, payload);
            }
        },
    )
    .await;
}

/// Follows one pub/sub channel until `stop` fires: subscribes (again after any loss, with
/// backoff), checks the connection every 5 s, calls `connected` after each subscription
/// (messages may have been missed before it) and `message` with each message's payload.
pub async fn follow(
    broker: &Broker,
    channel: &str,
    stop: &CancellationToken,
    mut connected: impl FnMut(),
    mut message: impl FnMut(&str),
) {
    let channels = [channel.to_string()];
    let mut backoff = Doubling::redis();
    while !stop.is_cancelled() {
        let sub = tokio::select! {
            _ = stop.cancelled() => return,
            s = broker.subscribe(&channels) => s,
        };
        let mut sub = match sub {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, channel, "subscription failed; retrying");
                if !pause(stop, backoff.next_delay()).await {
                    return;
                }
                continue;
            }
        };
        backoff.reset();
        connected();
        let mut ping = tokio::time::interval(Duration::from_secs(5));
        ping.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                msg = sub.next() => match msg {
                    Some(m) => message(&m.payload),
                    None => break,
                },
                _ = ping.tick() => if sub.ping().await.is_err() { break },
            }
        }
        tracing::debug!(channel, "subscription lost; reconnecting");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::QueueName;
    use futures::FutureExt;

    /// A hub without its subscriber task: events are handed to it by hand.
    fn hub() -> EventHub {
        let stop = CancellationToken::new();
        EventHub {
            inner: Arc::new(Inner {
                senders: Mutex::default(),
                generation: watch::channel(0).0,
                stop: stop.clone(),
            }),
            _guard: Arc::new(StopOnDrop(stop)),
        }
    }

    fn event(kind: &str) -> Option<Wake> {
        Some(Wake::Event(JobEvent { kind: kind.into() }))
    }

    #[tokio::test]
    async fn a_watched_job_keeps_its_latest_event_not_a_queue_of_them() {
        let hub = hub();
        let id = JobId::generate(&QueueName::new("q").unwrap());
        let other = JobId::generate(&QueueName::new("q").unwrap());
        let (mut a, mut b) = (hub.watch(&id), hub.watch(&id));
        for kind in ["active", "progress", "progress", "succeeded"] {
            dispatch(&hub.inner, &format!("{kind} {other} {id}"));
        }
        // events that came faster than the watcher woke fold into one wake-up, the latest:
        // a waiter re-reads the job anyway, so a parked one holds one slot, not a queue
        assert_eq!(a.next().now_or_never(), event("succeeded"));
        assert_eq!(a.next().now_or_never(), None);
        assert_eq!(b.next().now_or_never(), event("succeeded"));
        dispatch(&hub.inner, &format!("dead {id}"));
        assert_eq!(a.next().now_or_never(), event("dead"));
        // one slot per watched job, gone with its last watcher
        let jobs = || hub.inner.senders.lock().unwrap().len();
        assert_eq!(jobs(), 1);
        drop(a);
        assert_eq!(jobs(), 1);
        drop(b);
        assert_eq!(jobs(), 0);
    }

    #[tokio::test]
    async fn a_new_subscription_wakes_every_watcher_to_re_read() {
        let hub = hub();
        let id = JobId::generate(&QueueName::new("q").unwrap());
        let mut w = hub.watch(&id);
        assert_eq!(w.next().now_or_never(), None);
        hub.inner.generation.send_modify(|g| *g += 1);
        assert_eq!(w.next().now_or_never(), Some(Wake::Resync));
    }
}
