//! `dlq requeue --all` pages through the dead set: a job it requeued that dies again while
//! it pages is not requeued a second time (the selection is the jobs dead when it began).

use std::collections::HashSet;

use crate::common::{RedisServer, client, namespace, q};

const JOBS: usize = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeue_all_requeues_each_dead_job_once_while_they_die_again() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("again");
    let _w = crate::all_dead(&r, &ns, &c, "again", JOBS).await;
    // the worker keeps failing them as they come back
    let back = c.dlq_requeue_all(Some(&queue)).await.expect("requeue");
    let unique: HashSet<_> = back.iter().collect();
    assert_eq!(unique.len(), back.len(), "a job was requeued twice");
    assert_eq!(back.len(), JOBS);
}
