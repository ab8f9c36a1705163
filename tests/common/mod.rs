//! Test helpers, one module per concern; this file only lists them. Each test file pulls
//! in what it uses with `use common::{…}`.

#![allow(dead_code, unused_imports)]

pub mod browser;
pub mod cli;
pub mod cluster;
pub mod deployment;
pub mod http;
pub mod library;
pub mod poll;
pub mod proxy;
pub mod redis_server;
pub mod sentinel;
pub mod servers;
pub mod tls;

pub use cli::*;
pub use deployment::Deployment;
pub use http::*;
pub use library::*;
pub use poll::*;
pub use redis_server::*;
