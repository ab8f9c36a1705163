//! Queue limits: how many of a queue's jobs may run at once (`max_active`) and how fast they
//! may start (a token bucket: `rate` tokens per period, holding at most `burst`). The claim
//! script enforces them with the Redis clock, so they hold across every worker; here are the
//! values, their text forms and their checks. No I/O.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest rate count, burst or `max_active` accepted.
pub const MAX_LIMIT: u64 = 1_000_000;

/// Starts per period: `10/s`, `30/m`, `100/h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Tokens added per period (1..=[`MAX_LIMIT`]).
    pub count: u64,
    pub period: Duration,
}

impl Rate {
    /// Milliseconds between two tokens (may be fractional).
    pub fn interval_ms(&self) -> f64 {
        self.period.as_millis() as f64 / self.count as f64
    }

    /// Starts per second, for metrics.
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.period.as_secs_f64()
    }
}

impl FromStr for Rate {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(format!(
                "invalid rate {text:?}: write it N/s, N/m or N/h (N a whole number from 1 to {MAX_LIMIT})"
            ))
        };
        let (n, unit) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if !(1..=MAX_LIMIT).contains(&count) {
            return Err(bad());
        }
        let period = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(Rate { count, period })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            60 => "m",
            3600 => "h",
            _ => "s",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// A queue's limits as `queues`, `GET /v1/queues/{queue}` and the dashboard show them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueLimits {
    /// Starts per period (`10/s`, `30/m`, `100/h`); null: no rate limit.
    pub rate: Option<String>,
    /// Starts the bucket may save up (with a rate; default 1).
    pub burst: Option<u64>,
    /// Most jobs of the queue running at once, across every worker; null: no limit.
    pub max_active: Option<u64>,
}

impl QueueLimits {
    /// `rate 10/s (burst 5) · max active 2`, or `-`.
    pub fn summary(limits: Option<&QueueLimits>) -> String {
        let Some(l) = limits else {
            return "-".into();
        };
        let mut parts = Vec::new();
        if let Some(r) = &l.rate {
            match l.burst {
                Some(b) if b > 1 => parts.push(format!("rate {r} (burst {b})")),
                _ => parts.push(format!("rate {r}")),
            }
        }
        if let Some(n) = l.max_active {
            parts.push(format!("max active {n}"));
        }
        if parts.is_empty() {
            "-".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// What a change does to one limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// A change of a queue's limits: each one kept, cleared or set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitsUpdate {
    pub rate: Change<Rate>,
    pub burst: Change<u64>,
    pub max_active: Change<u64>,
}

impl LimitsUpdate {
    /// Clears every limit.
    pub fn clear_all() -> Self {
        LimitsUpdate {
            rate: Change::Clear,
            burst: Change::Clear,
            max_active: Change::Clear,
        }
    }

    /// Checks the numbers (a burst or `max_active` of 0 would stop the queue: pause it
    /// instead).
    pub fn validate(&self) -> Result<()> {
        if let Change::Set(n) = self.burst
            && !(1..=MAX_LIMIT).contains(&n)
        {
            return Err(Error::invalid(format!(
                "burst {n} is out of range: use 1 to {MAX_LIMIT}"
            )));
        }
        if let Change::Set(n) = self.max_active
            && !(1..=MAX_LIMIT).contains(&n)
        {
            return Err(Error::invalid(format!(
                "max_active {n} is out of range: use 1 to {MAX_LIMIT} (to stop a queue, pause it)"
            )));
        }
        if let (Change::Clear, Change::Set(_)) = (self.rate, self.burst) {
            return Err(Error::invalid(
                "burst applies to a rate limit: it cannot be set while the rate is cleared",
            ));
        }
        Ok(())
    }

    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == LimitsUpdate::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let r: Rate = "10/s".parse().unwrap();
        assert_eq!(r.count, 10);
        assert_eq!(r.interval_ms(), 100.0);
        assert_eq!(r.to_string(), "10/s");
        let r: Rate = " 30 / m ".parse().unwrap();
        assert_eq!((r.to_string(), r.interval_ms()), ("30/m".into(), 2000.0));
        assert_eq!("100/h".parse::<Rate>().unwrap().to_string(), "100/h");
        for bad in [
            "",
            "10",
            "10/d",
            "0/s",
            "-1/s",
            "1.5/s",
            "x/s",
            "10/",
            "2000000/s",
        ] {
            let e = bad.parse::<Rate>().unwrap_err().to_string();
            assert!(e.contains("N/s"), "{bad}: {e}");
        }
    }

    #[test]
    fn updates_are_checked() {
        let ok = LimitsUpdate {
            rate: Change::Set("5/s".parse().unwrap()),
            burst: Change::Set(3),
            max_active: Change::Set(2),
        };
        assert!(ok.validate().is_ok());
        for bad in [
            LimitsUpdate {
                max_active: Change::Set(0),
                ..Default::default()
            },
            LimitsUpdate {
                burst: Change::Set(0),
                ..Default::default()
            },
            LimitsUpdate {
                rate: Change::Clear,
                burst: Change::Set(4),
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(LimitsUpdate::default().is_empty());
        assert!(!LimitsUpdate::clear_all().is_empty());
    }

    #[test]
    fn summaries_name_what_is_set() {
        assert_eq!(QueueLimits::summary(None), "-");
        let l = QueueLimits {
            rate: Some("5/s".into()),
            burst: Some(1),
            max_active: Some(2),
        };
        assert_eq!(QueueLimits::summary(Some(&l)), "rate 5/s · max active 2");
        let l = QueueLimits {
            rate: Some("5/s".into()),
            burst: Some(10),
            max_active: None,
        };
        assert_eq!(QueueLimits::summary(Some(&l)), "rate 5/s (burst 10)");
    }
}
