//! Fault injection: a seeded share of responses misbehave so clients can prove they cope.
//!
//! The n-th request (counting every request except `/v1/health`) draws from a ChaCha stream
//! keyed by the seed and n, so a given seed and request order misbehave the same way.

use crate::State;
use crate::api::problem::problem;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

/// A body that fails at once, which makes hyper abort the connection.
struct ResetBody;

impl HttpBody for ResetBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection reset",
        ))))
    }
}

/// A body that sends its bytes and ends, with no size hint, so hyper keeps the declared
/// (larger) `Content-Length` and the client sees a response cut short.
/// It pauses before ending so that hyper flushes the partial body first.
struct ShortBody {
    data: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl HttpBody for ShortBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if let Some(b) = self.data.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(b))));
        }
        match self.pause.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The kinds of misbehaviour, in draw order.
#[derive(Clone, Copy, Debug)]
enum Fault {
    ServerError,
    Unavailable,
    TooMany,
    Slow,
    Reset,
    Truncated,
}

/// Middleware: maybe misbehave instead of (or around) the real handler.
pub(crate) async fn inject(
    axum::extract::State(st): axum::extract::State<Arc<State>>,
    req: Request,
    next: Next,
) -> Response {
    if st.faults <= 0.0 || req.uri().path() == "/v1/health" {
        return next.run(req).await;
    }
    let n = st.fault_counter.fetch_add(1, Ordering::SeqCst);
    let mut rng = ChaCha8Rng::seed_from_u64(st.seed ^ 0x0FA1_7FA1_7FA1_7FA1);
    rng.set_stream(n);
    let roll: f64 = rng.random();
    if roll >= st.faults {
        return next.run(req).await;
    }
    let fault = match rng.random_range(0..6) {
        0 => Fault::ServerError,
        1 => Fault::Unavailable,
        2 => Fault::TooMany,
        3 => Fault::Slow,
        4 => Fault::Reset,
        _ => Fault::Truncated,
    };
    tracing::debug!("request {n}: injecting {fault:?}");
    match fault {
        Fault::ServerError => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "injected fault",
        )
        .into_response(),
        Fault::Unavailable => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "injected fault; retry later",
        )
        .retry_after(1)
        .into_response(),
        Fault::TooMany => problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            "injected fault; retry later",
        )
        .retry_after(1)
        .into_response(),
        Fault::Slow => {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            next.run(req).await
        }
        Fault::Reset => {
            // The handler runs (its effects stand); the answer is lost.
            let resp = next.run(req).await;
            let (parts, _) = resp.into_parts();
            Response::from_parts(parts, Body::new(ResetBody))
        }
        Fault::Truncated => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
                parts.headers.insert(header::CONTENT_LENGTH, v);
            }
            let half = bytes.slice(..bytes.len() / 2);
            let pause = Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50)));
            Response::from_parts(
                parts,
                Body::new(ShortBody {
                    data: Some(half),
                    pause,
                }),
            )
        }
    }
}
