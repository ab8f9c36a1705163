//! Messages: Redis out of memory is said as such, once; an outage is said once.

use crate::common::{RedisServer, code, free_port, mlqd, namespace, run, stderr};

#[test]
fn out_of_memory_and_outages_are_each_said_once_and_plainly() {
    let r = RedisServer::start();
    let ns = namespace();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(1)
        .query(&mut r.conn())
        .expect("CONFIG SET");
    let mut cmd = mlqd(&r, &ns);
    cmd.args(["post", "{}"]);
    let out = run(cmd);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("out of memory").count(), 1, "{err}");
    assert!(!err.contains("unavailable"), "{err}");

    let mut cmd = mlqd(&r, &ns);
    cmd.env(
        "MLQD_REDIS_URL",
        format!("redis://127.0.0.1:{}", free_port()),
    )
    .args(["post", "{}"]);
    let out = run(cmd);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.to_lowercase().matches("refused").count(), 1, "{err}");
    assert!(
        !err.contains("may have been stored"),
        "nothing was sent: {err}"
    );
}
