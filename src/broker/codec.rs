//! The job records as stored in Redis ⇄ Rust structs. No I/O.
//!
//! A spec is `header JSON` + `"\n"` + payload; the header holds the options that differ
//! from the defaults, with short names to keep a pending job small. The meta JSON is
//! written by the scripts (cjson), so numbers are read leniently.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::job::{
    self, AttemptOutcome, AttemptRecord, JobId, JobOptions, JobState, JobStatus, Payload, Progress,
};
use crate::units::format_duration;

/// Options stored with the job, fixed at enqueue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Created at (ms, Redis clock); written by enqueue.lua.
    #[serde(rename = "t", default, skip_serializing, deserialize_with = "int")]
    pub created_ms: i64,
    /// A delayed job's due time (ms, Redis clock); written by enqueue.lua.
    #[serde(rename = "d", default, skip_serializing, deserialize_with = "opt_int")]
    pub due_ms: Option<i64>,
    #[serde(rename = "pr", default, skip_serializing_if = "is_zero")]
    pub priority: i32,
    #[serde(rename = "mr", default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    #[serde(rename = "ms", default, skip_serializing_if = "Option::is_none")]
    pub max_stalls: Option<u32>,
    #[serde(rename = "to", default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(rename = "rt", default, skip_serializing_if = "Option::is_none")]
    pub result_ttl_ms: Option<u64>,
    #[serde(rename = "cb", default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// Payload content type; absent means JSON.
    #[serde(rename = "ct", default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(rename = "ik", default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

impl Header {
    pub fn new(options: &JobOptions, content_type: &str) -> Self {
        Header {
            created_ms: 0,
            due_ms: None,
            priority: options.priority,
            max_retries: options.max_retries,
            max_stalls: options.max_stalls,
            timeout_ms: options.timeout.map(|d| d.as_millis() as u64),
            result_ttl_ms: options.result_ttl.map(|d| d.as_millis() as u64),
            callback: options.callback.clone(),
            content_type: (content_type != job::JSON).then(|| content_type.to_string()),
            idempotency_key: options.idempotency_key.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn parse(text: &[u8]) -> Result<Self> {
        serde_json::from_slice(text)
            .map_err(|e| Error::Protocol(format!("malformed job header: {e}")))
    }

    pub fn content_type(&self) -> &str {
        self.content_type.as_deref().unwrap_or(job::JSON)
    }

    pub fn max_retries(&self) -> u32 {
        self.max_retries.unwrap_or(job::DEFAULT_MAX_RETRIES)
    }

    pub fn max_stalls(&self) -> u32 {
        self.max_stalls.unwrap_or(job::DEFAULT_MAX_STALLS)
    }
}

/// Splits a spec as stored into its header and inline payload.
pub fn split_spec(spec: &[u8]) -> (&[u8], &[u8]) {
    match spec.iter().position(|&b| b == b'\n') {
        Some(i) => (&spec[..i], &spec[i + 1..]),
        None => (spec, &[]),
    }
}

/// Header and payload of a claimed job (`external` is the payload kept out of line).
pub fn decode_spec(spec: &[u8], external: Option<Vec<u8>>) -> Result<(Header, Payload)> {
    let (head, inline) = split_spec(spec);
    let header = Header::parse(head)?;
    let bytes = external.unwrap_or_else(|| inline.to_vec());
    let content_type = header.content_type().to_string();
    Ok((
        header,
        Payload {
            bytes,
            content_type,
        },
    ))
}

/// The mutable record of a started job, as the scripts write it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Meta {
    #[serde(default, deserialize_with = "int")]
    pub a: i64,
    #[serde(default, deserialize_with = "int")]
    pub f: i64,
    #[serde(default, deserialize_with = "int")]
    pub s: i64,
    #[serde(default)]
    pub w: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub st: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub ft: Option<i64>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    pub p: Option<i64>,
    #[serde(default)]
    pub pm: Option<String>,
    #[serde(default, deserialize_with = "history")]
    pub h: Vec<HistoryEntry>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HistoryEntry {
    #[serde(default)]
    pub w: String,
    #[serde(default, deserialize_with = "int")]
    pub s: i64,
    #[serde(default, deserialize_with = "opt_int")]
    pub f: Option<i64>,
    pub o: String,
    #[serde(default)]
    pub e: Option<String>,
}

impl Meta {
    pub fn parse(text: &[u8]) -> Result<Self> {
        serde_json::from_slice(text)
            .map_err(|e| Error::Protocol(format!("malformed job meta: {e}")))
    }
}

fn num_to_i64(v: &serde_json::Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(num_to_i64(&v).unwrap_or(0))
}

fn opt_int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(num_to_i64(&v))
}

/// cjson writes an empty Lua table as `{}`; accept it as an empty history.
fn history<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<HistoryEntry>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::Array(items) => Ok(items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect()),
        _ => Ok(Vec::new()),
    }
}

