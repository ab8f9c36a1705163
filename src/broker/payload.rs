//! Reading a job's payload back, for `GET /v1/jobs/{id}/payload` (the dashboard's preview).
//! A read, not a state change, so no script: the spec and the out-of-line payload are read
//! in one MULTI (both keys carry the queue's tag), so a job that finishes meanwhile is seen
//! whole or not at all.

use super::{Broker, codec};
use crate::error::Result;
use crate::job::{JobId, Payload};

impl Broker {
    /// The payload of a job that is waiting, running or dead; None when the job is unknown
    /// or finished (a succeeded or cancelled job keeps only its status and result).
    pub async fn payload(&self, id: &JobId) -> Result<Option<Payload>> {
        let k = self.keys.queue(id.queue());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hget(k.specs(), id.ulid())
            .hget(k.payloads(), id.ulid());
        let (spec, external): (Option<Vec<u8>>, Option<Vec<u8>>) = self.conn.pipe(&pipe).await?;
        match spec {
            None => Ok(None),
            Some(spec) => Ok(Some(codec::decode_spec(&spec, external)?.1)),
        }
    }
}
