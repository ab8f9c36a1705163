//! mlqd: a distributed job queue for machine-learning work, backed by Redis.
//!
//! # Layout
//! - [`job`]: what a job is (id, state, options, payload, status record).
//! - [`error`]: the one error type, with a stable code per variant.
//! - [`limits`]: queue limits (rate, burst, max_active): their text forms and checks.
//! - [`units`]: durations (`500ms`) and sizes (`16MiB`) as flags and queries write them.
//! - [`broker`]: the only module that talks to Redis: keys, one Lua script per state change.
//! - [`events`]: one pub/sub subscription per process, fanned out to waiters.
//! - [`client`]: post, status, result, wait, cancel, dead letters; used by the CLI, `serve`
//!   and library users.
//! - [`stream`]: a job's streamed output (chunk ids, the in-order live reader behind the SSE
//!   route, `post --stream` and `result --follow`).
//! - [`worker`]: claims and runs jobs through a [`Handler`], renews leases, records outcomes.
//! - [`api`]: the HTTP API (`mlqd serve`, embedded by `mlqd up`): router, auth, limits,
//!   `?wait=`, SSE, OpenAPI document, and the web dashboard at `/ui` (its files embedded).
//! - [`telemetry`]: the process's Prometheus recorder.
//! - [`callback`]: POSTs a terminal job's status to its callback URL (workers and the
//!   reaper send them).
//! - [`backoff`]: how retry loops wait: doubling delays, and a sleep a stop token cuts short.
//! - [`reaper`]: leader-elected maintenance: lost jobs, due jobs, retention, invariants,
//!   and the runs of schedules.
//! - [`schedule`]: periodic jobs: names, `every`/cron timings in a time zone, due times.
//! - [`top`]: `mlqd top`, the live view: a snapshot collector and a pure ratatui renderer.
//! - [`bench`]: `mlqd bench`, the in-process load generator and its SVG plot.
//! - [`cli`]: the `mlqd` command line (clap and anyhow stay here).
//!
//! `top`, `bench` and `cli` (and the crates only they use: clap, ratatui, indicatif,
//! plotters, anyhow…) sit behind the default feature `cli`; a library user who wants
//! `Client`, `Worker` and `Handler` alone builds with `default-features = false`.

pub mod api;
pub mod backoff;
#[cfg(feature = "cli")]
pub mod bench;
pub mod broker;
pub mod callback;
#[cfg(feature = "cli")]
pub mod cli;
pub mod client;
pub mod error;
pub mod events;
pub mod job;
pub mod limits;
pub mod reaper;
pub mod schedule;
pub mod stream;
pub mod telemetry;
#[cfg(feature = "cli")]
pub mod top;
pub mod units;
pub mod worker;

pub use broker::{Broker, BrokerConfig};
pub use client::{Client, ClientConfig};
pub use error::{Error, Result};
pub use job::{JobId, JobOptions, JobResult, JobState, JobStatus, Payload, QueueName};
pub use worker::{Handler, HandlerError, Job, Output, Worker, WorkerConfig};
