//! The README's screenshots, from a lively scene.

use std::time::{Duration, Instant};

use crate::common::browser::Browser;
use crate::stack::*;
use serde_json::json;

/// Screenshots for the README, from a lively scene. Run on purpose:
/// `MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored`.
#[test]
#[ignore = "writes screenshots: MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored"]
fn screenshots() {
    let dir = std::path::PathBuf::from(
        std::env::var("MLQD_SCREENSHOTS").expect("set MLQD_SCREENSHOTS=<dir> (e.g. docs)"),
    );
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let s = Stack::start(&[]);
    // a job that loses its first worker, then runs again with progress
    let first = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--lease",
        "2s",
        "--no-reaper",
    ]);
    let train = s.post(
        "train",
        json!({"ms": 120000, "model": "resnet50", "epochs": 3}),
        "?priority=5",
    );
    s.wait_state(&train, "active", SHORT);
    std::thread::sleep(Duration::from_millis(1500));
    drop(first);
    let _trainer = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--concurrency",
        "2",
    ]);
    let _embedder = s.worker(&[
        "--queue",
        "embed",
        "--builtin",
        "sleep",
        "--concurrency",
        "8",
    ]);
    let _scorer = s.worker(&[
        "--queue",
        "score",
        "--builtin",
        "fail",
        "--concurrency",
        "2",
    ]);
    for i in 0..4 {
        s.post("score", json!({ "batch": i }), "?max_retries=0");
    }
    for i in 0..5 {
        s.post("reports", json!({ "day": i }), "?delay=2h");
    }
    let b = Browser::start();
    b.viewport(1280, 800, false);
    s.open(&b, "");
    // a varying load for ~40 s so the throughput chart has a shape
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(40) {
        let burst = 4 + (i % 7) * 3;
        for _ in 0..burst {
            s.post("embed", json!({"ms": 150 + (i % 5) * 40, "text": "…"}), "");
        }
        i += 1;
        std::thread::sleep(Duration::from_millis(900));
    }
    for j in 0..30 {
        s.post("embed", json!({"ms": 400, "doc": j}), "");
    }
    s.wait_state(&train, "active", LONG);
    std::thread::sleep(Duration::from_millis(2500));
    b.screenshot(&dir.join("dashboard-overview.png"));
    s.open(&b, &format!("#/jobs/{train}"));
    b.wait("progress past a third", LONG, |b| {
        b.eval(
            "Number(document.querySelector('.progress-box [role=progressbar]')?.dataset.percent)",
        )
        .as_u64()
        .filter(|p| *p >= 30)
    });
    b.wait_js(
        "the payload",
        SHORT,
        "document.querySelector('pre.preview')",
    );
    std::thread::sleep(Duration::from_millis(500));
    b.screenshot(&dir.join("dashboard-job.png"));
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}
