//! The connection to Redis, behind one small type. Every command, pipeline and script call
//! of the broker goes through [`Conn`], and so do the dedicated connections for blocking
//! pops and pub/sub; nothing else in the broker names a redis-rs connection type. Today a
//! `Conn` reaches one server: a `ConnectionManager` (one multiplexed connection that
//! reconnects by itself) for everything shared, plus fresh connections from the same
//! `redis::Client` for what blocks. TLS options, Sentinel and Cluster change this file only.
//!
//! Every failure leaves here classified (`Error::Unavailable` / `OutOfMemory` /
//! `RedisReply`) and naming the URL without its password.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use redis::aio::{ConnectionManager, MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{FromRedisValue, Value};

use super::scripts::Invocation;
use crate::error::{Error, Result};

/// Longest wait for a new connection before the call fails as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The shared connection to Redis, cheap to clone.
#[derive(Clone)]
pub(crate) struct Conn {
    client: redis::Client,
    shared: ConnectionManager,
    /// The URL without its password, for messages.
    url: Arc<str>,
    op_timeout: Duration,
}

impl Conn {
    /// Prepares the connection; it is made on first use, so a process can start while
    /// Redis is down and carry on when it returns.
    pub fn open(url: &str, op_timeout: Duration) -> Result<Conn> {
        let shown = redact(url);
        let client = redis::Client::open(url)
            .map_err(|e| Error::invalid(format!("invalid Redis URL {shown:?}: {e}")))?;
        let cm = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(op_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let shared = ConnectionManager::new_lazy_with_config(client.clone(), cm)
            .map_err(|e| Error::from_redis(&e, &shown))?;
        Ok(Conn {
            client,
            shared,
            url: shown.into(),
            op_timeout,
        })
    }

    /// The URL without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, e: &redis::RedisError) -> Error {
        Error::from_redis(e, &self.url)
    }

    /// Runs one exchange under the operation timeout, so nothing hangs on a dead server.
    async fn run<T>(&self, fut: impl Future<Output = redis::RedisResult<T>>) -> Result<T> {
        match tokio::time::timeout(self.op_timeout, fut).await {
            Ok(r) => r.map_err(|e| self.error(&e)),
            Err(_) => Err(Error::no_answer(&self.url, self.op_timeout)),
        }
    }

    /// One command.
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let mut c = self.shared.clone();
        self.run(async move { cmd.query_async(&mut c).await }).await
    }

    /// A pipeline. Its keys must share one hash slot (every queue's keys do; so do the
    /// registry's), so it stays one round trip on any deployment.
    pub async fn pipe<T: FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T> {
        let mut c = self.shared.clone();
        self.run(async move { pipe.query_async(&mut c).await })
            .await
    }

    /// One script call (EVALSHA, loading the script on NOSCRIPT).
    pub async fn invoke(&self, inv: &Invocation) -> Result<Value> {
        let mut c = self.shared.clone();
        self.run(async move {
            match inv.cmd.query_async::<Value>(&mut c).await {
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    inv.script.load_async(&mut c).await?;
                    inv.cmd.query_async(&mut c).await
                }
                other => other,
            }
        })
        .await
    }

    /// A connection of its own, for commands that block (BLPOP would stall everyone
    /// sharing the multiplexed one).
    pub async fn dedicated(&self) -> Result<Dedicated> {
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(None);
        let limit = CONNECT_TIMEOUT * 2;
        let conn = tokio::time::timeout(
            limit,
            self.client
                .get_multiplexed_async_connection_with_config(&cfg),
        )
        .await
        .map_err(|_| Error::no_answer(&self.url, limit))?
        .map_err(|e| self.error(&e))?;
        Ok(Dedicated {
            conn,
            url: self.url.clone(),
        })
    }

    /// A fresh connection subscribed to `channels`.
    pub async fn subscribe(&self, channels: &[String]) -> Result<PubSub> {
        let client = self.client.clone();
        let pubsub = self
            .run(async move {
                let mut ps = client.get_async_pubsub().await?;
                for c in channels {
                    ps.subscribe(c).await?;
                }
                Ok(ps)
            })
            .await?;
        let (sink, stream) = pubsub.split();
        Ok(PubSub {
            sink,
            stream,
            url: self.url.clone(),
            op_timeout: self.op_timeout,
        })
    }
}

/// A connection of its own for blocking commands.
pub(crate) struct Dedicated {
    conn: MultiplexedConnection,
    url: Arc<str>,
}

impl Dedicated {
    /// Runs a command that may block up to `guard`. None when the guard ran out first (the
    /// connection may have died silently: drop this one).
    pub async fn blocking<T: FromRedisValue>(
        &mut self,
        cmd: &redis::Cmd,
        guard: Duration,
    ) -> Result<Option<T>> {
        match tokio::time::timeout(guard, cmd.query_async(&mut self.conn)).await {
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(e)) => Err(Error::from_redis(&e, &self.url)),
            Err(_) => Ok(None),
        }
    }
}

/// A subscribed pub/sub connection.
pub(crate) struct PubSub {
    sink: PubSubSink,
    stream: PubSubStream,
    url: Arc<str>,
    op_timeout: Duration,
}

impl PubSub {
    /// The next (channel, payload); None when the connection is gone.
    pub async fn next(&mut self) -> Option<(String, String)> {
        let msg = self.stream.next().await?;
        Some((
            msg.get_channel_name().to_string(),
            msg.get_payload::<String>().unwrap_or_default(),
        ))
    }

    /// Checks that the connection still answers.
    pub async fn ping(&mut self) -> Result<()> {
        match tokio::time::timeout(self.op_timeout, self.sink.ping::<Value>()).await {
            Ok(r) => r.map(|_| ()).map_err(|e| Error::from_redis(&e, &self.url)),
            Err(_) => Err(Error::no_answer(&self.url, self.op_timeout)),
        }
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("redis://user:secret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(super::redact("redis://127.0.0.1"), "redis://127.0.0.1");
    }
}
