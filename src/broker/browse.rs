//! Browsing a queue's jobs by state, a page at a time, with cursors that never repeat nor
//! skip a job that stayed in its state. browse.lua reads a page in O(limit); finished jobs
//! come from the capped per-queue indexes complete.lua and cancel.lua keep (`--recent`).
//! Running jobs are ordered by start, which no index keeps (their lease scores move on each
//! renewal): they are read in bounded steps here and sorted, so a page of them costs
//! O(running jobs), which the workers' slots bound, never the backlog.
//!
//! A cursor is opaque to callers: base64url of `<state> <place>`, the place as browse.lua
//! writes it. A cursor is checked before it reaches Redis: a malformed one is `Invalid`.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use redis::Value;

use super::codec::{self, RawStatus};
use super::scripts::{BROWSE, READ_DONE};
use super::{Broker, reply};
use crate::error::{Error, Result};
use crate::job::{JobId, JobState, JobStatus, QueueName};

/// Most jobs in one page.
pub const MAX_PAGE: usize = 500;
/// List entries read per step while finding where a priority-0 cursor's job moved.
const SEARCH_CHUNK: isize = 1000;
/// Running jobs read per step.
const ACTIVE_CHUNK: usize = 500;

/// One page of a queue's jobs.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page {
    /// Status of each job, in the state's order.
    pub jobs: Vec<JobStatus>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Where a page starts: a decoded cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Start,
    /// z / h / o: a sorted set's (score, ulid).
    Scored(char, i64, String),
    /// l: the list's (index, ulid, attempts).
    Listed(i64, String, u64),
    /// a: a running job's (start ms, ulid).
    Started(i64, String),
}

fn bad_cursor() -> Error {
    Error::invalid("invalid cursor: pass the next_cursor of the previous page unchanged")
}

fn ulid_ok(s: &str) -> bool {
    ulid::Ulid::from_string(s).is_ok_and(|u| u.to_string() == s)
}

/// Wraps browse.lua's place (`z:123:ULID`) into a cursor for `state`.
fn encode(state: JobState, place: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{state} {place}"))
}

