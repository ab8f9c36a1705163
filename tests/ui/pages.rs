//! The dashboard's pages in a real browser.

use std::time::Duration;

use crate::common::browser::Browser;
use crate::stack::*;
use serde_json::{Value, json};

#[test]
fn overview_counts_follow_posts_and_drains_without_a_reload() {
    let s = Stack::start(&[]);
    for i in 0..3 {
        s.post("ingest", json!({ "i": i }), "");
    }
    let b = Browser::start();
    s.open(&b, "");
    b.wait_text("3 pending", SHORT, &cell("ingest", "pending"), |t| t == "3");
    // a mark on the document: if the page reloaded, it would be gone
    b.eval("(window.__same_page = 42)");
    s.post("ingest", json!({ "i": 3 }), "");
    s.post("ingest", json!({ "i": 4 }), "?delay=1h");
    b.wait_text("4 pending", SHORT, &cell("ingest", "pending"), |t| t == "4");
    b.wait_text("1 scheduled", SHORT, &cell("ingest", "scheduled"), |t| {
        t == "1"
    });
    let _w = s.worker(&["--queue", "ingest", "--builtin", "echo"]);
    b.wait_text("pending drained", LONG, &cell("ingest", "pending"), |t| {
        t == "0"
    });
    b.wait_text("4 succeeded", SHORT, &cell("ingest", "succeeded"), |t| {
        t == "4"
    });
    b.wait_js(
        "the worker listed",
        SHORT,
        "document.querySelectorAll('tr[data-worker]').length === 1",
    );
    b.wait_js(
        "a reaper leader shown",
        LONG,
        "[...document.querySelectorAll('.card')].some(c => c.textContent.includes('Reaper leader') && !c.textContent.includes('none'))",
    );
    assert_eq!(
        b.eval("window.__same_page"),
        json!(42),
        "the page was not reloaded"
    );
    let requests = assert_only_the_server(&b, &s);
    assert!(requests.iter().any(|u| u.ends_with("/v1/overview")));
    assert_no_console_errors(&b);
}

