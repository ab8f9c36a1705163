//! Leader: one lock key holding the leader's token with a TTL. The leader renews it every
//! third of the TTL with a script that checks the token; when a renewal is refused, or
//! Redis has not confirmed the lock for most of its TTL, the duties stop at once.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backoff::pause;
use crate::broker::Broker;

pub(crate) struct Leader {
    broker: Broker,
    token: String,
    ttl: Duration,
    retry: Duration,
}

/// One stretch of leadership.
pub(crate) struct Term {
    /// Cancelled when leadership is lost (or on shutdown): duties stop.
    pub duties: CancellationToken,
    renewer: tokio::task::JoinHandle<()>,
}

impl Term {
    pub async fn end(self) {
        self.duties.cancel();
        let _ = self.renewer.await;
    }
}

impl Leader {
    pub fn new(broker: Broker, token: String, ttl: Duration, retry: Duration) -> Self {
        Leader {
            broker,
            token,
            ttl,
            retry,
        }
    }

    /// Waits until this process leads (None on shutdown).
    pub async fn campaign(&self, shutdown: &CancellationToken) -> Option<Term> {
        let mut last_holder = String::new();
        loop {
            if shutdown.is_cancelled() {
                return None;
            }
            let asked = Instant::now();
            match self.broker.leader_acquire(&self.token, self.ttl).await {
                Ok((true, _)) => {
                    tracing::info!(leader = %self.token, "took the reaper leadership");
                    let duties = shutdown.child_token();
                    let renewer = tokio::spawn(renew(
                        self.broker.clone(),
                        self.token.clone(),
                        self.ttl,
                        asked,
                        duties.clone(),
                    ));
                    return Some(Term { duties, renewer });
                }
                Ok((false, holder)) => {
                    if holder != last_holder {
                        tracing::debug!(leader = %holder, "another process leads the reapers");
                        last_holder = holder;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "cannot reach redis to campaign"),
            }
            if !pause(shutdown, self.retry).await {
                return None;
            }
        }
    }

    /// Gives the lock up (clean exit) so another process takes over at once.
    pub async fn release(&self) {
        if let Ok(true) = self.broker.leader_release(&self.token).await {
            tracing::info!(leader = %self.token, "released the reaper leadership");
        }
    }
}

/// Keeps the lock while the term lasts; cancels the duties the moment it may be lost.
async fn renew(
    broker: Broker,
    token: String,
    ttl: Duration,
    mut confirmed: Instant,
    duties: CancellationToken,
) {
    let every = ttl / 3;
    // Leadership is only trusted until shortly before the lock could have expired in
    // Redis (measured from when the last confirming request was sent).
    let trust = ttl.mul_f64(0.8);
    loop {
        let until = confirmed + trust;
        let next = (Instant::now() + every).min(until);
        tokio::select! {
            _ = duties.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        if Instant::now() >= until {
            tracing::warn!(leader = %token, "could not renew the reaper leadership in time; stopping reaper duties");
            duties.cancel();
            return;
        }
        let asked = Instant::now();
        match broker.leader_renew(&token, ttl).await {
            Ok(true) => confirmed = asked,
            Ok(false) => {
                tracing::warn!(leader = %token, "lost the reaper leadership; stopping reaper duties");
                duties.cancel();
                return;
            }
            Err(e) => tracing::debug!(error = %e, "leadership renewal failed; retrying"),
        }
    }
}