/// Reads a cursor given for `state`.
fn decode(state: JobState, cursor: &str) -> Result<Place> {
    if cursor.len() > 200 {
        return Err(bad_cursor());
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let (st, place) = text.split_once(' ').ok_or_else(bad_cursor)?;
    if st != state.as_str() {
        return Err(Error::invalid(format!(
            "this cursor pages {st} jobs, not {state}: start over without a cursor"
        )));
    }
    let parts: Vec<&str> = place.split(':').collect();
    // scores and indexes reach browse.lua, whose numbers are exact below 2^53 (prio
    // scores stay under 2^52): a cursor past that was not made by mlqd
    let num = |s: &str| {
        s.parse::<i64>()
            .ok()
            .filter(|n| n.unsigned_abs() < 1 << 53)
            .ok_or_else(bad_cursor)
    };
    let ulid = |s: &str| {
        if ulid_ok(s) {
            Ok(s.to_string())
        } else {
            Err(bad_cursor())
        }
    };
    let kinds: &[&str] = match state {
        JobState::Pending => &["h", "l", "o"],
        JobState::Active => &["a"],
        _ => &["z"],
    };
    if !kinds.contains(&parts[0]) {
        return Err(bad_cursor());
    }
    match parts.as_slice() {
        ["l", i, u, a] => {
            let index = num(i)?;
            if index < 0 {
                return Err(bad_cursor());
            }
            let attempts = a.parse::<u64>().map_err(|_| bad_cursor())?;
            Ok(Place::Listed(index, ulid(u)?, attempts))
        }
        ["a", s, u] => Ok(Place::Started(num(s)?, ulid(u)?)),
        [k, s, u] if *k != "l" && *k != "a" => {
            let kind = k.chars().next().ok_or_else(bad_cursor)?;
            Ok(Place::Scored(kind, num(s)?, ulid(u)?))
        }
        _ => Err(bad_cursor()),
    }
}

impl Broker {
    /// One page of a queue's jobs in `state`, after `cursor` (a `next_cursor` of the
    /// previous page). Pending jobs come in the order they will run, scheduled and retry by
    /// due time, active by start, dead, succeeded and cancelled newest first.
    pub async fn browse(
        &self,
        queue: &QueueName,
        state: JobState,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::invalid(format!(
                "limit {limit} is out of range: use 1 to {MAX_PAGE}"
            )));
        }
        let place = match cursor {
            Some(c) => decode(state, c)?,
            None => Place::Start,
        };
        match state {
            JobState::Active => self.browse_active(queue, limit, place).await,
            JobState::Succeeded | JobState::Cancelled => {
                self.browse_finished(queue, state, limit, place).await
            }
            _ => self.browse_stored(queue, state, limit, place).await,
        }
    }

    /// Calls browse.lua with the place as its ARGV.
    async fn browse_call(
        &self,
        queue: &QueueName,
        state: JobState,
        limit: usize,
        place: &Place,
    ) -> Result<Vec<Value>> {
        let k = self.keys.queue(queue);
        let mut call = BROWSE.call(&k);
        call.arg(state.as_str()).arg(limit);
        match place {
            Place::Start => {
                call.arg("");
            }
            Place::Scored(kind, score, ulid) => {
                call.arg(kind.to_string()).arg(*score).arg(ulid.as_str());
            }
            Place::Listed(index, ulid, attempts) => {
                call.arg("l").arg(*index).arg(ulid.as_str()).arg(*attempts);
            }
            Place::Started(..) => return Err(bad_cursor()),
        }
        reply::array(self.conn.invoke(call.invocation()).await?)
    }

    /// Pending, scheduled, retry and dead: jobs read from specs and meta in one call.
    async fn browse_stored(
        &self,
        queue: &QueueName,
        state: JobState,
        limit: usize,
        mut place: Place,
    ) -> Result<Page> {
        // a priority-0 cursor whose job moved (others were taken ahead of it): find it
        // again, a bounded step at a time, and ask once more (a few rounds at most)
        for _ in 0..4 {
            let items = self.browse_call(queue, state, limit, &place).await?;
            let mut it = items.into_iter();
            match reply::string(reply::next(&mut it, "kind")?)?.as_str() {
                "page" => return self.page_of(queue, state, it),
                "moved" => {}
                other => return Err(Error::Protocol(format!("browse answered {other:?}"))),
            }
            let Place::Listed(index, ulid, attempts) = &place else {
                return Err(Error::Protocol(
                    "browse moved a cursor it does not own".into(),
                ));
            };
            let found = self.find_in_pending(queue, ulid, *index).await?;
            place = Place::Listed(found.unwrap_or(-1), ulid.clone(), *attempts);
        }
        Err(Error::Unavailable {
            url: self.url().to_string(),
            cause: "the queue changed too fast to page through; try again".into(),
            maybe_applied: false,
        })
    }

    /// Reads a 'page' reply into statuses.
    fn page_of(
        &self,
        queue: &QueueName,
        state: JobState,
        mut it: impl Iterator<Item = Value>,
    ) -> Result<Page> {
        let next = reply::opt_string(reply::next(&mut it, "cursor")?)?;
        let mut jobs = Vec::new();
        while let Some(ulid) = it.next() {
            let ulid = reply::string(ulid)?;
            let header = reply::bytes(reply::next(&mut it, "header")?)?;
            let meta = reply::opt_bytes(reply::next(&mut it, "meta")?)?;
            let due = reply::opt_int(&reply::next(&mut it, "due")?)?;
            jobs.push(codec::status(
                &JobId::from_parts(queue, &ulid),
                RawStatus {
                    state,
                    header: &header,
                    meta: meta.as_deref(),
                    due_ms: due,
                    result_content_type: None,
                },
            )?);
        }
        Ok(Page {
            jobs,
            next_cursor: next.map(|p| encode(state, &p)),
        })
    }

    /// The index of `ulid` in the pending list, looking back from `near` first (jobs
    /// ahead of it are taken from the head), then forward (jobs put back at the head).
    async fn find_in_pending(
        &self,
        queue: &QueueName,
        ulid: &str,
        near: i64,
    ) -> Result<Option<i64>> {
        let key = self.keys.queue(queue).pending();
        let len: i64 = self.conn.query(&redis::Cmd::llen(&key)).await?;
        let near = near.min(len - 1).max(0) as isize;
        // back towards the head, windows overlapping a little (the list moves meanwhile)
        let mut hi = near + 64;
        loop {
            let lo = (hi - SEARCH_CHUNK).max(0);
            let items: Vec<String> = self.conn.query(&redis::Cmd::lrange(&key, lo, hi)).await?;
            if let Some(i) = items.iter().position(|u| u == ulid) {
                return Ok(Some(lo as i64 + i as i64));
            }
            if lo == 0 {
                break;
            }
            hi = lo + 16;
        }
        let mut lo = near;
        while (lo as i64) < len {
            let hi = lo + SEARCH_CHUNK;
            let items: Vec<String> = self.conn.query(&redis::Cmd::lrange(&key, lo, hi)).await?;
            if let Some(i) = items.iter().position(|u| u == ulid) {
                return Ok(Some(lo as i64 + i as i64));
            }
            if items.is_empty() {
                break;
            }
            lo = hi - 16;
        }
        Ok(None)
    }

    /// Succeeded or cancelled: the page's ulids from the recent index, then their records
    /// (an expired record is skipped).
    async fn browse_finished(
        &self,
        queue: &QueueName,
        state: JobState,
        limit: usize,
        place: Place,
    ) -> Result<Page> {
        let items = self.browse_call(queue, state, limit, &place).await?;
        let mut it = items.into_iter();
        let kind = reply::string(reply::next(&mut it, "kind")?)?;
        if kind != "ids" {
            return Err(Error::Protocol(format!("browse answered {kind:?}")));
        }
        let next = reply::opt_string(reply::next(&mut it, "cursor")?)?;
        let ulids: Vec<String> = it.map(reply::string).collect::<Result<_>>()?;
        let mut jobs = Vec::new();
        if !ulids.is_empty() {
            let k = self.keys.queue(queue);
            let mut call = READ_DONE.call(&k);
            for u in &ulids {
                call.tail(u);
            }
            let records = reply::array(self.conn.invoke(call.invocation()).await?)?;
            for (ulid, rec) in ulids.iter().zip(records) {
                let rec = reply::array(rec)?;
                if rec.is_empty() {
                    continue; // expired
                }
                let mut r = rec.into_iter();
                let st: JobState = reply::string(reply::next(&mut r, "state")?)?.parse()?;
                let header = reply::bytes(reply::next(&mut r, "header")?)?;
                let meta = reply::bytes(reply::next(&mut r, "meta")?)?;
                let ct = reply::string(reply::next(&mut r, "content type")?)?;
                jobs.push(codec::status(
                    &JobId::from_parts(queue, ulid),
                    RawStatus {
                        state: st,
                        header: &header,
                        meta: Some(&meta),
                        due_ms: None,
                        result_content_type: (!ct.is_empty()).then_some(ct),
                    },
                )?);
            }
        }
        Ok(Page {
            jobs,
            next_cursor: next.map(|p| encode(state, &p)),
        })
    }

    /// Active, by start: every running job's start read in bounded steps, sorted here,
    /// then the page read in one call (jobs that finished meanwhile drop out).
    async fn browse_active(&self, queue: &QueueName, limit: usize, place: Place) -> Result<Page> {
        let k = self.keys.queue(queue);
        let after = match place {
            Place::Start => None,
            Place::Started(st, ulid) => Some((st, ulid)),
            _ => return Err(bad_cursor()),
        };
        let mut seen = HashSet::new();
        let mut scan: u64 = 0;
        loop {
            let mut cmd = redis::cmd("ZSCAN");
            cmd.arg(k.active()).arg(scan).arg("COUNT").arg(ACTIVE_CHUNK);
            let (next, items): (u64, Vec<String>) = self.conn.query(&cmd).await?;
            // members and scores alternate
            seen.extend(items.into_iter().step_by(2));
            if next == 0 {
                break;
            }
            scan = next;
        }
        let ulids: Vec<String> = seen.into_iter().collect();
        let mut started: Vec<(i64, String)> = Vec::with_capacity(ulids.len());
        for chunk in ulids.chunks(ACTIVE_CHUNK) {
            let metas: Vec<Option<Vec<u8>>> = self
                .conn
                .query(redis::cmd("HMGET").arg(k.meta()).arg(chunk))
                .await?;
            for (ulid, meta) in chunk.iter().zip(metas) {
                let st = meta
                    .and_then(|m| codec::Meta::parse(&m).ok())
                    .and_then(|m| m.st)
                    .unwrap_or(0);
                started.push((st, ulid.clone()));
            }
        }
        started.sort();
        let rest: Vec<&(i64, String)> = started
            .iter()
            .filter(|s| after.as_ref().is_none_or(|a| (s.0, &s.1) > (a.0, &a.1)))
            .collect();
        let page: Vec<&(i64, String)> = rest.iter().take(limit).copied().collect();
        let next = (rest.len() > limit)
            .then(|| {
                page.last()
                    .map(|(st, u)| encode(JobState::Active, &format!("a:{st}:{u}")))
            })
            .flatten();
        let mut jobs = Vec::new();
        if !page.is_empty() {
            let mut call = BROWSE.call(&k);
            call.arg("active").arg(limit);
            for (_, u) in &page {
                call.arg(u.as_str());
            }
            let mut it = reply::array(self.conn.invoke(call.invocation()).await?)?.into_iter();
            reply::next(&mut it, "kind")?;
            jobs = self.page_of(queue, JobState::Active, it)?.jobs;
        }
        Ok(Page {
            jobs,
            next_cursor: next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = encode(JobState::Pending, &format!("l:12:{U}:2"));
        assert_eq!(
            decode(JobState::Pending, &c).unwrap(),
            Place::Listed(12, U.into(), 2)
        );
        let c = encode(JobState::Dead, &format!("z:1700000000000:{U}"));
        assert_eq!(
            decode(JobState::Dead, &c).unwrap(),
            Place::Scored('z', 1_700_000_000_000, U.into())
        );
        // another state's cursor names the state it pages
        let e = decode(JobState::Retry, &c).unwrap_err().to_string();
        assert!(e.contains("pages dead jobs"), "{e}");
        let (p, d, a) = (JobState::Pending, JobState::Dead, JobState::Active);
        for (state, bad) in [
            (d, String::new()),
            (d, "!!!".into()),
            (d, "bm9wZQ".into()),
            (d, encode(d, "z:1:notaulid")),
            (d, encode(d, &format!("z:x:{U}"))),
            (d, encode(d, &format!("h:1:{U}"))),
            (p, encode(p, &format!("z:1:{U}"))),
            (p, encode(p, &format!("l:-1:{U}:0"))),
            (p, encode(p, &format!("l:1:{U}"))),
            (a, encode(a, &format!("z:1:{U}"))),
            (d, "A".repeat(300)),
        ] {
            assert!(
                matches!(decode(state, &bad), Err(Error::Invalid(_))),
                "{state} {bad}"
            );
        }
    }
}
