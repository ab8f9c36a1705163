//! The dead-letter cap is a setting (`--dead-max`): jobs past it are deleted oldest first,
//! counted in the queue's totals (`trimmed`) and logged.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    Proc, RedisServer, eventually, mlqd, namespace, post, quiet_worker, run, write_temp,
};

#[test]
fn dead_jobs_past_dead_max_are_trimmed_counted_and_logged() {
    let r = RedisServer::start();
    let ns = namespace();
    for i in 0..6 {
        post(
            &r,
            &ns,
            &[
                &format!("{{\"i\":{i}}}"),
                "-q",
                "doomed",
                "--max-retries",
                "0",
            ],
        );
    }
    let _w = quiet_worker(
        &r,
        &ns,
        &[
            "--builtin",
            "fail",
            "-q",
            "doomed",
            "--dead-max",
            "3",
            "--no-reaper",
            "--breaker-threshold",
            "0",
        ],
    );
    let queue = || -> Value {
        let mut cmd = mlqd(&r, &ns);
        cmd.args(["queues", "--json"]);
        let all: Value = serde_json::from_slice(&run(cmd).stdout).expect("queues JSON");
        all.as_array()
            .and_then(|qs| qs.iter().find(|q| q["queue"] == "doomed").cloned())
            .unwrap_or(Value::Null)
    };
    let q = eventually(Duration::from_secs(20), || {
        let q = queue();
        (q["totals"]["dead"] == 6).then_some(q)
    })
    .expect("all six died");
    assert_eq!(q["dead"], 3, "{q}");
    assert_eq!(q["totals"]["trimmed"], 3, "{q}");

    let log = write_temp("janitor.log", b"");
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["reaper", "--interval", "50ms", "--dead-max", "3"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    let _reaper = Proc::spawn(cmd);
    let text = eventually(Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.contains("dead-letter cap").then_some(text)
    })
    .expect("the trim is logged");
    assert!(text.contains("trimmed=3"), "{text}");
    let _ = std::fs::remove_file(log);
}
