//! The accept loop under [`super::serve`]: one task per connection, each running hyper's
//! HTTP/1 connection over the one shared router.
//!
//! Not `axum::serve`: that serves through hyper-util's `auto` builder, which first reads the
//! request's opening bytes to tell HTTP/1 from HTTP/2 and hands them back through a rewind
//! buffer, so hyper's read buffer then grew from 8 to 16 KiB for every connection: a parked
//! `?wait=` request held twice the read buffer it needs. Nothing here speaks HTTP/2 (no TLS,
//! no h2c; axum is built without `http2`), so HTTP/1 alone loses nothing.
//!
//! What an open connection still holds is mostly hyper's: an 8 KiB read buffer and an
//! 8 KiB write buffer, the write one allocated up front (hyper 1.x `proto/h1/io.rs`:
//! `INIT_BUFFER_SIZE`; a server cannot ask for less). A parked `?wait=` request adds its
//! future (about 1.5 KB, boxed by axum), this task (1 KB), its job's watch slot and the
//! socket's registration: about 21 KB of heap in all, 16.4 KB of it hyper's.

use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The service every connection calls: the router, cloned per request (an `Arc` clone).
type Service = TowerToHyperService<Router>;

/// Accepts connections until `shutdown` fires, then closes idle ones, lets in-flight
/// requests finish and returns once every connection is closed, or after `drain`.
pub(super) async fn run(
    mut listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
    drain: Duration,
) {
    let service = TowerToHyperService::new(app);
    let connections = TaskTracker::new();
    loop {
        // axum's accept: connection errors are skipped, others (EMFILE) logged and retried
        // after a second
        let (io, _) = tokio::select! {
            c = Listener::accept(&mut listener) => c,
            _ = shutdown.cancelled() => break,
        };
        connections.spawn(connection(io, service.clone(), shutdown.clone()));
    }
    drop(listener);
    connections.close();
    tokio::select! {
        _ = connections.wait() => {}
        _ = tokio::time::sleep(drain) => {
            tracing::warn!(timeout = ?drain, open = connections.len(),
                "requests still running after the drain timeout; stopping anyway");
        }
    }
}

/// Serves one connection; once `shutdown` fires, it ends after the request in flight (an
/// idle keep-alive connection ends at once).
pub(super) async fn connection(io: TcpStream, service: Service, shutdown: CancellationToken) {
    let conn = http1::Builder::new().serve_connection(TokioIo::new(io), service);
    let mut conn = pin!(conn);
    let done = tokio::select! {
        r = conn.as_mut() => Some(r),
        _ = shutdown.cancelled() => None,
    };
    let result = match done {
        Some(r) => r,
        None => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::trace!(error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What every open connection's task holds for as long as it is open, besides hyper's
    /// two 8 KiB buffers and the request's future (hyper boxes that one): the connection
    /// state. Measured in a debug build: 824 bytes.
    const MAX_CONNECTION_TASK: usize = 1024;

    #[tokio::test]
    async fn a_connection_task_stays_small() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (io, _) = listener.accept().await.unwrap();
        let service = TowerToHyperService::new(Router::new());
        let task = connection(io, service, CancellationToken::new());
        let size = std::mem::size_of_val(&task);
        assert!(size <= MAX_CONNECTION_TASK, "{size} bytes");
    }
}
