//! A TCP proxy in front of a test redis-server that misbehaves on purpose, as a network
//! does at the wrong moment. On the connections open when told (requests always reach the
//! server):
//! - [`Proxy::lose_answers`]: what the server sends is read and dropped;
//! - [`Proxy::hold_answers`]: what the server sends is held back, except on subscriptions
//!   (connections that sent a SUBSCRIBE), until [`Proxy::release`];
//! - [`Proxy::cut`]: the connections are closed.
//!
//! Connections made later pass everything.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one proxied connection does with the server's answers.
#[derive(Default)]
struct Flags {
    lose: AtomicBool,
    hold: AtomicBool,
    /// The client sent a SUBSCRIBE on it.
    pubsub: AtomicBool,
}

/// One proxied connection: its two sockets and its flags.
struct Link {
    sockets: [TcpStream; 2],
    flags: Arc<Flags>,
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
                let flags = Arc::new(Flags::default());
                let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
                    client.try_clone(),
                    server.try_clone(),
                    client.try_clone(),
                    server.try_clone(),
                ) else {
                    continue;
                };
                requests(client, server, flags.clone());
                answers(s2, c2, flags.clone());
                let mut all = shared.lock().unwrap_or_else(|p| p.into_inner());
                all.push(Link {
                    sockets: [c3, s3],
                    flags,
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
            link.flags.lose.store(true, Ordering::SeqCst);
        }
    }

    /// From now on the answers on every open connection but subscriptions are held back.
    pub fn hold_answers(&self) {
        for link in self.links().iter() {
            let pubsub = link.flags.pubsub.load(Ordering::SeqCst);
            link.flags.hold.store(!pubsub, Ordering::SeqCst);
        }
    }

    /// Lets the held answers go, in order.
    pub fn release(&self) {
        for link in self.links().iter() {
            link.flags.hold.store(false, Ordering::SeqCst);
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

/// Copies the client's requests to the server, noting a SUBSCRIBE.
fn requests(mut from: TcpStream, mut to: TcpStream, flags: Arc<Flags>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if buf[..n].windows(9).any(|w| w == b"SUBSCRIBE") {
                flags.pubsub.store(true, Ordering::SeqCst);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// Copies the server's answers to the client, dropping them while `lose` is set and
/// keeping them while `hold` is (looking every 10 ms whether to let them go).
fn answers(mut from: TcpStream, mut to: TcpStream, flags: Arc<Flags>) {
    std::thread::spawn(move || {
        let _ = from.set_read_timeout(Some(Duration::from_millis(10)));
        let mut buf = [0u8; 16 * 1024];
        let mut held = Vec::new();
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => 0,
                Err(_) => break,
            };
            if flags.lose.load(Ordering::SeqCst) {
                continue;
            }
            held.extend_from_slice(&buf[..n]);
            if flags.hold.load(Ordering::SeqCst) || held.is_empty() {
                continue;
            }
            if to.write_all(&held).is_err() {
                break;
            }
            held.clear();
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
