//! A loopback-only OTLP/HTTP trace receiver: an instrumented agent exports its spans straight to
//! the console (`POST http://127.0.0.1:PORT/v1/traces`), and every trace becomes a run in the
//! store, exactly as an imported OTLP/JSON file would (`countersign_otel::import_bytes`).
//!
//! - Binds **only** `127.0.0.1`; port 0 picks a free one ([`ReceiverHandle::addr`] says which).
//!   Requests from web pages are refused (`403` for any `Origin` header or a `Host` that is not
//!   `127.0.0.1`/`localhost`/`[::1]`, so neither CORS nor DNS rebinding lets a site post traces).
//! - Accepts `application/json` (OTLP/JSON) and `application/x-protobuf` (decoded with
//!   `opentelemetry-proto` and re-encoded as the OTLP/JSON the importer reads), optionally
//!   `Content-Encoding: gzip`. Anything else is `415`; a body over the limit (before or after
//!   decompression) is `413`; a body that is not OTLP is `400`. Nothing is stored on an error.
//! - Cannot be knocked over: at most [`DEFAULT_MAX_SPANS`] spans and [`DEFAULT_MAX_DECODED`]
//!   bytes once split per span (each span repeats its resource and scope) per request, both
//!   measured before anything is copied (`413`); request headers within
//!   [`DEFAULT_HEADER_TIMEOUT`] and the whole body within [`DEFAULT_BODY_TIMEOUT`] (else the
//!   connection is closed, `408` for a slow body); at most [`DEFAULT_MAX_CONNECTIONS`]
//!   connections (one more is answered `503` with `Retry-After` and closed).
//! - Optional bearer token ([`ReceiverConfig::bearer_token`]): then every request needs
//!   `Authorization: Bearer TOKEN` (else `401`). OpenTelemetry exporters send it with
//!   `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20TOKEN`.
//! - A string with a lone UTF-16 surrogate escape (`"\ud800"`) does not refuse the export: it
//!   is replaced with U+FFFD and the response's `partialSuccess.errorMessage` (and the import's
//!   warnings) name the repaired trace and spans.
//! - Answers an `ExportTraceServiceResponse` in the request's encoding; traces that could not
//!   become runs are quarantined and reported as `partialSuccess.rejectedSpans`.
//! - Costs not reported by a trace are computed with the user's price table
//!   ([`prices::load`]: the `settings::PRICE_TABLE` setting, else the built-in example).

mod auth;
mod http;
pub mod prices;
mod serve;
pub mod span_count;
mod split;
pub mod wire;

use countersign_otel::ImportCounts;
use countersign_store::Store;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Source name of runs received over OTLP/HTTP: they are stored under the pseudo-backend
/// `http://import.localhost/otlp-receiver`.
pub const SOURCE: &str = "otlp-receiver";
/// Display name of that pseudo-backend.
pub const SOURCE_NAME: &str = "OTLP receiver";
/// Default largest request body (after decompression too): 16 MiB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;
/// Default most spans in one request (an OpenTelemetry batch span processor sends at most 512).
pub const DEFAULT_MAX_SPANS: u64 = 10_000;
/// Default largest size of a request once split into one document per span (each span with its
/// resource and scope): 32 MiB. Bounds the amplification of a huge resource shared by many spans.
pub const DEFAULT_MAX_DECODED: u64 = 32 * 1024 * 1024;
/// Default longest wait for a request's headers (and on an idle kept-alive connection).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest wait for a request's whole body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default most connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// The standard OTLP/HTTP port, suggested to the user.
pub const DEFAULT_PORT: u16 = 4318;

/// Called after every successful import (e.g. to tell the UI the store changed).
pub type OnImport = Arc<dyn Fn(&ImportCounts) + Send + Sync>;

/// How to run a receiver.
#[derive(Clone)]
pub struct ReceiverConfig {
    /// Port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// Largest request body in bytes, compressed or not; beyond it the answer is 413.
    pub max_body_bytes: usize,
    /// Most spans in one request; beyond it the answer is 413 and nothing is stored.
    pub max_spans: u64,
    /// Largest size of a request once split per span (resource and scope repeated for each of
    /// its spans); beyond it the answer is 413 and nothing is stored.
    pub max_decoded_bytes: u64,
    /// Longest wait for a request's headers; then the connection is closed.
    pub header_timeout: Duration,
    /// Longest wait for a request's whole body; then `408` and the connection is closed.
    pub body_timeout: Duration,
    /// Most connections at once; one more is answered `503` (`Retry-After: 1`) and closed.
    pub max_connections: usize,
    /// When set, every request must carry `Authorization: Bearer <token>` (else `401`).
    pub bearer_token: Option<String>,
    /// Source (pseudo-backend URL segment) the runs are stored under.
    pub source: String,
    /// Display name of that pseudo-backend.
    pub name: String,
    /// Called after every import that stored something.
    pub on_import: Option<OnImport>,
}

