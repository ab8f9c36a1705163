//! The TLS files of `--redis-ca`, `--redis-cert` and `--redis-key`: read and checked once,
//! before any connection is tried, and handed to redis-rs as PEM bytes.

use std::path::{Path, PathBuf};

use base64::Engine;
use redis::{ClientTlsConfig, TlsCertificates};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

/// The TLS files given on the command line (paths, read by [`RedisTarget::parse`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM CA certificate(s) trusted in addition to the system roots.
    pub ca: Option<PathBuf>,
    /// PEM client certificate (chain) for mutual TLS.
    pub cert: Option<PathBuf>,
    /// PEM private key of the client certificate.
    pub key: Option<PathBuf>,
}

impl TlsFiles {
    pub fn is_empty(&self) -> bool {
        self.ca.is_none() && self.cert.is_none() && self.key.is_none()
    }
}

/// Reads and checks the TLS files; the CA is added to the system roots.
pub(super) fn load_certificates(files: &TlsFiles) -> Result<TlsCertificates> {
    let client_tls = match (&files.cert, &files.key) {
        (None, None) => None,
        (Some(_), None) => return Err(Error::invalid("--redis-cert needs --redis-key")),
        (None, Some(_)) => return Err(Error::invalid("--redis-key needs --redis-cert")),
        (Some(cert), Some(key)) => {
            let client_cert = read(cert, "--redis-cert")?;
            let certs = pem_certs(&client_cert, cert, "--redis-cert")?;
            if certs == 0 {
                return Err(Error::invalid(format!(
                    "--redis-cert {}: no PEM certificate in it",
                    cert.display()
                )));
            }
            let client_key = read(key, "--redis-key")?;
            PrivateKeyDer::from_pem_slice(&client_key).map_err(|e| {
                Error::invalid(format!(
                    "--redis-key {}: no PEM private key in it ({e})",
                    key.display()
                ))
            })?;
            Some(ClientTlsConfig {
                client_cert,
                client_key,
            })
        }
    };
    let root_cert = match &files.ca {
        None => None,
        Some(ca) => {
            let mut pem = read(ca, "--redis-ca")?;
            if pem_certs(&pem, ca, "--redis-ca")? == 0 {
                return Err(Error::invalid(format!(
                    "--redis-ca {}: no PEM certificate in it",
                    ca.display()
                )));
            }
            // redis-rs trusts only the given roots once any are given; the spec wants the
            // private CA *in addition to* the system roots.
            pem.push(b'\n');
            pem.extend(system_roots_pem());
            Some(pem)
        }
    };
    Ok(TlsCertificates {
        client_tls,
        root_cert,
    })
}

fn read(path: &Path, flag: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::invalid(format!("{flag} {}: cannot read it: {e}", path.display())))
}

fn pem_certs(pem: &[u8], path: &Path, flag: &str) -> Result<usize> {
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        cert.map_err(|e| {
            Error::invalid(format!(
                "{flag} {}: not a PEM certificate ({e})",
                path.display()
            ))
        })?;
        n += 1;
    }
    Ok(n)
}

/// The system's trusted roots as PEM (none when the system has no store).
fn system_roots_pem() -> Vec<u8> {
    let found = rustls_native_certs::load_native_certs();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for cert in found.certs {
        let text = b64.encode(cert.as_ref());
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in text.as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, body: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mlqd-target-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    // A real self-signed throwaway certificate and its key (made with openssl for this test).
    const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUKX+IBZO4vkXM3Vm3zDQK4KnLeyYwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwObWxxZC11bml0LXRlc3QwIBcNMjYxMjAyMDIyMTI4WhgPMjEy
NjExMDgwMjIxMjhaMBkxFzAVBgNVBAMMDm1scWQtdW5pdC10ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE7LiPHJ5AxTZW4Kpkbstn++zquDC/uKCJOXAqHrN3
ZUoh/2S+WkbFE6CMyKbWNvePmVpNQWUvoCHeOj/wzfuup6NTMFEwHQYDVR0OBBYE
FFIfI4HfKaMNjTaKe/axVsqt33PBMB8GA1UdIwQYMBaAFFIfI4HfKaMNjTaKe/ax
Vsqt33PBMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAIYua39j
tApDfAZOsxd8raQO/3+fV7gX6+jhStckBRGjAiAUojp6OuDZZEv9yjlJDVA43Mg3
ie3UDQJRNSdx+js2hg==
-----END CERTIFICATE-----
";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghBwqJq31fkBh0q4b
NP/tIi97HekqcpXKsya2ffVvuY2hRANCAATsuI8cnkDFNlbgqmRuy2f77Oq4ML+4
oIk5cCoes3dlSiH/ZL5aRsUToIzIptY294+ZWk1BZS+gId46P/DN+66n
-----END PRIVATE KEY-----
";

    #[test]
    fn tls_files_are_read_and_checked() {
        let ca = temp("ca.pem", CERT.as_bytes());
        let cert = temp("client.pem", CERT.as_bytes());
        let key = temp("client.key", KEY.as_bytes());
        let files = TlsFiles {
            ca: Some(ca.clone()),
            cert: Some(cert.clone()),
            key: Some(key.clone()),
        };
        let certs = load_certificates(&files).unwrap();
        let root = String::from_utf8(certs.root_cert.clone().unwrap()).unwrap();
        assert!(root.starts_with(CERT), "the private CA comes first");
        assert!(certs.client_tls.is_some());

        let only = |f: TlsFiles| match load_certificates(&f) {
            Err(Error::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        };
        let m = only(TlsFiles {
            cert: Some(cert.clone()),
            ..TlsFiles::default()
        });
        assert!(m.contains("--redis-cert needs --redis-key"), "{m}");
        let m = only(TlsFiles {
            key: Some(key.clone()),
            ..TlsFiles::default()
        });
        assert!(m.contains("--redis-key needs --redis-cert"), "{m}");
        let m = only(TlsFiles {
            ca: Some(ca.with_file_name("missing.pem")),
            ..TlsFiles::default()
        });
        assert!(m.contains("--redis-ca") && m.contains("cannot read"), "{m}");
        let junk = temp("junk.pem", b"not a certificate");
        let m = only(TlsFiles {
            ca: Some(junk.clone()),
            ..TlsFiles::default()
        });
        assert!(m.contains("no PEM certificate"), "{m}");
        let m = only(TlsFiles {
            cert: Some(cert.clone()),
            key: Some(junk),
            ..TlsFiles::default()
        });
        assert!(m.contains("no PEM private key"), "{m}");
    }
}
