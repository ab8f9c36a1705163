//! A worker whose handler is a Rust async closure, through the mlqd library.
//!
//! ```text
//! cargo run --example rust_handler -- redis://127.0.0.1:6379
//! mlqd post --queue wordcount '{"text": "to be or not to be"}' --wait
//! ```
//!
//! Ctrl-C drains it like `mlqd worker`: running jobs finish (or are handed back).

use std::collections::BTreeMap;

use mlqd::broker::{Broker, BrokerConfig};
use mlqd::{HandlerError, Job, Output, QueueName, Worker, WorkerConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Counts words, reporting progress half way (the "model" is loaded once, outside).
async fn count_words(
    job: Job,
    stop_words: &'static [&'static str],
) -> Result<Output, HandlerError> {
    let payload: Value = serde_json::from_slice(&job.payload.bytes)
        .map_err(|e| HandlerError::permanent(format!("payload is not JSON: {e}")))?;
    let text = payload
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| HandlerError::permanent(r#"expected {"text": "..."}"#))?;
    job.progress(50, Some("counting")).await;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for word in text.split_whitespace() {
        let word = word.to_lowercase();
        if !stop_words.contains(&word.as_str()) {
            *counts.entry(word).or_default() += 1;
        }
    }
    Ok(Output::json(&json!({ "words": counts })))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_string());
    let broker = Broker::new(BrokerConfig::new(url, "mlqd"))?;
    let mut config = WorkerConfig::new(vec![QueueName::new("wordcount")?]);
    config.concurrency = 4;

    // loaded once, shared by every job
    static STOP_WORDS: [&str; 3] = ["a", "an", "the"];

    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    Worker::new(broker, config)
        .handler(|job: Job| count_words(job, &STOP_WORDS))
        .run(shutdown)
        .await?;
    Ok(())
}
