//! mlqd over TLS (`rediss://`): a private CA (`--redis-ca`), mutual TLS (`--redis-cert` /
//! `--redis-key`), and a certificate that does not verify (one line, exit 1, nothing
//! written, no fallback to plain TCP).

mod common;

use std::process::Command;
use std::time::Duration;

use common::tls::{ClientAuth, TlsRedis};
use common::{
    Deployment, Server, bin, code, http, mlqd, namespace, post, quiet_worker, run, stderr, stdout,
};

fn connect(url: &str, certs: redis::TlsCertificates) -> redis::RedisResult<redis::Connection> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    redis::Client::build_with_tls(url, certs)?.get_connection_with_timeout(Duration::from_secs(2))
}

/// `mlqd` for `redis` with exactly these TLS variables.
fn mlqd_with(redis: &TlsRedis, ns: &str, env: &[(&str, &std::path::Path)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MLQD_REDIS_URL", redis.url())
        .env("MLQD_NAMESPACE", ns)
        .env("MLQD_LOG_LEVEL", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The one line a failed command prints; fails the test on anything more.
#[track_caller]
fn one_error_line(out: &std::process::Output) -> String {
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {err}");
    assert!(lines[0].starts_with("mlqd: error: "), "{err}");
    lines[0].to_string()
}

#[test]
fn harness_tls_server_checks_both_sides() {
    let server = TlsRedis::start(ClientAuth::Required);
    let mut c = server.conn();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");

    let mut certs = server.certs.redis_certificates();
    certs.client_tls = None;
    let no_client_cert =
        connect(&server.url(), certs).and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
    assert!(
        no_client_cert.is_err(),
        "the server required a client certificate"
    );

    let mut certs = server.certs.redis_certificates();
    certs.root_cert = Some(std::fs::read(&server.certs.other_ca).unwrap());
    let wrong_ca = connect(&server.url(), certs);
    assert!(
        wrong_ca.is_err(),
        "a CA that signed nothing must not verify the server"
    );

    let plain = redis::Client::open(format!("redis://127.0.0.1:{}", server.port))
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(1))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
    assert!(plain.is_err(), "the server speaks TLS only");
}

#[test]
fn a_job_round_trips_over_tls_with_a_private_ca() {
    let redis = TlsRedis::start(ClientAuth::Optional);
    let ns = namespace();
    let _worker = quiet_worker(&redis, &ns, &["--builtin", "echo", "--concurrency", "2"]);

    // CLI: post, then the result
    let id = post(&redis, &ns, &[r#"{"over":"tls"}"#]);
    let mut cmd = mlqd(&redis, &ns);
    cmd.args(["result", &id, "--wait", "--wait-timeout", "30s"]);
    let out = run(cmd);
    assert!(out.status.success(), "result: {}", stderr(&out));
    assert_eq!(stdout(&out), r#"{"over":"tls"}"#);

    // post --wait
    let mut cmd = mlqd(&redis, &ns);
    cmd.args(["post", r#"{"n":2}"#, "--wait", "--wait-timeout", "30s"]);
    let out = run(cmd);
    assert!(out.status.success(), "post --wait: {}", stderr(&out));
    assert_eq!(stdout(&out), r#"{"n":2}"#);

    // serve: POST ?wait= answers with the result
    let server = Server::start(&redis, &ns, &[]);
    let res = http()
        .post(server.url("/v1/queues/default/jobs?wait=30s"))
        .header("content-type", "application/json")
        .body(r#"{"n":3}"#)
        .send()
        .expect("POST ?wait=");
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().contains_key("x-mlqd-job-id"));
    assert_eq!(res.text().unwrap(), r#"{"n":3}"#);

    // everything lives in the TLS server
    let keys = redis.keys(&ns);
    assert!(
        keys.iter().any(|k| k.contains("{default}")),
        "no queue keys: {keys:?}"
    );
}

#[test]
fn a_certificate_that_does_not_verify_is_one_line_and_exit_1() {
    let redis = TlsRedis::start(ClientAuth::Optional);
    let ns = namespace();
    // a CA that did not sign the server's certificate, then the system roots alone
    let other = redis.certs.other_ca.clone();
    let setups: [Vec<(&str, &std::path::Path)>; 2] = [vec![("MLQD_REDIS_CA", &other)], vec![]];
    for env in &setups {
        let mut cmd = mlqd_with(&redis, &ns, env);
        cmd.arg("queues");
        let out = run(cmd);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let line = one_error_line(&out);
        assert!(
            line.contains("certificate does not verify") && line.contains("--redis-ca"),
            "{line}"
        );
        assert!(line.contains(&redis.url()), "names the URL: {line}");

        // a long-running role stops at start instead of retrying forever
        let mut cmd = mlqd_with(&redis, &ns, env);
        cmd.args(["worker", "--builtin", "echo"]);
        let out = run(cmd);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let line = one_error_line(&out);
        assert!(line.contains("certificate does not verify"), "{line}");
    }
    // never a silent downgrade: nothing reached the server
    assert_eq!(redis.keys(&ns), Vec::<String>::new());
    // a CA file that is not a certificate is a usage error, found before connecting
    let junk = common::write_temp("junk.pem", b"not a certificate");
    let mut cmd = mlqd_with(&redis, &ns, &[("MLQD_REDIS_CA", &junk)]);
    cmd.arg("queues");
    let out = run(cmd);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(one_error_line(&out).contains("--redis-ca"));
}

#[test]
fn mutual_tls_presents_the_client_certificate() {
    let redis = TlsRedis::start(ClientAuth::Required);
    let ns = namespace();
    let certs = &redis.certs;

    // the CA alone: the server wants a client certificate, and the line says so
    let mut cmd = mlqd_with(&redis, &ns, &[("MLQD_REDIS_CA", &certs.ca)]);
    cmd.arg("queues");
    let out = run(cmd);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains("--redis-cert"), "{line}");

    // a certificate without its key is a usage error
    let mut cmd = mlqd_with(
        &redis,
        &ns,
        &[
            ("MLQD_REDIS_CA", &certs.ca),
            ("MLQD_REDIS_CERT", &certs.client_cert),
        ],
    );
    cmd.arg("queues");
    let out = run(cmd);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(one_error_line(&out).contains("--redis-cert needs --redis-key"));

    // the full set: a job goes through
    assert!(
        redis.tls().cert.is_some(),
        "the harness passes the client certificate"
    );
    let _worker = quiet_worker(&redis, &ns, &["--builtin", "echo"]);
    let mut cmd = mlqd(&redis, &ns);
    cmd.args([
        "post",
        r#"{"mutual":true}"#,
        "--wait",
        "--wait-timeout",
        "30s",
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "post --wait: {}", stderr(&out));
    assert_eq!(stdout(&out), r#"{"mutual":true}"#);
}
