//! examples/iris end to end: a real scikit-learn model, trained at start-up on the Iris data
//! set that ships with scikit-learn, served by the real `mlqd worker --exec` through the
//! `mlqd` Python package (python/).
//!
//! Needs a Python with scikit-learn and the mlqd package: `$MLQD_TEST_PYTHON`, else the
//! virtualenv that scripts/python-venv.sh makes (once, then reuses) under the target directory.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::{Proc, RedisServer, client, eventually, mlqd, namespace, repo, status_json};
use mlqd::job::JobState;
use mlqd::{Client, JobId, JobOptions, Payload, QueueName};
use serde_json::{Value, json};

fn sklearn_python() -> String {
    if let Ok(p) = std::env::var("MLQD_TEST_PYTHON")
        && !p.is_empty()
    {
        return p;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let out = std::process::Command::new(repo("scripts/python-venv.sh"))
        .arg(&dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/python-venv.sh");
    assert!(
        out.status.success(),
        "could not make a Python virtualenv with scikit-learn and the mlqd package"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("python path")
        .trim()
        .to_string()
}

async fn post(c: &Client, queue: &str, payload: Value) -> JobId {
    c.post(
        &QueueName::new(queue).unwrap(),
        Payload::json(&payload),
        JobOptions {
            max_retries: Some(0),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn result(c: &Client, id: &JobId) -> Value {
    let st = c.wait(id, Some(Duration::from_secs(60))).await.unwrap();
    assert_eq!(st.state, JobState::Succeeded, "{:?}", st.error);
    let (_, r) = c.result(id).await.unwrap();
    serde_json::from_slice(&r.bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iris_model_predicts_classes_and_trains_with_progress() {
    let python = sklearn_python();
    let r = RedisServer::start();
    let ns = namespace();
    let c = client(&r, &ns);
    let handler = repo("examples/iris/handler.py");
    let mut cmd = mlqd(&r, &ns);
    cmd.arg("worker")
        .args(["--queue", "iris,iris-train", "--exec"])
        .arg(format!("{python} {}", handler.display()))
        .args(["--batch-size", "8", "--batch-wait", "5ms"]);
    let _worker = Proc::spawn(cmd);

    let setosa = post(&c, "iris", json!({"features": [5.1, 3.5, 1.4, 0.2]})).await;
    let virginica = post(&c, "iris", json!({"features": [6.7, 3.0, 5.2, 2.3]})).await;
    let many = post(
        &c,
        "iris",
        json!({"features": [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3]]}),
    )
    .await;
    let bad = post(&c, "iris", json!({"features": [1, 2]})).await;

    let out = result(&c, &setosa).await;
    assert_eq!(out["class"], "setosa", "{out}");
    assert_eq!(out["class_id"], 0);
    let p: f64 = ["setosa", "versicolor", "virginica"]
        .iter()
        .map(|k| out["probabilities"][k].as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 0.01, "{out}");
    assert_eq!(result(&c, &virginica).await["class"], "virginica");
    let out = result(&c, &many).await;
    assert_eq!(out["predictions"][0]["class"], "setosa", "{out}");
    assert_eq!(out["predictions"][1]["class"], "versicolor", "{out}");
    // bad input is a permanent failure with a message that says what is wrong
    let st = c.wait(&bad, Some(Duration::from_secs(30))).await.unwrap();
    assert_eq!(st.state, JobState::Dead);
    assert!(
        st.error.as_deref().unwrap().contains("must be 4 numbers"),
        "{:?}",
        st.error
    );

    // training reports progress per epoch, visible in `mlqd status --json`
    let train = post(&c, "iris-train", json!({"epochs": 15, "pause": 0.2})).await;
    let seen = eventually(Duration::from_secs(60), || {
        let st = status_json(&r, &ns, &train.to_string());
        let msg = st["progress"]["message"].as_str()?.to_string();
        (st["state"] == "active" && msg.starts_with("epoch ")).then_some(msg)
    })
    .expect("no training progress seen");
    assert!(seen.contains("/15, test accuracy"), "{seen}");
    let out = result(&c, &train).await;
    assert_eq!(out["epochs"], 15);
    assert!(out["test_accuracy"].as_f64().unwrap() > 0.8, "{out}");
}
