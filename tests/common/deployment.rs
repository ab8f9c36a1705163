//! Any Redis the tests run mlqd against — one server, one over TLS, a cluster, a Sentinel
//! setup — behind one trait, so a test written once runs on each (the shared helpers take
//! `&impl Deployment`).

use mlqd::broker::{BrokerConfig, TlsFiles};

use super::RedisServer;
use super::cluster::RedisCluster;
use super::sentinel::SentinelSetup;
use super::tls::TlsRedis;

pub trait Deployment {
    /// The `--redis-url`.
    fn url(&self) -> String;

    /// The TLS files mlqd needs (`--redis-ca`, `--redis-cert`, `--redis-key`).
    fn tls(&self) -> TlsFiles {
        TlsFiles::default()
    }

    /// The TLS files as `MLQD_*` variables.
    fn env(&self) -> Vec<(&'static str, String)> {
        let t = self.tls();
        let mut env = Vec::new();
        for (name, file) in [
            ("MLQD_REDIS_CA", t.ca),
            ("MLQD_REDIS_CERT", t.cert),
            ("MLQD_REDIS_KEY", t.key),
        ] {
            if let Some(f) = file {
                env.push((name, f.display().to_string()));
            }
        }
        env
    }

    /// Broker settings for the library.
    fn broker_config(&self, ns: &str) -> BrokerConfig {
        let mut c = BrokerConfig::new(self.url(), ns);
        c.tls = self.tls();
        c
    }
}

impl Deployment for RedisServer {
    fn url(&self) -> String {
        RedisServer::url(self)
    }
}

impl Deployment for RedisCluster {
    fn url(&self) -> String {
        RedisCluster::url(self)
    }

    fn tls(&self) -> TlsFiles {
        self.certs
            .as_ref()
            .map(|c| TlsFiles {
                ca: Some(c.ca.clone()),
                ..TlsFiles::default()
            })
            .unwrap_or_default()
    }
}

impl Deployment for SentinelSetup {
    fn url(&self) -> String {
        SentinelSetup::url(self)
    }
}

impl Deployment for TlsRedis {
    fn url(&self) -> String {
        TlsRedis::url(self)
    }

    /// The CA, and the client certificate when the server requires one.
    fn tls(&self) -> TlsFiles {
        let mutual = self.auth == super::tls::ClientAuth::Required;
        TlsFiles {
            ca: Some(self.certs.ca.clone()),
            cert: mutual.then(|| self.certs.client_cert.clone()),
            key: mutual.then(|| self.certs.client_key.clone()),
        }
    }
}
