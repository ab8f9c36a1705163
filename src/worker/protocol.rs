//! The JSON Lines protocol between a worker and an `--exec` handler: the lines mlqd writes
//! to the handler's stdin and the lines it reads back from its stdout. Types and coding
//! only, no I/O (the child pool lives in `handler/exec.rs`).
//!
//! To the handler, one line each:
//! - a job: `{"id","queue","attempt","content_type","payload"}`, or `"payload_b64"` instead
//!   of `"payload"` when the payload is not JSON;
//! - with batching: `{"batch":[job,…]}`;
//! - `{"cancel":"ID"}` when a running job is cancelled (or handed back on shutdown).
//!
//! From the handler, any number of `{"id","progress":50,"message":"…"}` and of output
//! chunks `{"id","stream":"text"}` / `{"id","stream_b64":"…"}` (bytes), and then one final
//! line per job: `{"id","result":…}` (JSON), `{"id","result_b64","content_type"}` (bytes),
//! or `{"id","error":"…","retry":true|false}`.

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::handler::{HandlerError, HandlerResult, Job, Output};
use crate::job;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Room a final line needs beyond its result: the id, field names, and base64's 4/3.
pub fn line_limit(max_result: u64) -> usize {
    let b64 = max_result.saturating_mul(4) / 3 + 4;
    usize::try_from(b64.saturating_add(64 * 1024)).unwrap_or(usize::MAX)
}

#[derive(Serialize)]
struct WireJob<'a> {
    id: String,
    queue: &'a str,
    attempt: u32,
    content_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_b64: Option<String>,
}

impl<'a> WireJob<'a> {
    fn new(job: &'a Job) -> Self {
        let raw = if job.payload.is_json() {
            json_payload(&job.payload.bytes)
        } else {
            None
        };
        let payload_b64 = raw.is_none().then(|| B64.encode(&job.payload.bytes));
        WireJob {
            id: job.id.to_string(),
            queue: job.id.queue().as_str(),
            attempt: job.attempt,
            content_type: &job.payload.content_type,
            payload: raw,
            payload_b64,
        }
    }
}

/// The payload as embeddable JSON on one line, or None when it is not valid JSON (it then
/// travels as base64, so the handler still gets every byte).
fn json_payload(bytes: &[u8]) -> Option<Box<RawValue>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = if text.contains(['\n', '\r']) {
        minify(text)
    } else {
        text.to_string()
    };
    RawValue::from_string(text).ok()
}

/// Drops whitespace outside strings (newlines inside strings are always escaped in JSON), so
/// a pretty-printed payload fits on one line without being re-encoded.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

fn to_line<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain structs cannot fail; an empty line would be ignored anyway.
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    line
}

/// The line that hands one job to the handler.
pub fn job_line(job: &Job) -> Vec<u8> {
    to_line(&WireJob::new(job))
}

/// The line that hands several jobs at once (dynamic batching).
pub fn batch_line(jobs: &[Job]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Batch<'a> {
        batch: Vec<WireJob<'a>>,
    }
    to_line(&Batch {
        batch: jobs.iter().map(WireJob::new).collect(),
    })
}

/// The line that tells the handler to stop a job.
pub fn cancel_line(id: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Cancel<'a> {
        cancel: &'a str,
    }
    to_line(&Cancel { cancel: id })
}

/// A line from the handler, as written.
#[derive(Deserialize)]
struct WireReply {
    id: Option<serde_json::Value>,
    progress: Option<f64>,
    message: Option<String>,
    #[serde(default, deserialize_with = "present")]
    result: Option<Box<RawValue>>,
    result_b64: Option<String>,
    content_type: Option<String>,
    #[serde(default, deserialize_with = "present_value")]
    error: Option<serde_json::Value>,
    retry: Option<bool>,
    #[serde(default, deserialize_with = "present_value")]
    stream: Option<serde_json::Value>,
    stream_b64: Option<String>,
}

/// `"result": null` is a result (null), not a missing field.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

fn present_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// A line from the handler, understood.
#[derive(Debug)]
pub enum Reply {
    Progress {
        id: String,
        percent: u8,
        message: Option<String>,
    },
    /// A chunk of the job's output (may be empty: nothing to store).
    Stream { id: String, data: Vec<u8> },
    /// The job's end. An over-large result is already turned into an error here.
    Done { id: String, result: HandlerResult },
}

impl Reply {
    pub fn id(&self) -> &str {
        match self {
            Reply::Progress { id, .. } | Reply::Stream { id, .. } | Reply::Done { id, .. } => id,
        }
    }
}

