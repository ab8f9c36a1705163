//! Waiting without polling: the wake-up lists idle workers block on, and pub/sub.

use std::time::Duration;

use redis::Value;

use super::conn::{Dedicated, PubSub};
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
            broker: self.clone(),
            keys: (*self.keys).clone(),
            conn: None,
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

/// A connection used only for BLPOP on wake-up lists (a blocking call would stall a shared
/// multiplexed connection). Reconnects on the next wait after an error.
pub struct Waker {
    broker: Broker,
    keys: Keys,
    conn: Option<Dedicated>,
}

impl Waker {
    /// Blocks until a wake-up token arrives on one of the queues or `timeout` passes.
    /// Returns true when woken by a token.
    pub async fn wait(&mut self, queues: &[QueueName], timeout: Duration) -> Result<bool> {
        let conn = match self.conn.as_mut() {
            Some(c) => c,
            None => self.conn.insert(self.broker.conn.dedicated().await?),
        };
        let keys: Vec<String> = queues.iter().map(|q| self.keys.queue(q).wake()).collect();
        let secs = timeout.as_secs_f64().max(0.01);
        let mut cmd = redis::cmd("BLPOP");
        cmd.arg(&keys).arg(format!("{secs:.3}"));
        // a guard beyond the server-side timeout catches a connection that died silently
        let guard = timeout + Duration::from_secs(2);
        match conn.blocking::<Value>(&cmd, guard).await {
            Ok(Some(Value::Nil)) => Ok(false),
            Ok(Some(_)) => Ok(true),
            Ok(None) => {
                self.conn = None;
                Ok(false)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }
}
