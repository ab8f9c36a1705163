//! Operating queues from the dashboard in a real browser: schedules, limits, and browsing a
//! queue's jobs page by page.

use crate::common::browser::Browser;
use crate::stack::*;
use serde_json::{Value, json};

/// The `data-job` ids of the rows on screen, in order.
fn rows(b: &Browser) -> Vec<String> {
    b.eval("[...document.querySelectorAll('tr[data-job]')].map(r => r.dataset.job)")
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until exactly `n` job rows show; returns their ids.
#[track_caller]
fn wait_rows(b: &Browser, what: &str, n: usize) -> Vec<String> {
    b.wait(what, SHORT, |b| Some(rows(b)).filter(|r| r.len() == n))
}

#[test]
fn schedules_set_with_cron_show_their_runs_and_delete_from_the_page() {
    let s = Stack::start(&[]);
    s.cli(&[
        "cron",
        "set",
        "nightly",
        "--cron",
        "30 2 * * *",
        "--tz",
        "Europe/Paris",
        "--queue",
        "train",
        "--timeout",
        "2h",
        r#"{"model":"resnet50"}"#,
    ]);
    s.cli(&["cron", "set", "tick", "--every", "1s", "--queue", "ticks"]);
    // a worker leads the reapers, whose scheduler posts the ticks
    let _w = s.worker(&["--queue", "ticks", "--builtin", "echo"]);

    let b = Browser::start();
    s.open(&b, "#/schedules");
    let row =
        |name: &str, col: &str| format!("tr[data-schedule=\"{name}\"] td[data-col=\"{col}\"]");
    b.wait_js(
        "two schedules",
        SHORT,
        "document.querySelectorAll('tr[data-schedule]').length === 2",
    );
    let api = s.get_json("/v1/schedules");
    let nightly = api
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "nightly"))
        .expect("nightly listed")
        .clone();
    let next = nightly["next_run"].as_str().expect("a next run");
    // the next run: relative, with the instant the API gave
    let shown = b
        .run(
            "return document.querySelector(arguments[0] + ' time')?.getAttribute('datetime');",
            json!([row("nightly", "next_run")]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(shown, next);
    let when = b.text(&row("nightly", "next_run")).unwrap_or_default();
    assert!(when.starts_with("in "), "{when}");
    let timing = b.text(&row("nightly", "timing")).unwrap_or_default();
    assert!(
        timing.contains("30 2 * * *") && timing.contains("Europe/Paris"),
        "{timing}"
    );
    let job = b.text(&row("nightly", "job")).unwrap_or_default();
    assert!(
        job.contains("resnet50") && job.contains("timeout 2h"),
        "{job}"
    );
    assert_eq!(
        b.text(&row("nightly", "last_run")).as_deref(),
        Some("—"),
        "nightly never ran"
    );
    b.wait_text("tick's timing", SHORT, &row("tick", "timing"), |t| {
        t == "every 1s"
    });

    // tick runs: its last run and the job it posted, a link to the job's page
    b.wait_js(
        "tick's last job",
        LONG,
        "document.querySelector('tr[data-schedule=\"tick\"] td[data-col=\"last_job\"] a')",
    );
    assert!(
        b.text(&row("tick", "last_run"))
            .is_some_and(|t| t.ends_with("ago") || t == "just now"),
        "{:?}",
        b.text(&row("tick", "last_run"))
    );
    b.click(&format!("{} a", row("tick", "last_job")));
    let id = b
        .wait("the job page", SHORT, |b| {
            b.text(".title-row .id").filter(|t| t.starts_with("ticks."))
        })
        .trim()
        .to_string();
    assert_eq!(s.get_json(&format!("/v1/jobs/{id}"))["queue"], "ticks");

    // delete from the page: asked twice, then gone from the API and the CLI
    s.open(&b, "#/schedules");
    let delete = "tr[data-schedule=\"nightly\"] button[data-action=delete]";
    b.click(delete);
    b.wait_text("the confirmation", SHORT, delete, |t| {
        t.contains("Delete nightly?")
    });
    assert_eq!(
        s.get_json("/v1/schedules").as_array().map(Vec::len),
        Some(2)
    );
    b.click(delete);
    b.wait_js(
        "nightly gone",
        SHORT,
        "!document.querySelector('tr[data-schedule=\"nightly\"]') \
         && document.querySelector('tr[data-schedule=\"tick\"]')",
    );
    let names: Vec<Value> = s
        .cli_json(&["cron", "list"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|x| x["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("tick")]);

    b.viewport(375, 812, true);
    s.open(&b, "#/schedules");
    b.wait_js(
        "the list",
        SHORT,
        "document.querySelector('tr[data-schedule]')",
    );
    assert_fits_width(&b, "the schedules");
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn limits_set_from_the_queue_page_show_everywhere_and_clear() {
    let s = Stack::start(&[]);
    s.post("paid", json!({}), "");
    let cli_limits = |s: &Stack| -> Value {
        let all = s.cli_json(&["queues"]);
        all.as_array()
            .and_then(|a| a.iter().find(|q| q["queue"] == "paid"))
            .expect("paid listed")["limits"]
            .clone()
    };
    let b = Browser::start();
    s.open(&b, "#/queues/paid");
    b.wait_text("no limits", SHORT, ".limits-line .limits", |t| t == "none");
    // by keyboard: Enter opens the form, it is filled, and Enter saves it
    b.type_into(".limits-line summary", "\u{E007}");
    b.type_into("#limit-rate", "10/s");
    b.type_into("#limit-burst", "10");
    b.type_into("#limit-max_active", "2\u{E007}");
    let want = "rate 10/s (burst 10) · max active 2";
    b.wait_text("the limits", SHORT, ".limits-line .limits", |t| t == want);
    assert_eq!(
        cli_limits(&s),
        json!({"rate": "10/s", "burst": 10, "max_active": 2}),
        "mlqd queues --json agrees"
    );
    s.open(&b, "");
    b.wait_text(
        "the overview's limits",
        SHORT,
        &cell("paid", "limits"),
        |t| t == want,
    );

    // input the server would refuse is told on the spot, and nothing is sent
    s.open(&b, "#/queues/paid");
    b.click(".limits-line summary");
    assert_eq!(
        b.eval("document.getElementById('limit-max_active').value"),
        json!("2"),
        "the form starts from the limits in force"
    );
    let _ = b.requests();
    b.clear("#limit-rate");
    b.type_into("#limit-rate", "fast");
    b.click("button[data-action=limits]");
    b.wait_text("the refusal", SHORT, ".form-msg", |t| t.contains("N/s"));
    b.clear("#limit-rate");
    b.click("button[data-action=limits]");
    b.wait_text("a burst needs a rate", SHORT, ".form-msg", |t| {
        t.contains("burst goes with a rate")
    });
    let sent = assert_only_the_server(&b, &s);
    assert!(
        !sent.iter().any(|u| u.ends_with("/limits")),
        "nothing was sent: {sent:?}"
    );
    assert_eq!(cli_limits(&s)["max_active"], 2);

    // an emptied field clears that limit alone
    b.clear("#limit-burst");
    b.click("button[data-action=limits]");
    b.wait_text("max active alone", SHORT, ".limits-line .limits", |t| {
        t == "max active 2"
    });
    assert_eq!(
        cli_limits(&s),
        json!({"rate": null, "burst": null, "max_active": 2})
    );
    // clear them all (on a phone)
    b.viewport(375, 812, true);
    b.click(".limits-line summary");
    assert_fits_width(&b, "the queue page with the limits form open");
    b.click("button[data-action=clear-limits]");
    b.wait_text("no limits again", SHORT, ".limits-line .limits", |t| {
        t == "none"
    });
    assert_eq!(cli_limits(&s), Value::Null);
    assert_eq!(s.get_json("/v1/queues/paid")["limits"], Value::Null);
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}

#[test]
fn queue_page_pages_through_jobs_and_lists_finished_ones_newest_first() {
    let s = Stack::start(&[]);
    // 70 jobs in one request: more than a page
    let payloads: Vec<Value> = (0..70).map(|i| json!({"i": i, "ms": 5})).collect();
    let posted = s.post_batch("bulk", &payloads);
    let b = Browser::start();
    s.open(&b, "#/queues/bulk");
    b.wait_text("70 pending", SHORT, "[data-count=pending]", |t| t == "70");
    // pending jobs in the order they will run: the oldest first
    let first = wait_rows(&b, "the first page", 50);
    assert_eq!(first, posted[..50]);
    assert!(
        b.find("[data-page=first]").is_none(),
        "already on the first page"
    );
    b.click("[data-page=next]");
    let second = wait_rows(&b, "the second page", 20);
    assert_eq!(second, posted[50..]);
    assert!(b.page_text().contains("page 2"));
    assert!(b.find("[data-page=next]").is_none(), "the last page");
    b.click("[data-page=first]");
    assert_eq!(wait_rows(&b, "the first page again", 50), first);

    // one at a time, so they finish in the order they were posted
    let _w = s.worker(&[
        "--queue",
        "bulk",
        "--builtin",
        "sleep",
        "--concurrency",
        "1",
    ]);
    b.wait_text("all done", LONG, "[data-count=succeeded]", |t| t == "70");
    b.click("a.tab[data-state=succeeded]");
    b.wait_js(
        "the succeeded tab",
        SHORT,
        "document.querySelector('.list-head h2')?.textContent === 'succeeded jobs'",
    );
    let newest: Vec<String> = posted.iter().rev().cloned().collect();
    assert_eq!(wait_rows(&b, "the newest 50", 50), newest[..50]);
    assert!(
        b.find("tr[data-job] td time").is_some(),
        "a finished time per row"
    );
    b.click("[data-page=next]");
    assert_eq!(wait_rows(&b, "the oldest 20", 20), newest[50..]);
    assert_only_the_server(&b, &s);
    assert_no_console_errors(&b);
}
