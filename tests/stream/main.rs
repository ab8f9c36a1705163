//! Streamed output (SPEC part 2, issue 12): chunks stored in order under the queue's tag,
//! `GET /v1/jobs/{id}/stream` (late readers, `Last-Event-ID`, attempts, trims, the end),
//! `post --stream` / `result --follow`, the byte cap, fencing, expiry with the job, and a
//! serve restart mid-stream. Real redis-server, real `mlqd serve`; workers are the real
//! binary, or the library (`Job::emit`) where a test needs a handler of its own.
//!
//! - `reading`: the SSE route, `post --stream` and `result --follow`, attempts, a serve
//!   restart, exec handlers' stream lines, the route's errors;
//! - `store`: what Redis keeps: the byte cap, fencing by the lease, expiry with the job.

#[path = "../common/mod.rs"]
mod common;

mod reading;
mod store;

use std::sync::OnceLock;
use std::time::Duration;

use common::{RedisServer, Server, Sse, SseReader, http, q};
use mlqd::worker::{HandlerError, Job};
use mlqd::{Output, Worker, WorkerConfig};
use tokio_util::sync::CancellationToken;

/// A library worker on a runtime of its own, drained when dropped.
pub struct LibWorker {
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LibWorker {
    pub fn start<F, Fut>(
        r: &RedisServer,
        ns: &str,
        queue: &str,
        tune: impl FnOnce(&mut WorkerConfig),
        handler: F,
    ) -> Self
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Output, HandlerError>> + Send + 'static,
    {
        let mut cfg = WorkerConfig::new(vec![q(queue)]);
        cfg.drain_timeout = Duration::from_secs(2);
        tune(&mut cfg);
        let (url, ns) = (r.url(), ns.to_string());
        let stop = CancellationToken::new();
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let b = mlqd::Broker::new(mlqd::BrokerConfig::new(url, ns)).expect("broker");
                Worker::new(b, cfg)
                    .handler(handler)
                    .run(s)
                    .await
                    .expect("worker");
            });
        });
        LibWorker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LibWorker {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// Opens a job's stream (optionally resuming after `last`).
pub fn open(s: &Server, id: &str, last: Option<&str>) -> SseReader {
    let mut req = http().get(s.url(&format!("/v1/jobs/{id}/stream")));
    if let Some(l) = last {
        req = req.header("Last-Event-ID", l);
    }
    let res = req.send().expect("GET stream");
    assert_eq!(res.status().as_u16(), 200);
    let ct = common::header(&res, "content-type");
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    SseReader::new(res)
}

/// The chunk events' (id, text) pairs; asserts each id matches its data.
pub fn chunks(events: &[Sse]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|e| e.event == "chunk")
        .map(|e| {
            let d = e.json();
            let id = format!("{}-{}", d["attempt"], d["seq"]);
            assert_eq!(e.id.as_deref(), Some(id.as_str()), "{e:?}");
            (id, d["text"].as_str().expect("text chunk").to_string())
        })
        .collect()
}

pub fn status_state(e: &Sse) -> String {
    assert_eq!(e.event, "end", "{e:?}");
    e.json()["state"].as_str().unwrap_or_default().to_string()
}

pub fn fifty(from: usize) -> Vec<(String, String)> {
    (from..50)
        .map(|i| (format!("1-{i}"), format!("chunk {i}\n")))
        .collect()
}

pub fn progress(s: &Server, id: &str) -> u64 {
    common::status_of(&http(), s, id)["progress"]["percent"]
        .as_u64()
        .unwrap_or(0)
}
