//! Waiting between tries, one way for every retry loop: [`Doubling`] gives delays that
//! double from a first one up to a cap, and [`pause`] sleeps unless a stop token fires
//! first. (A job's own retry backoff is `broker::Backoff`: it is computed in Redis.)

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Delays that double from `first` up to `max`.
#[derive(Clone, Copy, Debug)]
pub struct Doubling {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Doubling {
    pub const fn new(first: Duration, max: Duration) -> Self {
        Doubling {
            first,
            max,
            next: first,
        }
    }

    /// How loops wait for Redis to answer again: 100 ms, doubling, at most 2 s.
    pub const fn redis() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(2))
    }

    /// The delay to wait now; the next call returns twice as much (up to the cap).
    pub fn next_delay(&mut self) -> Duration {
        let now = self.next;
        self.next = self.nth_after(now);
        now
    }

    /// Starts over from the first delay (after a success).
    pub fn reset(&mut self) {
        self.next = self.first;
    }

    /// The delay after `n` doublings (0 is the first), without changing the state.
    pub fn nth(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.min(31));
        self.first
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
    }

    fn nth_after(&self, d: Duration) -> Duration {
        d.checked_mul(2).unwrap_or(self.max).min(self.max)
    }
}

/// Sleeps for `d` unless `stop` fires first. Returns false when stopped. (Shared by every
/// background duty.)
pub async fn pause(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_start_over() {
        let ms = Duration::from_millis;
        let mut d = Doubling::new(ms(100), ms(500));
        let got: Vec<Duration> = (0..5).map(|_| d.next_delay()).collect();
        assert_eq!(got, [ms(100), ms(200), ms(400), ms(500), ms(500)]);
        d.reset();
        assert_eq!(d.next_delay(), ms(100));
        assert_eq!(d.nth(0), ms(100));
        assert_eq!(d.nth(2), ms(400));
        assert_eq!(d.nth(200), ms(500));
        let huge = Doubling::new(Duration::from_secs(u64::MAX / 2), Duration::MAX);
        assert_eq!(huge.nth(40), Duration::MAX);
    }
}
