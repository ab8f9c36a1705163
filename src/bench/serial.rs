//! One at a time, awaited: what a web request that posts one job feels. `Client::post` of
//! `n` jobs, each waiting for its answer before the next is sent (the whole client path:
//! validation, the id, the enqueue script, the connection), and next to it `n` PINGs one at
//! a time through the same client's connection, so the figure can be read against the
//! round trip it cannot beat.

use std::time::Instant;

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::payload;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::job::{JobOptions, QueueName};

/// One-at-a-time figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Serial {
    pub jobs: u64,
    /// Jobs posted per second, one at a time, each awaited.
    pub enqueue_per_s: f64,
    /// PING round trips per second on the same connection.
    pub ping_per_s: f64,
    /// Redis CPU per one-at-a-time enqueue, µs.
    pub redis_cpu_us_per_enqueue: f64,
}

/// Posts `n` jobs one at a time, then sends `n` PINGs one at a time.
pub(super) async fn measure(
    client: &Client,
    q: &QueueName,
    n: u64,
    payload_bytes: usize,
    bar: &ProgressBar,
    stop: &CancellationToken,
) -> Result<Serial> {
    let body = payload(payload_bytes);
    let broker = client.broker();
    // a warm connection and loaded scripts, as a running service has
    broker.ping().await?;
    client.post(q, body.clone(), JobOptions::default()).await?;
    let cpu0 = super::cpu_seconds(broker).await?;
    let started = Instant::now();
    for i in 0..n {
        client.post(q, body.clone(), JobOptions::default()).await?;
        if i % 1024 == 0 {
            bar.set_position(i);
            if stop.is_cancelled() {
                return Err(Error::Protocol("interrupted".into()));
            }
        }
    }
    let enqueue_secs = started.elapsed().as_secs_f64();
    let cpu1 = super::cpu_seconds(broker).await?;
    let started = Instant::now();
    for _ in 0..n {
        broker.ping().await?;
    }
    let ping_secs = started.elapsed().as_secs_f64();
    bar.set_position(n);
    Ok(Serial {
        jobs: n,
        enqueue_per_s: n as f64 / enqueue_secs.max(1e-9),
        ping_per_s: n as f64 / ping_secs.max(1e-9),
        redis_cpu_us_per_enqueue: (cpu1 - cpu0) * 1e6 / n as f64,
    })
}
