//! A TCP proxy in front of a test redis-server that can lose answers on purpose, as a
//! network that breaks at the wrong moment does: after [`Proxy::lose_answers`] what the
//! server sends on the connections open then is read and dropped (the requests still
//! reach it); [`Proxy::cut`] closes those connections. Connections made later pass
//! everything.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// One proxied connection: its two sockets and whether the server's answers are lost.
struct Link {
    sockets: [TcpStream; 2],
    lose: Arc<AtomicBool>,
}

pub struct Proxy {
    pub port: u16,
    links: Arc<Mutex<Vec<Link>>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (a port on 127.0.0.1).
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let links: Arc<Mutex<Vec<Link>>> = Arc::default();
        let shared = links.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let lose = Arc::new(AtomicBool::new(false));
                let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
                    client.try_clone(),
                    server.try_clone(),
                    client.try_clone(),
                    server.try_clone(),
                ) else {
                    continue;
                };
                pump(client, server, None);
                pump(s2, c2, Some(lose.clone()));
                let mut all = shared.lock().unwrap_or_else(|p| p.into_inner());
                all.push(Link {
                    sockets: [c3, s3],
                    lose,
                });
            }
        });
        Proxy { port, links }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// From now on the answers on every open connection are lost.
    pub fn lose_answers(&self) {
        for link in self.links().iter() {
            link.lose.store(true, Ordering::SeqCst);
        }
    }

    /// Closes every connection open now.
    pub fn cut(&self) {
        for link in self.links().drain(..) {
            for s in &link.sockets {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }

    fn links(&self) -> std::sync::MutexGuard<'_, Vec<Link>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Copies `from` to `to` until either closes; drops what it reads while `lose` is set.
fn pump(mut from: TcpStream, mut to: TcpStream, lose: Option<Arc<AtomicBool>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if lose.as_ref().is_some_and(|l| l.load(Ordering::SeqCst)) {
                continue;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
