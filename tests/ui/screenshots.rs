//! The README's screenshots, from a lively scene.

use std::time::{Duration, Instant};

use crate::common::browser::Browser;
use crate::stack::*;
use serde_json::json;

/// Screenshots for the README, from a lively scene: the overview (queues with limits,
/// throughput, workers), a queue page (its limits and a backlog of pending jobs that a rate
/// limit holds back) and a job page (a text generator's streamed output as it comes). Run
/// on purpose: `MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored`.
/// The generator is `examples/generate/handler.py` (python3 and nothing else).
#[test]
#[ignore = "writes screenshots: MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored"]
fn screenshots() {
    let dir = std::path::PathBuf::from(
        std::env::var("MLQD_SCREENSHOTS").expect("set MLQD_SCREENSHOTS=<dir> (e.g. docs)"),
    );
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = Stack::start(&[]);
    s.cli(&[
        "queues", "limit", "embed", "--rate", "10/s", "--burst", "10",
    ]);
    s.cli(&["queues", "limit", "train", "--max-active", "2"]);
    s.cli(&[
        "cron",
        "set",
        "retrain",
        "--cron",
        "30 2 * * *",
        "--tz",
        "Europe/Paris",
        "--queue",
        "train",
        r#"{"model":"resnet50","epochs":3,"ms":90000}"#,
    ]);
    s.cli(&[
        "cron", "set", "rescore", "--every", "1h", "--queue", "score",
    ]);

    let python_path = format!(
        "{}:{}",
        repo.join("python/src").display(),
        repo.join("examples/generate").display()
    );
    let handler = format!(
        "python3 {}",
        repo.join("examples/generate/handler.py").display()
    );
    let _generator = s.worker_env(
        &["--queue", "generate", "--exec", &handler],
        &[("PYTHONPATH", &python_path)],
    );
    let _trainer = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--concurrency",
        "4",
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
    for epochs in [3, 5, 8] {
        s.post(
            "train",
            json!({"ms": 120000, "model": "resnet50", "epochs": epochs}),
            "?priority=5",
        );
    }
    for i in 0..4 {
        s.post("score", json!({ "batch": i }), "?max_retries=0");
    }
    for i in 0..5 {
        s.post("reports", json!({ "day": i }), "?delay=2h");
    }
    let b = Browser::start();
    b.viewport(1280, 800, false);
    s.open(&b, "");
    // a varying load for ~40 s so the throughput chart has a shape; more than the embed
    // queue's rate limit lets start, so a backlog builds
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(40) {
        let burst = 6 + (i % 7) * 3;
        let batch: Vec<_> = (0..burst)
            .map(|j| json!({"ms": 150 + (i % 5) * 40, "text": format!("document {i}-{j}")}))
            .collect();
        s.post_batch("embed", &batch);
        i += 1;
        std::thread::sleep(Duration::from_millis(900));
    }
    let generate = s.post(
        "generate",
        json!({"prompt": "The object", "max_tokens": 400, "pause": 0.08, "seed": 7}),
        "",
    );
    std::thread::sleep(Duration::from_millis(2500));
    b.screenshot(&dir.join("dashboard-overview.png"));

    s.open(&b, "#/queues/embed");
    b.wait_js(
        "a page of pending jobs",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 50",
    );
    b.wait_text("the limits", SHORT, ".limits-line .limits", |t| {
        t.starts_with("rate")
    });
    std::thread::sleep(Duration::from_millis(500));
    b.screenshot(&dir.join("dashboard-queue.png"));

    s.open(&b, &format!("#/jobs/{generate}"));
    b.wait("the generator a third of the way", LONG, |b| {
        b.eval(
            "Number(document.querySelector('.progress-box [role=progressbar]')?.dataset.percent)",
        )
        .as_u64()
        .filter(|p| *p >= 30)
    });
    b.wait_js(
        "the payload and the output",
        SHORT,
        "document.querySelector('pre.preview') && document.querySelector('pre.output')?.textContent.length > 200",
    );
    std::thread::sleep(Duration::from_millis(300));
    b.screenshot(&dir.join("dashboard-job.png"));
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}
