//! A cancel the worker could not hear, because its cancel subscription was down, stops the
//! job as soon as the subscription is back: the worker renews its leases then, and the
//! renewal finds the job cancelled. Before, it waited for the next renewal (a third of a
//! lease; a loaded full run saw a cancelled job's slot take 10 s to free).

use std::time::Duration;

use mlqd::{JobOptions, JobState, Payload};
use serde_json::json;

use crate::common::{Proc, RedisServer, client, mlqd, namespace, q};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_missed_while_the_subscription_was_down_stops_the_job_once_it_is_back() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let queue = q("default");
    // the worker's own user may do everything but subscribe, until the test allows it
    let mut conn = r.conn();
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

    let opts = || JobOptions {
        max_retries: Some(0),
        ..Default::default()
    };
    let long = c
        .post(&queue, Payload::json(&json!({"ms": 600_000})), opts())
        .await
        .expect("post")
        .id;
    crate::common::eventually(Duration::from_secs(20), || {
        let st: Option<i64> = redis::cmd("ZCARD")
            .arg(format!("{ns}:{{default}}:active"))
            .query(&mut conn)
            .ok();
        (st == Some(1)).then_some(())
    })
    .expect("the worker never took the long job");
    assert_eq!(c.cancel(&long).await.expect("cancel"), JobState::Active);
    // unheard: the only slot stays taken, so the next job waits
    let next = c
        .post(&queue, Payload::json(&json!({"ms": 1})), opts())
        .await
        .expect("post")
        .id;
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
