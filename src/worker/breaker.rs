//! Circuit breaker: when the handler fails `threshold` jobs in a row (retryable failures:
//! crashes, timeouts, a model server that is down), the claimer stops claiming for a
//! cool-down, then lets one job through. If it succeeds, claiming resumes; if not, another
//! cool-down. This keeps a dead model server from burning every job's retries.
//!
//! A permanent failure (the handler answered "this input is bad") proves the handler is up,
//! so it counts as healthy.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::units::format_duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// What the claimer may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Claim as usual.
    All,
    /// Claim one job (the probe); call `probing` once it is handed out.
    One,
    /// Claim nothing until then (or, with None, until the probe's outcome is known).
    Wait(Option<Instant>),
}

/// What a finished job says about the handler's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Health {
    Healthy,
    Unhealthy,
    /// No verdict (the job was cancelled, lost or handed back).
    Unknown,
}

pub(crate) struct Breaker {
    /// Failures in a row that open the breaker; 0 = never.
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
    changed: tokio::sync::Notify,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        let b = Breaker {
            threshold,
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
            changed: tokio::sync::Notify::new(),
        };
        b.gauge(State::Closed { failures: 0 });
        // the series exists from the start, so rate() sees the first trip
        metrics::counter!("mlqd_worker_breaker_trips_total").increment(0);
        b
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn gauge(&self, s: State) {
        let v = match s {
            State::Closed { .. } => 0.0,
            State::Open { .. } => 1.0,
            State::HalfOpen { .. } => 2.0,
        };
        metrics::gauge!("mlqd_worker_breaker_state").set(v);
    }

    pub fn admit(&self) -> Admit {
        if self.threshold == 0 {
            return Admit::All;
        }
        let mut s = self.lock();
        match *s {
            State::Closed { .. } => Admit::All,
            State::Open { until } if Instant::now() < until => Admit::Wait(Some(until)),
            State::Open { .. } => {
                *s = State::HalfOpen { probing: false };
                self.gauge(*s);
                tracing::info!("circuit breaker half-open: trying one job");
                Admit::One
            }
            State::HalfOpen { probing: false } => Admit::One,
            State::HalfOpen { probing: true } => Admit::Wait(None),
        }
    }

    /// Closed with no failure since the last success (the claimer prefetches only then, so
    /// a failing handler never has jobs waiting in its buffer when the breaker opens).
    pub fn clean(&self) -> bool {
        matches!(*self.lock(), State::Closed { failures: 0 })
    }

    /// The probe job was handed to the handler.
    pub fn probing(&self) {
        let mut s = self.lock();
        if let State::HalfOpen { .. } = *s {
            *s = State::HalfOpen { probing: true };
        }
    }

    pub fn record(&self, health: Health) {
        if self.threshold == 0 {
            return;
        }
        let mut s = self.lock();
        let next = match (*s, health) {
            (State::Closed { failures }, Health::Unhealthy) => {
                let failures = failures + 1;
                if failures >= self.threshold {
                    tracing::warn!(
                        failures,
                        cooldown = %format_duration(self.cooldown),
                        "circuit breaker open: the handler failed {failures} jobs in a row; pausing claims"
                    );
                    metrics::counter!("mlqd_worker_breaker_trips_total").increment(1);
                    State::Open {
                        until: Instant::now() + self.cooldown,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            (State::Closed { .. }, Health::Healthy) => State::Closed { failures: 0 },
            (State::HalfOpen { .. }, Health::Healthy) => {
                tracing::info!("circuit breaker closed: the handler works again; claiming");
                State::Closed { failures: 0 }
            }
            (State::HalfOpen { .. }, Health::Unhealthy) => {
                tracing::warn!(
                    cooldown = %format_duration(self.cooldown),
                    "circuit breaker open again: the trial job failed"
                );
                metrics::counter!("mlqd_worker_breaker_trips_total").increment(1);
                State::Open {
                    until: Instant::now() + self.cooldown,
                }
            }
            (State::HalfOpen { .. }, Health::Unknown) => State::HalfOpen { probing: false },
            (other, _) => other,
        };
        if next != *s {
            *s = next;
            self.gauge(next);
            self.changed.notify_waiters();
        }
    }

    /// Resolves when the state may have changed (or after `max`).
    pub async fn changed(&self, max: Duration) {
        let _ = tokio::time::timeout(max, self.changed.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_after_threshold_then_probes_one_job() {
        let b = Breaker::new(3, Duration::from_millis(50));
        b.record(Health::Unhealthy);
        b.record(Health::Unhealthy);
        b.record(Health::Healthy); // a success resets the count
        b.record(Health::Unhealthy);
        b.record(Health::Unhealthy);
        assert_eq!(b.admit(), Admit::All);
        b.record(Health::Unhealthy);
        assert!(matches!(b.admit(), Admit::Wait(Some(_))));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(b.admit(), Admit::One);
        b.probing();
        assert_eq!(b.admit(), Admit::Wait(None));
        // a probe without verdict lets another probe through
        b.record(Health::Unknown);
        assert_eq!(b.admit(), Admit::One);
        b.probing();
        b.record(Health::Unhealthy);
        assert!(matches!(b.admit(), Admit::Wait(Some(_))));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(b.admit(), Admit::One);
        b.probing();
        b.record(Health::Healthy);
        assert_eq!(b.admit(), Admit::All);
    }

    #[test]
    fn threshold_zero_never_opens() {
        let b = Breaker::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            b.record(Health::Unhealthy);
        }
        assert_eq!(b.admit(), Admit::All);
    }
}