#[test]
fn job_page_follows_progress_to_the_end_and_cancels() {
    let s = Stack::start(&[]);
    let _w = s.worker(&[
        "--queue",
        "train",
        "--builtin",
        "sleep",
        "--concurrency",
        "2",
    ]);
    let done = s.post("train", json!({"ms": 200}), "");
    s.wait_state(&done, "succeeded", SHORT);

    let b = Browser::start();
    s.open(&b, &format!("#/jobs/{done}"));
    b.wait_text("the final state", SHORT, ".title-row .badge", |t| {
        t == "succeeded"
    });
    b.wait_js(
        "one succeeded attempt",
        SHORT,
        "document.querySelectorAll('tr[data-outcome=\"succeeded\"]').length === 1",
    );
    // a job that emitted nothing has no output panel
    b.wait_js(
        "its stream read to the end",
        SHORT,
        "document.querySelector('p.output-note')?.textContent === 'No output.'",
    );
    assert_eq!(
        b.eval("document.querySelector('pre.output').closest('section').hidden"),
        json!(true)
    );
    let result = b.wait_text("the result preview", SHORT, "pre.preview", |t| {
        t.contains("\"ms\": 200")
    });
    assert!(result.contains('{'), "{result}");
    let href = b
        .eval("document.querySelector('a[data-download]').href")
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(href.starts_with("blob:"), "download link: {href}");

    // a long job: the bar moves while it runs, then cancel from the page
    let long = s.post("train", json!({"ms": 15000}), "");
    s.open(&b, &format!("#/jobs/{long}"));
    b.wait_text("running", SHORT, ".title-row .badge", |t| t == "active");
    let percent = |b: &Browser| -> Option<u64> {
        b.eval("document.querySelector('.progress-box [role=progressbar]')?.dataset.percent")
            .as_str()?
            .parse()
            .ok()
    };
    let first = b.wait("progress above 0", SHORT, |b| percent(b).filter(|p| *p > 0));
    let later = b.wait("progress moving", SHORT, |b| {
        percent(b).filter(|p| *p > first)
    });
    assert!(later < 100, "{later}");
    b.wait_text("the payload preview", SHORT, "pre.preview", |t| {
        t.contains("\"ms\": 15000")
    });
    b.click("button[data-action=cancel]");
    b.wait_text(
        "the confirmation",
        SHORT,
        "button[data-action=cancel]",
        |t| t.contains("Really"),
    );
    b.click("button[data-action=cancel]");
    b.wait_text("cancelled on the page", SHORT, ".title-row .badge", |t| {
        t == "cancelled"
    });
    assert_eq!(s.state(&long), "cancelled");
    b.wait_js(
        "the cancelled attempt in the history",
        SHORT,
        "document.querySelectorAll('tr[data-outcome=\"cancelled\"]').length === 1",
    );
    assert!(
        b.find("button[data-action=cancel]").is_none(),
        "no cancel on a cancelled job"
    );
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn job_page_shows_streamed_output_live_and_says_when_it_was_trimmed() {
    let s = Stack::start(&[]);
    let _w = s.worker(&["--queue", "gen", "--builtin", "stream"]);
    let _capped = s.worker(&[
        "--queue",
        "capped",
        "--builtin",
        "stream",
        "--max-stream",
        "64",
    ]);
    let b = Browser::start();
    let live = s.post("gen", json!({"chunks": 100, "ms": 100}), "");
    s.open(&b, &format!("#/jobs/{live}"));
    // output appears while the job runs, chunk by chunk
    b.wait_js(
        "output while the job runs",
        SHORT,
        "document.querySelector('.title-row .badge')?.textContent === 'active' \
         && (document.querySelector('pre.output')?.textContent || '').includes('chunk 3')",
    );
    let all = b.wait_text("every chunk", LONG, "pre.output", |t| {
        t.contains("chunk 99")
    });
    let expected: String = (0..100).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!(all.trim_end(), expected.trim_end());
    b.wait_text("the end", SHORT, ".title-row .badge", |t| t == "succeeded");
    b.wait_text("the attempt noted", SHORT, "p.output-note", |t| {
        t == "attempt 1"
    });
    assert_eq!(
        b.eval("document.querySelector('main > section.panel h2')?.textContent"),
        json!("Output"),
        "the output comes first"
    );

    // over the worker's --max-stream: the newest output, and a note that the rest is gone
    let capped = s.post("capped", json!({"chunks": 50}), "");
    s.wait_state(&capped, "succeeded", LONG);
    s.open(&b, &format!("#/jobs/{capped}"));
    let shown = b.wait_text("the newest chunks", SHORT, "pre.output", |t| {
        t.contains("chunk 49")
    });
    assert!(!shown.contains("chunk 0\n"), "{shown}");
    assert!(shown.len() <= 64, "{shown:?}");
    b.wait_text("the trim noted", SHORT, "p.output-note", |t| {
        t.contains("trimmed")
    });
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn dead_letters_requeue_one_purge_the_rest_and_pause_resume_hand_out() {
    let s = Stack::start(&[]);
    let ids: Vec<String> = (0..4)
        .map(|i| s.post("flaky", json!({ "i": i }), "?max_retries=0"))
        .collect();
    {
        let _fail = s.worker(&["--queue", "flaky", "--builtin", "fail", "--no-reaper"]);
        for id in &ids {
            s.wait_state(id, "dead", SHORT);
        }
    } // the failing worker is gone

    // on a phone
    let b = Browser::start();
    b.viewport(375, 812, true);
    s.open(&b, "#/queues/flaky?state=dead");
    b.wait_js(
        "four dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 4",
    );
    assert_fits_width(&b, "the dead letters");
    // one from its own page
    b.click(&format!("tr[data-job=\"{}\"] a", ids[3]));
    b.wait_text("the dead job's page", SHORT, ".title-row .badge", |t| {
        t == "dead"
    });
    b.click("button[data-action=requeue]");
    b.wait_text("requeued on its page", SHORT, ".title-row .badge", |t| {
        t == "pending"
    });
    assert_eq!(s.state(&ids[3]), "pending");
    assert!(
        b.find("button[data-action=cancel]").is_some(),
        "a pending job can be cancelled"
    );
    s.open(&b, "#/queues/flaky?state=dead");
    b.wait_js(
        "three dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 3",
    );
    b.click(&format!(
        "tr[data-job=\"{}\"] button[data-action=requeue]",
        ids[0]
    ));
    b.wait_js(
        "two dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 2",
    );
    assert_eq!(s.state(&ids[0]), "pending");
    b.click("button[data-action=purge]");
    b.wait_text(
        "the confirmation",
        SHORT,
        "button[data-action=purge]",
        |t| t.contains("for good"),
    );
    b.click("button[data-action=purge]");
    b.wait_js(
        "no dead rows",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 0",
    );
    assert_eq!(s.get_json("/v1/queues/flaky")["dead"], 0);
    assert_eq!(
        s.get(&format!("/v1/jobs/{}", ids[1])).status().as_u16(),
        404
    );
    b.wait_text("the tab count", SHORT, "[data-count=dead]", |t| t == "0");

    // pause from the page: a worker hands nothing out; resume: the job runs
    b.click("button[data-action=pause]");
    b.wait_text("paused badge", SHORT, ".title-row .badge", |t| {
        t == "paused"
    });
    assert_eq!(s.get_json("/v1/queues/flaky")["paused"], true);
    let _echo = s.worker(&["--queue", "flaky", "--builtin", "echo"]);
    std::thread::sleep(Duration::from_millis(1500));
    for id in [&ids[0], &ids[3]] {
        assert_eq!(s.state(id), "pending", "a paused queue hands nothing out");
    }
    b.click("button[data-action=resume]");
    b.wait_text("running badge", SHORT, ".title-row .badge", |t| {
        t == "running"
    });
    s.wait_state(&ids[0], "succeeded", SHORT);
    s.wait_state(&ids[3], "succeeded", SHORT);
    b.wait_text("pending count 0", SHORT, "[data-count=pending]", |t| {
        t == "0"
    });
    assert_fits_width(&b, "the queue page");
    let job = format!("#/jobs/{}", ids[0]);
    for route in ["", &job, "#/workers", "#/schedules"] {
        s.open(&b, route);
        b.wait_js("the page", SHORT, "document.querySelector('main .panel')");
        std::thread::sleep(Duration::from_millis(300));
        assert_fits_width(&b, route);
        if let Ok(dir) = std::env::var("MLQD_SCREENSHOTS_PHONE") {
            let name = route
                .trim_start_matches("#/")
                .split('/')
                .next()
                .unwrap_or("");
            let name = if name.is_empty() { "overview" } else { name };
            b.screenshot(&std::path::Path::new(&dir).join(format!("phone-{name}.png")));
        }
    }
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn with_a_token_nothing_shows_before_sign_in_and_a_wrong_token_is_told() {
    let s = Stack::start(&["--token", TOKEN]);
    s.post("secret-queue", json!({}), "");
    let b = Browser::start();
    s.open(&b, "");
    b.wait("the sign-in form", SHORT, |b| b.find("#token"));
    std::thread::sleep(Duration::from_millis(300));
    let before = assert_only_the_server(&b, &s);
    assert!(
        !before.iter().any(|u| u.contains("/v1/")),
        "asked the API before sign-in: {before:?}"
    );
    assert!(!b.page_text().contains("secret-queue"));
    assert_eq!(b.eval("document.getElementById('nav').hidden"), json!(true));

    b.type_into("#token", "not-the-token");
    b.click("button[data-action=sign-in]");
    b.wait_text("the refusal", SHORT, "#login-msg", |t| {
        t.contains("refused")
    });
    assert_eq!(b.eval("sessionStorage.getItem('mlqd.token')"), Value::Null);
    assert!(!b.page_text().contains("secret-queue"));
    let errors = b.console();
    assert!(
        errors.iter().all(|e| e.contains("401")),
        "only the refused check may show in the console: {errors:#?}"
    );

    b.clear("#token");
    b.type_into("#token", TOKEN);
    b.click("button[data-action=sign-in]");
    b.wait_text(
        "the queue after sign-in",
        SHORT,
        &cell("secret-queue", "pending"),
        |t| t == "1",
    );
    assert_eq!(b.eval("sessionStorage.getItem('mlqd.token')"), json!(TOKEN));
    assert_eq!(
        b.eval("localStorage.length"),
        json!(0),
        "the token is kept for the tab only"
    );
    assert_eq!(b.eval("document.cookie"), json!(""));
    let after = assert_only_the_server(&b, &s);
    assert!(
        after.iter().all(|u| !u.contains(TOKEN)),
        "the token never travels in a URL"
    );
    assert_no_console_errors(&b);
}

#[test]
fn read_only_pages_offer_no_action() {
    let s = Stack::start(&["--ui-read-only"]);
    let pending = s.post("ro", json!({}), "");
    let dead = s.post("ro-dead", json!({}), "?max_retries=0");
    s.cli(&["cron", "set", "hourly", "--every", "1h", "--queue", "ro"]);
    s.cli(&["queues", "limit", "ro", "--max-active", "3"]);
    let _fail = s.worker(&["--queue", "ro-dead", "--builtin", "fail"]);
    s.wait_state(&dead, "dead", SHORT);

    let b = Browser::start();
    let no_actions = |b: &Browser, page: &str| {
        assert!(
            b.find("button[data-action]").is_none(),
            "{page} has an action button"
        );
        assert!(b.find("form, input").is_none(), "{page} has a form");
        let labels = texts(b, "button");
        assert!(
            labels.iter().all(|l| ![
                "Pause", "Resume", "Cancel", "Requeue", "Purge", "Delete", "Save"
            ]
            .iter()
            .any(|w| l.contains(w))),
            "{page} buttons: {labels:?}"
        );
    };
    s.open(&b, "");
    b.wait_text("the overview", SHORT, &cell("ro", "pending"), |t| t == "1");
    assert_eq!(
        b.eval("document.getElementById('mode').hidden"),
        json!(false)
    );
    no_actions(&b, "overview");
    s.open(&b, "#/queues/ro-dead?state=dead");
    b.wait_js(
        "the dead row",
        SHORT,
        "document.querySelectorAll('tr[data-job]').length === 1",
    );
    no_actions(&b, "dead letters");
    s.open(&b, "#/queues/ro");
    b.wait_text("the queue", SHORT, ".title-row .badge", |t| t == "running");
    b.wait_text("its limits", SHORT, ".limits-line .limits", |t| {
        t == "max active 3"
    });
    no_actions(&b, "queue");
    s.open(&b, "#/schedules");
    b.wait_js(
        "the schedule",
        SHORT,
        "document.querySelector('tr[data-schedule=\"hourly\"]')",
    );
    no_actions(&b, "schedules");
    for id in [&pending, &dead] {
        s.open(&b, &format!("#/jobs/{id}"));
        b.wait_js(
            "the job",
            SHORT,
            &format!("document.querySelector('.title-row .id')?.innerText === '{id}'"),
        );
        b.wait_js(
            "its details",
            SHORT,
            "document.querySelectorAll('.facts dt').length > 5",
        );
        no_actions(&b, "job");
    }
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}