impl Default for ReceiverConfig {
    fn default() -> ReceiverConfig {
        ReceiverConfig {
            port: 0,
            max_body_bytes: DEFAULT_MAX_BODY,
            max_spans: DEFAULT_MAX_SPANS,
            max_decoded_bytes: DEFAULT_MAX_DECODED,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            bearer_token: None,
            source: SOURCE.into(),
            name: SOURCE_NAME.into(),
            on_import: None,
        }
    }
}

impl std::fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverConfig")
            .field("port", &self.port)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_spans", &self.max_spans)
            .field("max_decoded_bytes", &self.max_decoded_bytes)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_connections", &self.max_connections)
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "<set>"))
            .field("source", &self.source)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The receiver settings the user edits, stored as JSON under `settings::OTLP_RECEIVER`.
/// Settings saved before a field existed load with that field's default.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverSettings {
    /// Start the receiver (now and on every launch).
    pub enabled: bool,
    /// Port on 127.0.0.1 (0 = any free port, chosen anew at each start).
    pub port: u16,
    /// Require `Authorization: Bearer <token>` on every request (`None` or empty: no token).
    /// Exporters send it with `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20TOKEN`.
    /// A credential: never saved with the settings (the app keeps it in its secret store).
    #[serde(skip)]
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for ReceiverSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverSettings")
            .field("enabled", &self.enabled)
            .field("port", &self.port)
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Default for ReceiverSettings {
    fn default() -> ReceiverSettings {
        ReceiverSettings {
            enabled: false,
            port: DEFAULT_PORT,
            bearer_token: None,
        }
    }
}

impl ReceiverSettings {
    /// A receiver config with these settings' port and token (blank token = none) and the
    /// default limits; the caller adds `on_import`.
    pub fn config(&self) -> ReceiverConfig {
        ReceiverConfig {
            port: self.port,
            bearer_token: self
                .bearer_token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from),
            ..ReceiverConfig::default()
        }
    }

    /// The stored settings, or the defaults (disabled, port 4318).
    pub fn load(conn: &countersign_store::rusqlite::Connection) -> Result<Self, ReceiverError> {
        Ok(
            countersign_store::settings::get(conn, countersign_store::settings::OTLP_RECEIVER)?
                .unwrap_or_default(),
        )
    }

    /// Stores these settings.
    pub fn save(
        &self,
        conn: &countersign_store::rusqlite::Connection,
    ) -> Result<(), ReceiverError> {
        countersign_store::settings::set(conn, countersign_store::settings::OTLP_RECEIVER, self)?;
        Ok(())
    }
}

/// Why a receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// The port could not be bound (in use, not permitted).
    #[error("cannot listen on 127.0.0.1:{port}: {error}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The OS error.
        error: std::io::Error,
    },
    /// The store could not be opened or read.
    #[error("store: {0}")]
    Store(#[from] countersign_store::StoreError),
}

/// Counters of what a running receiver did, for the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReceiverStats {
    /// Export requests answered 200.
    pub requests: u64,
    /// Requests refused (4xx/5xx).
    pub refused: u64,
    /// Spans accepted.
    pub spans: u64,
    /// Runs inserted or updated.
    pub runs_changed: u64,
    /// Traces quarantined.
    pub rejected_traces: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub refused: AtomicU64,
    pub spans: AtomicU64,
    pub runs_changed: AtomicU64,
    pub rejected_traces: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ReceiverStats {
        ReceiverStats {
            requests: self.requests.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            spans: self.spans.load(Ordering::Relaxed),
            runs_changed: self.runs_changed.load(Ordering::Relaxed),
            rejected_traces: self.rejected_traces.load(Ordering::Relaxed),
        }
    }
}

/// A running receiver. Dropping it without [`ReceiverHandle::stop`] stops it too (abruptly).
pub struct ReceiverHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl ReceiverHandle {
    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL an exporter posts traces to (`http://127.0.0.1:PORT/v1/traces`).
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    /// What the receiver did so far.
    pub fn stats(&self) -> ReceiverStats {
        self.counters.snapshot()
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        tracing::info!(addr = %self.addr, "OTLP receiver stopped");
    }
}

impl Drop for ReceiverHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts a receiver on `127.0.0.1:config.port` writing into the store at `store_path` (its own
/// connection). Resolves once the port is bound.
pub async fn start(
    store_path: &Path,
    config: ReceiverConfig,
) -> Result<ReceiverHandle, ReceiverError> {
    let store = Store::open(store_path)?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .map_err(|error| ReceiverError::Bind {
            port: config.port,
            error,
        })?;
    let addr = listener.local_addr().map_err(|error| ReceiverError::Bind {
        port: config.port,
        error,
    })?;
    let counters = Arc::new(Counters::default());
    let limits = serve::Limits {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
    };
    let app = http::router(http::Shared {
        store: Arc::new(Mutex::new(store)),
        config,
        counters: counters.clone(),
    });
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve::run(listener, app, limits, rx));
    tracing::info!(%addr, "OTLP receiver listening");
    Ok(ReceiverHandle {
        addr,
        shutdown: Some(tx),
        task: Some(task),
        counters,
    })
}
