//! A private TLS-only `redis-server` on a free loopback port, with a throwaway CA, a server
//! certificate (for 127.0.0.1) and a client certificate made by `openssl` for each server,
//! plus a second, unrelated CA to show that a certificate which does not verify is refused.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::servers;

/// Whether the server asks for a client certificate (`--tls-auth-clients`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// A client may present a certificate (`optional`).
    Optional,
    /// A client must present one signed by the CA (`yes`).
    Required,
}

/// PEM files made for one test: the CA, the server's and a client's certificate and key.
#[derive(Clone, Debug)]
pub struct TestCerts {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A CA that signed nothing the server has.
    pub other_ca: PathBuf,
}

const OPENSSL_CONFIG: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = mlqd-test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[node_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
";

impl TestCerts {
    /// Makes a CA, a server certificate for 127.0.0.1 (also good as a client certificate
    /// between cluster nodes), a client certificate and an unrelated CA, all EC P-256.
    pub fn make(dir: &Path) -> Self {
        let cnf = dir.join("openssl.cnf");
        std::fs::write(&cnf, OPENSSL_CONFIG).expect("write openssl config");
        let p = |name: &str| dir.join(name);
        let certs = TestCerts {
            ca: p("ca.crt"),
            server_cert: p("server.crt"),
            server_key: p("server.key"),
            client_cert: p("client.crt"),
            client_key: p("client.key"),
            other_ca: p("other-ca.crt"),
        };
        let ca_key = p("ca.key");
        self_signed(&cnf, &ca_key, &certs.ca, "mlqd-test-ca");
        self_signed(&cnf, &p("other-ca.key"), &certs.other_ca, "mlqd-other-ca");
        signed(
            &cnf,
            (&certs.ca, &ca_key),
            (&certs.server_key, &certs.server_cert),
            "127.0.0.1",
            "node_ext",
        );
        signed(
            &cnf,
            (&certs.ca, &ca_key),
            (&certs.client_key, &certs.client_cert),
            "mlqd-test-client",
            "client_ext",
        );
        certs
    }

    /// The redis-server options that serve TLS with these files.
    pub fn server_args(&self, auth: ClientAuth) -> Vec<String> {
        let auth = match auth {
            ClientAuth::Optional => "optional",
            ClientAuth::Required => "yes",
        };
        vec![
            "--tls-cert-file".into(),
            self.server_cert.display().to_string(),
            "--tls-key-file".into(),
            self.server_key.display().to_string(),
            "--tls-ca-cert-file".into(),
            self.ca.display().to_string(),
            "--tls-auth-clients".into(),
            auth.into(),
        ]
    }

    /// redis-rs certificates: trust the CA, present the client certificate.
    pub fn redis_certificates(&self) -> redis::TlsCertificates {
        let read = |p: &PathBuf| std::fs::read(p).expect("read test certificate");
        redis::TlsCertificates {
            client_tls: Some(redis::ClientTlsConfig {
                client_cert: read(&self.client_cert),
                client_key: read(&self.client_key),
            }),
            root_cert: Some(read(&self.ca)),
        }
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn self_signed(cnf: &Path, key: &Path, cert: &Path, cn: &str) {
    let subj = format!("/CN={cn}");
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-config",
        path(cnf),
        "-extensions",
        "ca_ext",
        "-subj",
        &subj,
        "-keyout",
        path(key),
        "-out",
        path(cert),
    ]);
}

fn signed(
    cnf: &Path,
    (ca, ca_key): (&Path, &Path),
    (key, cert): (&Path, &Path),
    cn: &str,
    ext: &str,
) {
    let csr = cert.with_extension("csr");
    let subj = format!("/CN={cn}");
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-config",
        path(cnf),
        "-subj",
        &subj,
        "-keyout",
        path(key),
        "-out",
        path(&csr),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        path(&csr),
        "-CA",
        path(ca),
        "-CAkey",
        path(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        path(cnf),
        "-extensions",
        ext,
        "-out",
        path(cert),
    ]);
}

/// A private TLS-only redis-server. Killed when dropped; its directory is removed.
pub struct TlsRedis {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    pub certs: TestCerts,
    pub auth: ClientAuth,
}

impl TlsRedis {
    pub fn start(auth: ClientAuth) -> Self {
        let dir = servers::private_dir("tls");
        let certs = TestCerts::make(&dir);
        for _ in 0..10 {
            let port = super::free_port();
            let mut cmd = servers::server_command(&dir);
            cmd.args(["--port", "0", "--tls-port", &port.to_string()])
                .args(certs.server_args(auth));
            let child = servers::spawn_tied(cmd).expect("start redis-server");
            let mut server = TlsRedis {
                child: Some(child),
                port,
                dir: dir.clone(),
                certs: certs.clone(),
                auth,
            };
            if servers::wait_for(Duration::from_secs(5), || server.ping() || server.exited())
                && server.ping()
            {
                return server;
            }
            server.stop();
        }
        panic!(
            "could not start a TLS redis-server:\n{}",
            servers::log_tail(&dir)
        );
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            servers::kill(&mut c);
        }
    }

    fn ping(&self) -> bool {
        self.client()
            .get_connection_with_timeout(Duration::from_millis(500))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    /// `rediss://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    /// A redis-rs client that trusts the CA and presents the client certificate.
    pub fn client(&self) -> redis::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        redis::Client::build_with_tls(self.url(), self.certs.redis_certificates())
            .expect("TLS client")
    }

    /// A synchronous connection for assertions.
    pub fn conn(&self) -> redis::Connection {
        self.client()
            .get_connection_with_timeout(Duration::from_secs(2))
            .expect("connect to the TLS test redis")
    }

    /// Every key under a namespace.
    pub fn keys(&self, ns: &str) -> Vec<String> {
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{ns}:*"))
            .query(&mut self.conn())
            .expect("KEYS");
        keys.sort();
        keys
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
