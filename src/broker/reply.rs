//! Reading script replies. Anything unexpected becomes `Error::Protocol`, never a panic.

use redis::Value;

use crate::error::{Error, Result};

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