/// A few characters of a line, for error messages.
pub fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// Reads one line from the handler. Err is a protocol violation, described for the job's
/// error field.
pub fn parse_reply(line: &[u8], max_result: u64) -> Result<Reply, String> {
    let wire: WireReply = serde_json::from_slice(line).map_err(|e| {
        format!(
            "handler wrote a malformed line ({e}): {:?}; write one JSON object per line",
            excerpt(line)
        )
    })?;
    let id = match &wire.id {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            return Err(format!(
                "handler wrote a line whose \"id\" is not a job id string: {:?}",
                excerpt(line)
            ));
        }
        None => {
            return Err(format!(
                "handler wrote a line without an \"id\": {:?}",
                excerpt(line)
            ));
        }
    };
    let finals = [
        wire.result.is_some(),
        wire.result_b64.is_some(),
        wire.error.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if finals > 1 {
        return Err(format!(
            "handler wrote a line with more than one of \"result\", \"result_b64\" and \"error\" for job {id}"
        ));
    }
    if wire.stream.is_some() || wire.stream_b64.is_some() {
        if finals > 0
            || wire.progress.is_some()
            || (wire.stream.is_some() && wire.stream_b64.is_some())
        {
            return Err(format!(
                "handler wrote a line with \"stream\" or \"stream_b64\" and another kind of field for job {id}; write each chunk on a line of its own"
            ));
        }
        let data = match (wire.stream, wire.stream_b64) {
            (Some(serde_json::Value::String(text)), _) => text.into_bytes(),
            (Some(_), _) => {
                return Err(format!(
                    "handler wrote a \"stream\" that is not a string for job {id}; use \"stream_b64\" for bytes"
                ));
            }
            (None, Some(b64)) => B64.decode(b64.as_bytes()).map_err(|e| {
                format!("handler wrote a \"stream_b64\" that is not valid base64 for job {id}: {e}")
            })?,
            (None, None) => Vec::new(),
        };
        return Ok(Reply::Stream { id, data });
    }
    if finals == 0 {
        return match wire.progress {
            Some(p) if p.is_finite() => Ok(Reply::Progress {
                id,
                percent: p.clamp(0.0, 100.0).round() as u8,
                message: wire.message,
            }),
            Some(_) => Err(format!(
                "handler wrote a progress that is not a number for job {id}"
            )),
            None => Err(format!(
                "handler wrote a line with none of \"progress\", \"stream\", \"result\", \"result_b64\" or \"error\" for job {id}: {:?}",
                excerpt(line)
            )),
        };
    }
    if let Some(err) = wire.error {
        let message = match err {
            serde_json::Value::String(s) if !s.is_empty() => s,
            serde_json::Value::String(_) | serde_json::Value::Null => {
                "handler reported an error without a message".to_string()
            }
            other => other.to_string(),
        };
        let result = Err(HandlerError {
            message,
            retryable: wire.retry.unwrap_or(true),
        });
        return Ok(Reply::Done { id, result });
    }
    let output = if let Some(b64) = wire.result_b64 {
        let bytes = B64.decode(b64.as_bytes()).map_err(|e| {
            format!("handler wrote a \"result_b64\" that is not valid base64 for job {id}: {e}")
        })?;
        Output {
            bytes,
            content_type: wire
                .content_type
                .unwrap_or_else(|| "application/octet-stream".to_string()),
        }
    } else {
        let raw = wire.result.map(|r| r.get().to_string()).unwrap_or_default();
        match wire.content_type {
            // `"result": "text", "content_type": "text/plain"` stores the text itself
            Some(ct) if !job::is_json_type(&ct) => match serde_json::from_str::<String>(&raw) {
                Ok(text) => Output {
                    bytes: text.into_bytes(),
                    content_type: ct,
                },
                Err(_) => {
                    return Err(format!(
                        "handler wrote a non-string \"result\" with the non-JSON content type {ct:?} for job {id}; use \"result_b64\" for bytes"
                    ));
                }
            },
            ct => Output {
                bytes: raw.into_bytes(),
                content_type: ct.unwrap_or_else(|| job::JSON.to_string()),
            },
        }
    };
    if job::check_content_type(&output.content_type).is_err() {
        return Err(format!(
            "handler wrote an invalid content type {:?} for job {id}",
            output.content_type
        ));
    }
    let result = if output.bytes.len() as u64 > max_result {
        Err(oversized(output.bytes.len() as u64, max_result))
    } else {
        Ok(output)
    };
    Ok(Reply::Done { id, result })
}

