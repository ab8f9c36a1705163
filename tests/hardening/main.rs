//! Hardening (SPEC part 2, issue 15): what an adversarial run broke, each against a real
//! redis-server. One module per defect:
//! - `limits`: numbers are checked in Rust before they reach a script (D1), and an outcome
//!   Redis refuses fails that one job, never the worker's other outcomes.
//! - `oom`: Redis out of memory never takes jobs from a live worker (D4).
//! - `sweep`: no script walks the backlog, the sweep included (D2).

#[path = "../common/mod.rs"]
mod common;

mod limits;
mod oom;
mod sweep;