fn outcome(name: &str) -> AttemptOutcome {
    match name {
        "succeeded" => AttemptOutcome::Succeeded,
        "lease_lost" => AttemptOutcome::LeaseLost,
        "cancelled" => AttemptOutcome::Cancelled,
        "handed_back" => AttemptOutcome::HandedBack,
        _ => AttemptOutcome::Failed,
    }
}

/// What status.lua (or dlq_list.lua) found about one job.
pub struct RawStatus<'a> {
    pub state: JobState,
    pub header: &'a [u8],
    pub meta: Option<&'a [u8]>,
    /// Due time (ms) of a scheduled or retry job (else the header's, for a delayed job).
    pub due_ms: Option<i64>,
    pub result_content_type: Option<String>,
}

/// Builds the public status record.
pub fn status(id: &JobId, raw: RawStatus<'_>) -> Result<JobStatus> {
    let header = Header::parse(raw.header)?;
    let meta = match raw.meta {
        Some(m) => Meta::parse(m)?,
        None => Meta::default(),
    };
    let progress = match (raw.state, meta.p) {
        (JobState::Active, Some(p)) => Some(Progress {
            percent: p.clamp(0, 100) as u8,
            message: meta.pm.clone(),
        }),
        _ => None,
    };
    let running_or_done = meta.a > 0;
    Ok(JobStatus {
        id: id.to_string(),
        queue: id.queue().to_string(),
        state: raw.state,
        priority: header.priority,
        attempts: meta.a.max(0) as u32,
        max_retries: header.max_retries(),
        failures: meta.f.max(0) as u32,
        stalls: meta.s.max(0) as u32,
        max_stalls: header.max_stalls(),
        progress,
        created_at: job::format_ms(header.created_ms),
        run_at: raw.due_ms.or(header.due_ms).map(job::format_ms),
        started_at: meta.st.filter(|_| running_or_done).map(job::format_ms),
        finished_at: meta
            .ft
            .filter(|_| raw.state.is_terminal())
            .map(job::format_ms),
        worker: meta.w.clone().filter(|w| !w.is_empty()),
        error: meta.e.clone(),
        content_type: header.content_type().to_string(),
        result_content_type: raw.result_content_type,
        timeout: header
            .timeout_ms
            .map(|ms| format_duration(std::time::Duration::from_millis(ms))),
        result_ttl: format_duration(
            header
                .result_ttl_ms
                .map(std::time::Duration::from_millis)
                .unwrap_or(job::DEFAULT_RESULT_TTL),
        ),
        callback: header.callback.clone(),
        history: meta
            .h
            .iter()
            .map(|h| AttemptRecord {
                worker: h.w.clone(),
                started_at: job::format_ms(h.s),
                finished_at: h.f.map(job::format_ms),
                outcome: outcome(&h.o),
                error: h.e.clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::QueueName;
    use std::time::Duration;

    #[test]
    fn default_header_is_tiny() {
        let h = Header::new(&JobOptions::default(), job::JSON);
        assert_eq!(h.to_json(), "{}");
        let h = Header::new(
            &JobOptions {
                priority: 5,
                timeout: Some(Duration::from_secs(2)),
                ..Default::default()
            },
            "image/png",
        );
        assert_eq!(h.to_json(), r#"{"pr":5,"to":2000,"ct":"image/png"}"#);
    }

    #[test]
    fn specs_split_at_the_first_newline() {
        let (h, p) = decode_spec(b"{\"t\":5,\"ct\":\"text/plain\"}\nline1\nline2", None).unwrap();
        assert_eq!(h.created_ms, 5);
        assert_eq!(p.bytes, b"line1\nline2");
        assert_eq!(p.content_type, "text/plain");
        let (_, p) = decode_spec(b"{\"t\":5}\n", Some(vec![1, 2, 3])).unwrap();
        assert_eq!(p.bytes, vec![1, 2, 3]);
    }

    #[test]
    fn meta_written_by_cjson_is_read() {
        // cjson may write integers as floats and an empty history as {}
        let m = Meta::parse(br#"{"a":2,"f":1,"s":0,"w":"w1","st":1.7e12,"h":{}}"#).unwrap();
        assert_eq!(m.a, 2);
        assert_eq!(m.st, Some(1_700_000_000_000));
        assert!(m.h.is_empty());
        let id = JobId::generate(&QueueName::default());
        let st = status(
            &id,
            RawStatus {
                state: JobState::Active,
                header: br#"{"t":1700000000000}"#,
                meta: Some(br#"{"a":1,"w":"w1","st":1700000000500,"p":50,"pm":"half","h":[{"w":"w0","s":1,"f":2,"o":"lease_lost","e":"lease expired"}]}"#),
                due_ms: None,
                result_content_type: None,
            },
        )
        .unwrap();
        assert_eq!(st.progress.unwrap().percent, 50);
        assert_eq!(st.history[0].outcome, AttemptOutcome::LeaseLost);
        assert_eq!(st.started_at.as_deref(), Some("2023-11-14T22:13:20.500Z"));
    }
}
