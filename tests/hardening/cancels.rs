//! Cancels the worker could not act on when they came stop their jobs all the same, long
//! before a lease renewal (a third of a lease) would find them:
//! - a cancel sent while the worker's cancel subscription was down: the worker renews its
//!   leases as soon as the subscription is back, and the renewal finds the job cancelled;
//! - a cancel that came before the answer of the claim that took its job: the worker keeps
//!   it, and stops the job as it arrives.

use std::time::Duration;

use mlqd::{JobOptions, JobState, Payload};
use serde_json::json;

use crate::common::proxy::Proxy;
use crate::common::{Proc, RedisServer, client, mlqd, namespace, q};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_missed_while_the_subscription_was_down_stops_the_job_once_it_is_back() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    // the worker's own user may do everything but subscribe, until the test allows it
    let user = |rule: &str| {
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg("w")
            .arg(rule)
            .query::<()>(&mut r.conn())
            .expect("ACL SETUSER");
    };
    for rule in ["on", ">pw", "~*", "&*", "+@all", "-subscribe"] {
        user(rule);
    }
    let mut cmd = mlqd(&r, &ns);
    cmd.env(
        "MLQD_REDIS_URL",
        r.url().replace("redis://", "redis://w:pw@"),
    )
    .args(["worker", "--builtin", "sleep", "--concurrency", "1"])
    // renewals 100 s apart: only the renewal on resubscribing can stop the job in time
    .args(["--lease", "300s", "--cancel-grace", "1s"]);
    let _worker = Proc::spawn(cmd);

    let long = post_sleep(&c, 600_000).await;
    r.wait_for_active(&ns, "default", 1);
    assert_eq!(c.cancel(&long).await.expect("cancel"), JobState::Active);
    // unheard: the only slot stays taken, so the next job waits
    let next = post_sleep(&c, 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        c.status(&next).await.expect("status").state,
        JobState::Pending,
        "the cancel was heard although the worker could not subscribe"
    );
    // the subscription comes up (the worker retries it every 2 s at most): the cancelled
    // job stops and the next one runs, long before a renewal would have found it
    user("+subscribe");
    let st = c
        .wait(&next, Some(Duration::from_secs(30)))
        .await
        .expect("the next job never ran: the missed cancel was not caught on resubscribing");
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(
        c.status(&long).await.expect("status").state,
        JobState::Cancelled
    );
}

/// A cancel can reach the worker before the answer of the claim that took its job: they
/// come over different connections. The worker keeps such a cancel and stops the job as it
/// arrives. Before, the job ran until a lease renewal found it cancelled (a loaded full run
/// of tests/handlers saw a slot take 11 s to free).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_heard_before_the_claim_answer_stops_the_job_as_it_arrives() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let proxy = Proxy::start(r.port);
    let mut cmd = mlqd(&r, &ns);
    cmd.env("MLQD_REDIS_URL", proxy.url())
        .args(["worker", "--builtin", "sleep", "--concurrency", "1"])
        // renewals 100 s apart: only the kept cancel can stop the job in time
        .args(["--lease", "300s", "--cancel-grace", "1s"]);
    let _worker = Proc::spawn(cmd);
    r.wait_for_idle_worker();

    // the claim takes the job; its answer waits while the cancel goes through
    proxy.hold_answers();
    let long = post_sleep(&c, 600_000).await;
    r.wait_for_active(&ns, "default", 1);
    assert_eq!(c.cancel(&long).await.expect("cancel"), JobState::Active);
    // the cancel reaches the worker over its subscription, which is not held
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.release();

    let next = post_sleep(&c, 1).await;
    let st = c
        .wait(&next, Some(Duration::from_secs(30)))
        .await
        .expect("the next job never ran: the cancelled job kept the only slot");
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(
        c.status(&long).await.expect("status").state,
        JobState::Cancelled
    );
}

/// Posts a job for the builtin sleep handler to `default`, with no retries.
async fn post_sleep(c: &mlqd::Client, ms: u64) -> mlqd::job::JobId {
    let opts = JobOptions {
        max_retries: Some(0),
        ..Default::default()
    };
    c.post(&q("default"), Payload::json(&json!({ "ms": ms })), opts)
        .await
        .expect("post")
        .id
}
