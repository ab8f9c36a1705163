//! Queue limits (rate, burst, max_active): stored in the queue's `limits` hash, which the
//! claim script reads and keeps the token bucket in.

use std::collections::HashMap;

use super::scripts::LIMITS;
use super::{Broker, reply};
use crate::error::{Error, Result};
use crate::job::QueueName;
use crate::limits::{Change, LimitsUpdate, QueueLimits};

impl Broker {
    /// Changes a queue's limits in one step; returns them as they are now (None: none left).
    pub async fn set_limits(
        &self,
        queue: &QueueName,
        update: &LimitsUpdate,
    ) -> Result<Option<QueueLimits>> {
        update.validate()?;
        let k = self.keys.queue(queue);
        let mut call = LIMITS.call(&k);
        match update.rate {
            Change::Keep => call.arg("-").arg(0).arg(0),
            Change::Clear => call.arg("").arg(0).arg(0),
            Change::Set(r) => call
                .arg(r.to_string())
                .arg(r.count)
                .arg(r.period.as_millis() as u64),
        };
        for change in [update.burst, update.max_active] {
            match change {
                Change::Keep => call.arg("-"),
                Change::Clear => call.arg(""),
                Change::Set(n) => call.arg(n),
            };
        }
        let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?.into_iter();
        match reply::string(reply::next(&mut it, "status")?)?.as_str() {
            "ok" => {}
            "burst_needs_rate" => {
                return Err(Error::invalid(format!(
                    "queue {queue} has no rate limit: a burst applies to a rate, give one too"
                )));
            }
            other => return Err(Error::Protocol(format!("limits answered {other:?}"))),
        }
        let rate = reply::opt_string(reply::next(&mut it, "rate")?)?;
        let burst = reply::opt_string(reply::next(&mut it, "burst")?)?;
        let max_active = reply::opt_string(reply::next(&mut it, "max_active")?)?;
        self.register_queue(queue).await;
        let mut fields = HashMap::new();
        for (k, v) in [("rate", rate), ("burst", burst), ("max_active", max_active)] {
            if let Some(v) = v {
                fields.insert(k.to_string(), v);
            }
        }
        Ok(limits_of(&fields))
    }
}

/// The limits a `limits` hash describes (None when it sets none). The burst shown is the
/// one in force: 1 unless set, and only with a rate.
pub(super) fn limits_of(h: &HashMap<String, String>) -> Option<QueueLimits> {
    let num = |k: &str| h.get(k).and_then(|v| v.parse::<u64>().ok());
    let rate = h.get("rate").cloned();
    let max_active = num("max_active");
    if rate.is_none() && max_active.is_none() {
        return None;
    }
    Some(QueueLimits {
        burst: rate.as_ref().map(|_| num("burst").unwrap_or(1)),
        rate,
        max_active,
    })
}
