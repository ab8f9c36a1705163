//! Reading script replies: plain values first, then each script's codes as typed values.
//! Anything unexpected becomes `Error::Protocol`, never a panic.

use redis::Value;

use super::types::{Cancelled, Fence};
use crate::error::{Error, Result};
use crate::job::JobState;

pub fn array(v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        other => Err(Error::Protocol(format!("expected an array, got {other:?}"))),
    }
}

pub fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int(n) => Ok(*n),
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .map(|f| f as i64)
            .ok_or_else(|| Error::Protocol(format!("expected a number, got {b:?}"))),
        Value::SimpleString(s) => s
            .parse::<f64>()
            .map(|f| f as i64)
            .map_err(|_| Error::Protocol(format!("expected a number, got {s:?}"))),
        Value::Double(f) => Ok(*f as i64),
        other => Err(Error::Protocol(format!("expected a number, got {other:?}"))),
    }
}

pub fn opt_int(v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Nil => Ok(None),
        other => int(other).map(Some),
    }
}

pub fn bytes(v: Value) -> Result<Vec<u8>> {
    match v {
        Value::BulkString(b) => Ok(b),
        Value::SimpleString(s) => Ok(s.into_bytes()),
        Value::Okay => Ok(b"OK".to_vec()),
        Value::Int(n) => Ok(n.to_string().into_bytes()),
        other => Err(Error::Protocol(format!("expected a string, got {other:?}"))),
    }
}

pub fn opt_bytes(v: Value) -> Result<Option<Vec<u8>>> {
    match v {
        Value::Nil => Ok(None),
        other => bytes(other).map(Some),
    }
}

pub fn string(v: Value) -> Result<String> {
    String::from_utf8(bytes(v)?).map_err(|_| Error::Protocol("expected UTF-8 text".into()))
}

pub fn opt_string(v: Value) -> Result<Option<String>> {
    match v {
        Value::Nil => Ok(None),
        other => string(other).map(Some),
    }
}

/// Takes the next item of a reply, or fails with a clear message.
pub fn next(it: &mut impl Iterator<Item = Value>, what: &str) -> Result<Value> {
    it.next()
        .ok_or_else(|| Error::Protocol(format!("reply ended before {what}")))
}

// ---- typed replies: each script's codes, read in one place -------------------------

/// One fence code per job, as complete.lua, fail.lua and handback.lua answer.
#[derive(Clone, Copy, Debug)]
pub enum FenceCodes {
    /// complete.lua: 1 recorded, 2 duplicate, 0 lease lost.
    Complete,
    /// fail.lua: 1 retry, 3 dead, 2 duplicate, 0 lease lost.
    Fail,
    /// handback.lua: 1 handed back, 0 lease lost.
    Handback,
}

impl FenceCodes {
    fn fence(self, code: i64) -> Option<Fence> {
        use FenceCodes::*;
        Some(match (self, code) {
            (_, 0) => Fence::LeaseLost,
            (Complete, 1) => Fence::Recorded(JobState::Succeeded),
            (Fail, 1) => Fence::Recorded(JobState::Retry),
            (Fail, 3) => Fence::Recorded(JobState::Dead),
            (Complete | Fail, 2) => Fence::Duplicate,
            (Handback, 1) => Fence::Recorded(JobState::Pending),
            _ => return None,
        })
    }

    /// The fences of a reply; an unknown code is a protocol error.
    pub fn parse(self, v: Value) -> Result<Vec<Fence>> {
        array(v)?
            .iter()
            .map(|v| {
                let code = int(v)?;
                self.fence(code)
                    .ok_or_else(|| Error::Protocol(format!("unknown fence code {code} ({self:?})")))
            })
            .collect()
    }
}

/// How enqueue.lua's reply starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnqueueStatus {
    /// The jobs follow: ulid, created (1/0) per job.
    Ok,
    /// Over `max_waiting`: nothing was stored.
    Full,
}

impl EnqueueStatus {
    pub fn parse(v: Value) -> Result<Self> {
        match string(v)?.as_str() {
            "ok" => Ok(EnqueueStatus::Ok),
            "full" => Ok(EnqueueStatus::Full),
            other => Err(Error::Protocol(format!("enqueue answered {other:?}"))),
        }
    }
}

/// cancel.lua's reply: what it did, or None for an unknown job.
pub fn cancelled(v: Value) -> Result<Option<Cancelled>> {
    let mut it = array(v)?.into_iter();
    let tag = string(next(&mut it, "outcome")?)?;
    let mut state = || -> Result<JobState> { string(next(&mut it, "state")?)?.parse() };
    match tag.as_str() {
        "unknown" => Ok(None),
        "cancelled" => Ok(Some(Cancelled::Done(state()?))),
        "final" => Ok(Some(Cancelled::AlreadyFinal(state()?))),
        other => Err(Error::Protocol(format!("cancel answered {other:?}"))),
    }
}

/// Where recover.lua put a job whose lease it took back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveredTo {
    Pending,
    Dead,
}

impl RecoveredTo {
    pub fn parse(v: Value) -> Result<Self> {
        match string(v)?.as_str() {
            "pending" => Ok(RecoveredTo::Pending),
            "dead" => Ok(RecoveredTo::Dead),
            other => Err(Error::Protocol(format!("recover answered state {other:?}"))),
        }
    }
}

/// A 1/0 flag.
pub fn flag(v: &Value) -> Result<bool> {
    match int(v)? {
        1 => Ok(true),
        0 => Ok(false),
        n => Err(Error::Protocol(format!("expected 0 or 1, got {n}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(c: &[i64]) -> Value {
        Value::Array(c.iter().map(|n| Value::Int(*n)).collect())
    }

    #[test]
    fn codes_become_typed_values_and_unknown_ones_an_error() {
        assert_eq!(
            FenceCodes::Fail.parse(codes(&[1, 3, 2, 0])).unwrap(),
            vec![
                Fence::Recorded(JobState::Retry),
                Fence::Recorded(JobState::Dead),
                Fence::Duplicate,
                Fence::LeaseLost
            ]
        );
        assert!(FenceCodes::Complete.parse(codes(&[3])).is_err());
        assert!(FenceCodes::Handback.parse(codes(&[2])).is_err());
        let text = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        assert_eq!(
            EnqueueStatus::parse(text("full")).unwrap(),
            EnqueueStatus::Full
        );
        assert!(EnqueueStatus::parse(text("nope")).is_err());
        assert!(RecoveredTo::parse(text("gone")).is_err());
        assert_eq!(
            cancelled(Value::Array(vec![text("final"), text("dead")])).unwrap(),
            Some(Cancelled::AlreadyFinal(JobState::Dead))
        );
        assert_eq!(
            cancelled(Value::Array(vec![text("unknown")])).unwrap(),
            None
        );
        assert!(cancelled(Value::Array(vec![text("cancelled")])).is_err());
        assert!(flag(&Value::Int(7)).is_err());
    }
}
