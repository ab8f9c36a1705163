//! One job by id: read its status (and result), cancel it.

use redis::Value;

use super::codec::{self, RawStatus};
use super::scripts::{CANCEL, STATUS};
use super::{Broker, Cancelled, reply};
use crate::error::{Error, Result};
use crate::job::{self, JobId, JobResult, JobState, JobStatus};

impl Broker {
    /// The status of a job, or None when it is unknown (or expired).
    pub async fn status(&self, id: &JobId) -> Result<Option<JobStatus>> {
        Ok(self.read(id, false).await?.map(|(s, _)| s))
    }

    /// The status and, when it succeeded, the result of a job.
    pub async fn status_with_result(
        &self,
        id: &JobId,
    ) -> Result<Option<(JobStatus, Option<JobResult>)>> {
        self.read(id, true).await
    }

    async fn read(
        &self,
        id: &JobId,
        with_result: bool,
    ) -> Result<Option<(JobStatus, Option<JobResult>)>> {
        let k = self.keys.queue(id.queue()).job(id.ulid());
        let mut call = STATUS.call(&k);
        call.arg(id.ulid()).arg(if with_result { 1 } else { 0 });
        let items = reply::array(self.conn.invoke(call.invocation()).await?)?;
        if items.is_empty() {
            return Ok(None);
        }
        let mut it = items.into_iter();
        let (status, result_ct) = status_head(id, &mut it)?;
        let result = reply::opt_bytes(reply::next(&mut it, "result")?)?;
        let result = match (status.state, result) {
            (JobState::Succeeded, Some(bytes)) if with_result => Some(JobResult {
                bytes,
                content_type: result_ct.unwrap_or_else(|| job::JSON.to_string()),
            }),
            _ => None,
        };
        Ok(Some((status, result)))
    }

    /// Cancels a job that has not finished.
    pub async fn cancel(&self, id: &JobId) -> Result<Cancelled> {
        let k = self.keys.queue(id.queue()).job(id.ulid());
        let mut call = CANCEL.call(&k);
        call.arg(id.ulid())
            .arg(id.queue().as_str())
            .arg(self.keys.events_channel())
            .arg(self.keys.cancel_channel())
            .arg(job::DEFAULT_RESULT_TTL.as_millis() as u64)
            .arg(self.config.recent_cap);
        reply::cancelled(self.conn.invoke(call.invocation()).await?)?
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }
}

/// The fields a script that reports a job's status answers with first (state, header,
/// meta, due time, result type), made into the status; the result type comes back too.
pub(super) fn status_head(
    id: &JobId,
    it: &mut impl Iterator<Item = Value>,
) -> Result<(JobStatus, Option<String>)> {
    let state: JobState = reply::string(reply::next(it, "state")?)?.parse()?;
    let header = reply::bytes(reply::next(it, "header")?)?;
    let meta = reply::opt_bytes(reply::next(it, "meta")?)?;
    let due = reply::opt_int(&reply::next(it, "due")?)?;
    let result_ct = reply::opt_string(reply::next(it, "result type")?)?;
    let status = codec::status(
        id,
        RawStatus {
            state,
            header: &header,
            meta: meta.as_deref(),
            due_ms: due,
            result_content_type: result_ct.clone(),
        },
    )?;
    Ok((status, result_ct))
}
