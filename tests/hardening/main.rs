//! Hardening (SPEC part 2, issue 15): what an adversarial run broke, each against a real
//! redis-server. One module per defect (D2's backlog test is tests/backlog.rs, alone in its
//! binary):
//! - `cancels`: a cancel sent while the worker's subscription was down stops the job once
//!   the subscription is back;
//! - `dead_max`: the dead-letter cap is a setting; what it trims is counted and logged;
//! - `input`: HTTP bodies and headers that are not what they claim are a 400;
//! - `lost_answers`: a claim Redis ran whose answer was lost is recalled, not left to its
//!   lease;
//! - `limits`: numbers are checked in Rust before they reach a script (D1), and an outcome
//!   Redis refuses fails that one job, never the worker's other outcomes.
//! - `messages`: out of memory and outages each said once, plainly;
//! - `oom`: Redis out of memory never takes jobs from a live worker (D4).
//! - `purge`: purging all dead jobs takes those dead when it began, in pages;
//! - `requeue`: requeue --all takes each dead job once, even as they die again;
//! - `unknown`: a submit whose outcome is unknown says so, with the job id (D3).
//! - `waiters`: hundreds of parked `?wait=` requests each get their own answer.

#[path = "../common/mod.rs"]
mod common;

mod cancels;
mod dead_max;
mod input;
mod limits;
mod lost_answers;
mod messages;
mod oom;
mod purge;
mod requeue;
mod unknown;
mod waiters;

/// Posts `n` jobs with no retries to `queue` and starts a worker that fails each at its
/// first attempt; returns that worker once all `n` are dead.
async fn all_dead(
    r: &common::RedisServer,
    ns: &str,
    c: &mlqd::Client,
    queue: &str,
    n: usize,
) -> common::Proc {
    let name = common::q(queue);
    for start in (0..n).step_by(500) {
        let jobs = (start..n.min(start + 500))
            .map(|_| {
                let o = mlqd::JobOptions {
                    max_retries: Some(0),
                    ..mlqd::JobOptions::default()
                };
                (mlqd::Payload::json(&serde_json::json!({})), o)
            })
            .collect();
        c.post_batch(&name, jobs, None).await.expect("post");
    }
    let args = [
        "--builtin",
        "fail",
        "-q",
        queue,
        "-c",
        "16",
        "--breaker-threshold",
        "0",
        "--no-reaper",
    ];
    let w = common::quiet_worker(r, ns, &args);
    common::until(std::time::Duration::from_secs(60), || async {
        let stats = c.broker().queue_stats(&name).await.expect("stats");
        (stats.dead == n as u64).then_some(())
    })
    .await
    .expect("all dead");
    w
}
