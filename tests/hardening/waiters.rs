//! Many parked `?wait=` requests: each gets its own answer once its job finishes (a parked
//! waiter holds little: its connection, a watcher and a timer), and a shutdown answers them
//! and closes idle connections without waiting out the drain timeout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::{RedisServer, Server, http, http_with, namespace, submit, worker};

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

/// Reads one answer from a kept-alive connection: the head, then a `Content-Length` body.
fn read_answer(conn: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).expect("read an answer");
        assert!(
            n > 0,
            "closed mid-answer: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().expect("length"))
                })
                .unwrap_or(0);
            if body.len() >= len {
                return text;
            }
        }
    }
}

#[test]
fn shutdown_answers_parked_waiters_and_closes_idle_connections() {
    let r = RedisServer::start();
    let ns = namespace();
    // a drain timeout no test waits out: serve must end because every connection did
    let mut s = Server::start(&r, &ns, &["--drain-timeout", "10m"]);
    let id = submit(&http(), &s, "idle", &serde_json::json!({}));
    let addr = s.base.trim_start_matches("http://").to_string();
    let connect = || {
        let c = TcpStream::connect(&addr).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        c
    };
    // a keep-alive connection, idle after one answer
    let mut idle = connect();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: mlqd\r\n\r\n")
        .unwrap();
    let first = read_answer(&mut idle);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // a parked waiter (no worker: its job never finishes)
    let mut waiter = connect();
    let get = format!("GET /v1/jobs/{id}/result?wait=5m HTTP/1.1\r\nHost: mlqd\r\n\r\n");
    waiter.write_all(get.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.proc.signal("TERM");
    let mut answer = String::new();
    waiter
        .read_to_string(&mut answer)
        .expect("the waiter's answer, then the close");
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let mut rest = Vec::new();
    let n = idle
        .read_to_end(&mut rest)
        .expect("the idle connection is closed");
    assert_eq!(n, 0, "{}", String::from_utf8_lossy(&rest));
    let exit = s
        .proc
        .wait_for(Duration::from_secs(120))
        .expect("serve exited");
    assert_eq!(exit.code(), Some(0));
}
