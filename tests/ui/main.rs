//! The web dashboard end to end: the real `mlqd serve` and workers on a private
//! redis-server, and the page in a real headless Chromium (tests/common/browser.rs).
//!
//! - `api`: the files `/ui` serves and the API routes the page relies on (plain HTTP);
//! - `pages`: the pages in the browser. Every one also checks that the page asked nothing
//!   of any host but the server and logged no console error;
//! - `operate`: schedules, limits and paging through a queue's jobs, in the browser too;
//! - `screenshots`: the README's pictures, on purpose only:
//!   `MLQD_SCREENSHOTS=docs cargo test --test ui screenshots -- --ignored`.

#[path = "../common/mod.rs"]
mod common;

mod api;
mod operate;
mod pages;
mod screenshots;
mod stack;
