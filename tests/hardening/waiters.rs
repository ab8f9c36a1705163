//! Many parked `?wait=` requests: each gets its own answer once its job finishes (a parked
//! waiter holds little: its connection, a watcher and a timer).

use std::time::Duration;

use crate::common::{RedisServer, Server, http_with, namespace, submit, worker};

const WAITERS: usize = 300;

#[test]
fn hundreds_of_parked_waiters_each_get_their_own_result() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http_with(Duration::from_secs(60));
    let ids: Vec<String> = (0..WAITERS)
        .map(|i| submit(&c, &s, "many", &serde_json::json!({ "i": i })))
        .collect();
    let waiters: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let url = s.url(&format!("/v1/jobs/{id}/result?wait=50s"));
            let c = c.clone();
            std::thread::spawn(move || {
                let res = c.get(url).send().expect("wait");
                (i, res.status().as_u16(), res.text().expect("body"))
            })
        })
        .collect();
    // every waiter is parked before any job can finish
    std::thread::sleep(Duration::from_millis(500));
    let _w = worker(&r, &ns, &["--builtin", "echo", "-q", "many", "-c", "8"]);
    for h in waiters {
        let (i, status, body) = h.join().expect("waiter");
        assert_eq!(status, 200, "waiter {i}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("result JSON");
        assert_eq!(v["i"], i, "waiter {i} got its own job's result");
    }
}
