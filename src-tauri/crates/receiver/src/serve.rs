//! The HTTP/1.1 server loop: at most `max_connections` connections at once (one more is
//! answered `503` with `Retry-After` and closed at once, costing nothing), request headers read
//! within `header_timeout` (also the longest a kept-alive connection may sit idle), graceful
//! shutdown of the connections in flight.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

/// The answer of a connection over the limit, written without reading the request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 77\r\n\r\n{\"code\":14,\"message\":\"too many connections to the receiver; retry shortly\"}\n";

/// How the server loop limits its clients.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Longest wait for a request's headers (and on an idle kept-alive connection).
    pub header_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` fires, then lets connections in flight finish
/// (at most `header_timeout` more).
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut shutdown: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "OTLP receiver accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::info!(%peer, "OTLP receiver at its connection limit: 503");
            let _ = stream.try_write(BUSY);
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "OTLP connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.header_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("OTLP receiver stopped with connections still open");
    }
}
