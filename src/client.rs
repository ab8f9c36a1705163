//! `Client`: post, status, result, wait, cancel, dead letters and queue stats. The CLI,
//! `serve` and library users all go through it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::broker::{Broker, BrokerConfig, Cancelled, Enqueued, NewJob, Selection};
use crate::error::{Error, Result};
use crate::events::{EventHub, Wake};
use crate::job::{
    self, JobId, JobOptions, JobResult, JobState, JobStatus, Payload, QueueName, QueueStats,
};

/// How to connect and what to allow.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub broker: BrokerConfig,
    /// Largest payload accepted.
    pub max_payload: u64,
}

impl ClientConfig {
    pub fn new(redis_url: impl Into<String>, namespace: impl Into<String>) -> Self {
        ClientConfig {
            broker: BrokerConfig::new(redis_url, namespace),
            max_payload: job::DEFAULT_MAX_PAYLOAD,
        }
    }
}

/// The engine's front door. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    broker: Broker,
    max_payload: u64,
    events: Arc<OnceLock<EventHub>>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self> {
        Ok(Client {
            broker: Broker::new(config.broker)?,
            max_payload: config.max_payload,
            events: Arc::default(),
        })
    }

    /// Wraps an existing broker (shares its connection).
    pub fn from_broker(broker: Broker, max_payload: u64) -> Self {
        Client {
            broker,
            max_payload,
            events: Arc::default(),
        }
    }

    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The process's event hub, started on first use.
    pub fn events(&self) -> &EventHub {
        self.events
            .get_or_init(|| EventHub::start(self.broker.clone()))
    }

    /// Posts one job. An idempotent repeat returns the first job (`created == false`).
    pub async fn post(
        &self,
        queue: &QueueName,
        payload: Payload,
        options: JobOptions,
    ) -> Result<Enqueued> {
        self.post_limited(queue, payload, options, None).await
    }

    /// Posts one job unless the queue already holds `max_waiting` waiting jobs.
    pub async fn post_limited(
        &self,
        queue: &QueueName,
        payload: Payload,
        options: JobOptions,
        max_waiting: Option<u64>,
    ) -> Result<Enqueued> {
        // the batch path without its lists: what a web request that posts one job takes
        let new = [self.checked(queue, payload, options)?];
        let mut out = self.enqueue(queue, &new, max_waiting).await?;
        out.pop()
            .ok_or_else(|| Error::Protocol("enqueue answered nothing".into()))
    }

    /// Posts many jobs to one queue atomically: all are stored or none.
    pub async fn post_batch(
        &self,
        queue: &QueueName,
        jobs: Vec<(Payload, JobOptions)>,
        max_waiting: Option<u64>,
    ) -> Result<Vec<Enqueued>> {
        let mut new = Vec::with_capacity(jobs.len());
        let batch = jobs.len() > 1;
        for (i, (payload, options)) in jobs.into_iter().enumerate() {
            let label = |e: Error| match e {
                Error::Invalid(m) if batch => Error::Invalid(format!("job {i}: {m}")),
                other => other,
            };
            new.push(self.checked(queue, payload, options).map_err(label)?);
        }
        self.enqueue(queue, &new, max_waiting).await
    }

    /// A job to post, its options and payload checked, under a new id.
    fn checked(&self, queue: &QueueName, payload: Payload, options: JobOptions) -> Result<NewJob> {
        options.validate()?;
        payload.validate(self.max_payload)?;
        Ok(NewJob {
            id: JobId::generate(queue),
            payload,
            options,
        })
    }

    /// Stores checked jobs; an idempotent repeat comes back with the first job's state.
    async fn enqueue(
        &self,
        queue: &QueueName,
        new: &[NewJob],
        max_waiting: Option<u64>,
    ) -> Result<Vec<Enqueued>> {
        let mut out = match self.broker.enqueue(queue, new, max_waiting).await {
            Ok(out) => out,
            // sent, and no answer: the jobs may be stored under the ids made here
            Err(Error::Unavailable {
                url,
                cause,
                maybe_applied: true,
            }) => {
                return Err(Error::OutcomeUnknown {
                    url,
                    cause,
                    ids: new.iter().map(|j| j.id.to_string()).collect(),
                });
            }
            Err(e) => return Err(e),
        };
        for e in out.iter_mut().filter(|e| !e.created) {
            if let Some(st) = self.broker.status(&e.id).await? {
                e.state = st.state;
            }
        }
        Ok(out)
    }

    /// The status of a job.
    pub async fn status(&self, id: &JobId) -> Result<JobStatus> {
        self.broker
            .status(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The result of a finished job: `NotFinished` while it runs, `JobFailed` when dead
    /// or cancelled.
    pub async fn result(&self, id: &JobId) -> Result<(JobStatus, JobResult)> {
        let (status, result) = self
            .broker
            .status_with_result(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        finished(status, result)
    }

    /// Waits until the job is terminal (or `timeout` passes), calling `on_update` with each
    /// status read on the way (state changes and progress).
    pub async fn wait_with(
        &self,
        id: &JobId,
        timeout: Option<Duration>,
        mut on_update: impl FnMut(&JobStatus),
    ) -> Result<JobStatus> {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut watcher = self.events().watch(id);
        loop {
            // in a block of its own, so the status read is gone before the wait: a waiter
            // holds neither the read's future (boxed: the script call, the reply) nor the
            // status for the whole wait (a server parks thousands of waiters)
            {
                let status = Box::pin(self.status(id)).await?;
                on_update(&status);
                if status.state.is_terminal() {
                    return Ok(status);
                }
            }
            let wake = async {
                match deadline {
                    Some(d) => tokio::time::timeout_at(d, watcher.next()).await.ok(),
                    None => Some(watcher.next().await),
                }
            };
            match wake.await {
                Some(Wake::Event(_)) | Some(Wake::Resync) => continue,
                None => return Err(Error::WaitTimeout(id.to_string())),
            }
        }
    }

    /// Waits until the job is terminal (or `timeout` passes).
    pub async fn wait(&self, id: &JobId, timeout: Option<Duration>) -> Result<JobStatus> {
        self.wait_with(id, timeout, |_| {}).await
    }

    /// Waits for the job and returns its result.
    pub async fn wait_result(
        &self,
        id: &JobId,
        timeout: Option<Duration>,
    ) -> Result<(JobStatus, JobResult)> {
        self.wait(id, timeout).await?;
        self.result(id).await
    }

    /// Cancels a pending, scheduled, retrying or running job. Cancelling a cancelled job
    /// is fine; a succeeded or dead one is a `Conflict`.
    pub async fn cancel(&self, id: &JobId) -> Result<JobState> {
        match self.broker.cancel(id).await? {
            Cancelled::Done(was) => Ok(was),
            Cancelled::AlreadyFinal(JobState::Cancelled) => Ok(JobState::Cancelled),
            Cancelled::AlreadyFinal(state) => Err(Error::Conflict {
                id: id.to_string(),
                state,
            }),
        }
    }

    /// The queues to look at: one, or every known queue.
    pub async fn queues_or_all(&self, queue: Option<&QueueName>) -> Result<Vec<QueueName>> {
        match queue {
            Some(q) => Ok(vec![q.clone()]),
            None => self.broker.queue_names().await,
        }
    }

    /// Dead jobs, newest first, of one queue or all.
    pub async fn dlq_list(
        &self,
        queue: Option<&QueueName>,
        limit: usize,
    ) -> Result<Vec<JobStatus>> {
        let mut out = Vec::new();
        for q in self.queues_or_all(queue).await? {
            let (_, mut jobs) = self.broker.dlq_list(&q, 0, limit).await?;
            out.append(&mut jobs);
        }
        out.sort_by(|a, b| b.finished_at.cmp(&a.finished_at));
        out.truncate(limit);
        Ok(out)
    }

    /// Requeues the given dead jobs. Unknown or not-dead ids are an error naming them.
    pub async fn dlq_requeue_ids(&self, ids: &[JobId]) -> Result<Vec<JobId>> {
        let mut by_queue: std::collections::BTreeMap<&QueueName, Vec<String>> = Default::default();
        for id in ids {
            by_queue
                .entry(id.queue())
                .or_default()
                .push(id.ulid().to_string());
        }
        let mut back = Vec::new();
        for (q, ulids) in by_queue {
            back.extend(self.broker.dlq_requeue(q, &Selection::Ids(ulids)).await?);
        }
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !back.contains(id))
            .map(|id| id.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::NotFound(format!(
                "{} (not in the dead-letter set)",
                missing.join(", ")
            )));
        }
        Ok(back)
    }

    /// Requeues every dead job of one queue or all.
    pub async fn dlq_requeue_all(&self, queue: Option<&QueueName>) -> Result<Vec<JobId>> {
        let mut back = Vec::new();
        for q in self.queues_or_all(queue).await? {
            back.extend(self.broker.dlq_requeue(&q, &Selection::All).await?);
        }
        Ok(back)
    }

    /// Deletes every dead job of one queue or all. Returns how many.
    pub async fn dlq_purge(&self, queue: Option<&QueueName>) -> Result<u64> {
        let mut n = 0;
        for q in self.queues_or_all(queue).await? {
            n += self.broker.dlq_purge(&q, &Selection::All).await?;
        }
        Ok(n)
    }

    /// Counts of every known queue.
    pub async fn queues(&self) -> Result<Vec<QueueStats>> {
        let mut out = Vec::new();
        for q in self.broker.queue_names().await? {
            out.push(self.broker.queue_stats(&q).await?);
        }
        Ok(out)
    }
}

/// Turns a status (+ result) into a result or the reason there is none.
fn finished(status: JobStatus, result: Option<JobResult>) -> Result<(JobStatus, JobResult)> {
    match status.state {
        JobState::Succeeded => {
            let result = result.unwrap_or(JobResult {
                bytes: Vec::new(),
                content_type: status
                    .result_content_type
                    .clone()
                    .unwrap_or_else(|| job::JSON.to_string()),
            });
            Ok((status, result))
        }
        JobState::Dead | JobState::Cancelled => Err(Error::JobFailed {
            id: status.id.clone(),
            state: status.state,
            error: status.error.clone(),
        }),
        state => Err(Error::NotFinished {
            id: status.id.clone(),
            state,
        }),
    }
}
