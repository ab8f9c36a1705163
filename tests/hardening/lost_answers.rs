//! A claim that Redis ran but whose answer never reached the worker (the connection broke
//! in between) does not leave its job to wait out the lease: once Redis answers again the
//! worker recalls the jobs leased to it that it does not know, and runs them in the attempt
//! the lost claim began. (A loaded full run saw such a job wait its 30 s lease, then count
//! a lost lease and run as attempt 2.)

use std::process::Stdio;
use std::time::Duration;

use mlqd::job::AttemptOutcome;
use mlqd::{JobOptions, JobState, Payload};
use serde_json::json;

use crate::common::proxy::Proxy;
use crate::common::{Proc, RedisServer, client, mlqd, namespace, q};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_claim_answer_was_lost_runs_once_redis_answers_again() {
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let proxy = Proxy::start(r.port);
    let log = std::env::temp_dir().join(format!("mlqd-lost-{ns}.log"));
    let mut cmd = mlqd(&r, &ns);
    cmd.env("MLQD_REDIS_URL", proxy.url())
        .env("MLQD_LOG_LEVEL", "info")
        .args(["worker", "--builtin", "echo", "--concurrency", "1"])
        // renewals 100 s apart and a lease of 300 s: only a recall runs the job in time
        .args(["--lease", "300s"])
        .stderr(Stdio::from(std::fs::File::create(&log).expect("log file")));
    let _worker = Proc::spawn(cmd);
    r.wait_for_idle_worker();

    // the claim riding behind the worker's blocking pop runs, and its answer is lost
    proxy.lose_answers();
    let id = c
        .post(
            &q("default"),
            Payload::json(&json!({"n": 1})),
            JobOptions::default(),
        )
        .await
        .expect("post")
        .id;
    r.wait_for_active(&ns, "default", 1);
    proxy.cut();

    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let st = c
        .wait(&id, Some(Duration::from_secs(30)))
        .await
        .unwrap_or_else(|e| panic!("the job was not recalled: {e}\n{}", log_text()));
    assert_eq!(st.state, JobState::Succeeded);
    assert_eq!(st.attempts, 1, "{:?}", st.history);
    assert_eq!(st.history.len(), 1, "{:?}", st.history);
    assert_eq!(st.history[0].outcome, AttemptOutcome::Succeeded);
    assert!(
        log_text().contains("took back jobs whose claim went through"),
        "{}",
        log_text()
    );
    let _ = std::fs::remove_file(&log);
}
