//! mlqd over TLS (`rediss://`): a private CA (`--redis-ca`), mutual TLS (`--redis-cert` /
//! `--redis-key`), and a certificate that does not verify.

mod common;

use std::time::Duration;

use common::tls::{ClientAuth, TlsRedis};

fn connect(url: &str, certs: redis::TlsCertificates) -> redis::RedisResult<redis::Connection> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    redis::Client::build_with_tls(url, certs)?.get_connection_with_timeout(Duration::from_secs(2))
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