/// The error of a result over `--max-result` (permanent: the same input gives the same size).
pub fn oversized(size: u64, max_result: u64) -> HandlerError {
    HandlerError::permanent(format!(
        "result is {size} bytes, over the worker's --max-result of {max_result} bytes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobId, Payload, QueueName};

    fn job(bytes: &[u8], ct: &str) -> Job {
        Job::detached(
            JobId::generate(&QueueName::new("q").unwrap()),
            Payload::bytes(bytes.to_vec(), ct),
        )
    }

    fn line_json(line: &[u8]) -> serde_json::Value {
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        serde_json::from_slice(line).unwrap()
    }

    #[test]
    fn json_payloads_travel_as_json_on_one_line() {
        let j = job(
            b"{\n  \"text\": \"a b\\nc\",\n  \"n\": 12345678901234567890\n}",
            job::JSON,
        );
        let v = line_json(&job_line(&j));
        assert_eq!(v["payload"]["text"], "a b\nc");
        assert_eq!(v["queue"], "q");
        assert_eq!(v["attempt"], 1);
        assert_eq!(v["id"], j.id.to_string());
        assert!(v.get("payload_b64").is_none());
        // the big number keeps every digit (the payload is not re-encoded)
        let line = String::from_utf8(job_line(&j)).unwrap();
        assert!(line.contains("12345678901234567890"), "{line}");
    }

    #[test]
    fn binary_and_invalid_json_payloads_travel_as_base64() {
        for (bytes, ct) in [
            (&[0u8, 255, 10, 13][..], "image/png"),
            (&b"{not json"[..], job::JSON),
        ] {
            let v = line_json(&job_line(&job(bytes, ct)));
            assert_eq!(v["content_type"], ct);
            assert!(v.get("payload").is_none());
            let back = B64.decode(v["payload_b64"].as_str().unwrap()).unwrap();
            assert_eq!(back, bytes);
        }
    }

    #[test]
    fn batch_and_cancel_lines() {
        let jobs = vec![job(b"1", job::JSON), job(b"[2]", job::JSON)];
        let v = line_json(&batch_line(&jobs));
        assert_eq!(v["batch"].as_array().unwrap().len(), 2);
        assert_eq!(v["batch"][1]["payload"][0], 2);
        let v = line_json(&cancel_line("q.X"));
        assert_eq!(v, serde_json::json!({"cancel": "q.X"}));
    }

    #[test]
    fn replies_are_understood() {
        match parse_reply(br#"{"id":"a","progress":49.6,"message":"half"}"#, 100).unwrap() {
            Reply::Progress {
                id,
                percent,
                message,
            } => {
                assert_eq!((id.as_str(), percent), ("a", 50));
                assert_eq!(message.as_deref(), Some("half"));
            }
            other => panic!("{other:?}"),
        }
        let done = |line: &[u8]| match parse_reply(line, 100).unwrap() {
            Reply::Done { result, .. } => result,
            other => panic!("{other:?}"),
        };
        let out = done(br#"{"id":"a","result":{"class": "setosa"}}"#).unwrap();
        assert_eq!(out.bytes, br#"{"class": "setosa"}"#);
        assert_eq!(out.content_type, job::JSON);
        assert_eq!(done(br#"{"id":"a","result":null}"#).unwrap().bytes, b"null");
        let out = done(br#"{"id":"a","result_b64":"AP8=","content_type":"image/png"}"#).unwrap();
        assert_eq!(
            (out.bytes, out.content_type.as_str()),
            (vec![0, 255], "image/png")
        );
        let out = done(br#"{"id":"a","result":"hi","content_type":"text/plain"}"#).unwrap();
        assert_eq!(out.bytes, b"hi");
        let e = done(br#"{"id":"a","error":"bad input","retry":false}"#).unwrap_err();
        assert_eq!(e, HandlerError::permanent("bad input"));
        assert!(done(br#"{"id":"a","error":"oops"}"#).unwrap_err().retryable);
        let e = done(br#"{"id":"a","result":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#).unwrap_err();
        assert!(!e.retryable);
        assert!(e.message.contains("--max-result"), "{}", e.message);
    }

    #[test]
    fn stream_lines_carry_text_or_bytes() {
        let chunk = |line: &[u8]| match parse_reply(line, 100).unwrap() {
            Reply::Stream { id, data } => (id, data),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            chunk(br#"{"id":"a","stream":"tok\u00e9n "}"#),
            ("a".to_string(), "tok\u{e9}n ".as_bytes().to_vec())
        );
        assert_eq!(chunk(br#"{"id":"a","stream_b64":"AP8="}"#).1, vec![0, 255]);
        assert_eq!(chunk(br#"{"id":"a","stream":""}"#).1, b"");
    }

    #[test]
    fn protocol_violations_are_described() {
        for (line, needle) in [
            (&b"hello world"[..], "malformed line"),
            (br#"{"result":1}"#, "without an \"id\""),
            (br#"{"id":7,"result":1}"#, "not a job id"),
            (br#"{"id":"a"}"#, "none of"),
            (br#"{"id":"a","result":1,"error":"x"}"#, "more than one"),
            (br#"{"id":"a","result_b64":"!!"}"#, "base64"),
            (
                br#"{"id":"a","result":[1],"content_type":"text/plain"}"#,
                "non-string",
            ),
            (
                br#"{"id":"a","result_b64":"AA==","content_type":"nope"}"#,
                "content type",
            ),
            (br#"{"id":"a","stream":7}"#, "not a string"),
            (br#"{"id":"a","stream_b64":"!!"}"#, "base64"),
            (br#"{"id":"a","stream":"x","result":1}"#, "line of its own"),
            (
                br#"{"id":"a","stream":"x","progress":5}"#,
                "line of its own",
            ),
        ] {
            let e = parse_reply(line, 100).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn line_limit_leaves_room_for_base64() {
        assert!(line_limit(3 * 1024) > 4 * 1024);
        assert!(line_limit(u64::MAX) > 1 << 60, "no overflow");
    }
}
