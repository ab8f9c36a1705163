//! Waiting without polling: the wake-up lists idle workers block on, and pub/sub.

use std::time::Duration;

use super::conn::{Pops, PubSub};
use super::{Broker, Keys};
use crate::error::Result;
use crate::job::QueueName;

/// A message from a pub/sub channel.
#[derive(Clone, Debug)]
pub struct Message {
    pub channel: String,
    pub payload: String,
}

impl Broker {
    /// A dedicated connection for blocking on the wake-up lists.
    pub fn waker(&self) -> Waker {
        Waker {
            keys: (*self.keys).clone(),
            pops: self.conn.pops(),
        }
    }

    /// Subscribes to channels on a fresh connection.
    pub async fn subscribe(&self, channels: &[String]) -> Result<Subscription> {
        Ok(Subscription {
            inner: self.conn.subscribe(channels).await?,
        })
    }
}

/// A live pub/sub subscription.
pub struct Subscription {
    inner: PubSub,
}

impl Subscription {
    /// The next message; None when the connection is gone.
    pub async fn next(&mut self) -> Option<Message> {
        let (channel, payload) = self.inner.next().await?;
        Some(Message { channel, payload })
    }

    /// Checks that the connection still answers.
    pub async fn ping(&mut self) -> Result<()> {
        self.inner.ping().await
    }
}

/// Connections used only for BLPOP on wake-up lists (a blocking call would stall a shared
/// multiplexed connection): one, or on a cluster one per slot. Reconnects on the next wait
/// after an error.
pub struct Waker {
    keys: Keys,
    pops: Pops,
}

impl Waker {
    /// Blocks until a wake-up token arrives on one of the queues or `timeout` passes.
    /// Returns true when woken by a token.
    pub async fn wait(&mut self, queues: &[QueueName], timeout: Duration) -> Result<bool> {
        let keys: Vec<String> = queues.iter().map(|q| self.keys.queue(q).wake()).collect();
        self.pops.wait(&keys, timeout).await
    }
}
