//! The connector shared by the trace stores: a [`SpanSource`] (Phoenix, Langfuse, MLflow) fetches the
//! page of spans after the saved cursor and reads each span; [`Spans`] plans the page (spans to
//! keep, spans to quarantine) and, inside the kit's ONE store transaction, stores every readable
//! span (`trace_spans`) and rebuilds each touched trace's run from all its stored spans. The
//! kit ([`countersign_sync::kit::run_sync`]) stores the quarantines with their audit event and
//! the cursor in that transaction and records health (and a `SYNC_FAILURE` audit event) either
//! way, as for the native engine.

use crate::client::Client;
use crate::rebuild::{Mapping, Rebuilt, prices, rebuild_trace};
use chrono::Utc;
use countersign_otel::IdentityKeys;
use countersign_store::backends::BackendRow;
use countersign_store::rusqlite::Transaction;
use countersign_store::trace_spans;
use countersign_sync::kit::{
    Applied, Connector, Page, PageWrites, Quarantined, StreamSpec, run_sync,
};
use countersign_sync::{Applier, Cancel, Progress, SyncError, SyncOptions, SyncReport};
use serde_json::value::RawValue;
use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;

/// Reads one received span: its trace id (as the store keys it), span id and OTLP/JSON
/// `ResourceSpans`; `Err` says why it cannot be used.
pub(crate) type ReadSpanFn = fn(&[u8]) -> Result<ReadSpan, String>;

/// A trace store: its stream, how it reads a span, and how it fetches a page.
pub(crate) trait SpanSource: Send + Sync + Sized {
    /// Cursor, quarantine and progress stream name.
    const STREAM: &'static str;

    /// The source the backend row describes (project, lookback).
    fn from_backend(backend: &BackendRow) -> Self;

    /// One received span → what the engine needs of it.
    fn read_span(raw: &[u8]) -> Result<ReadSpan, String>;

    /// The service to assume for spans whose resource names none (a store that keeps no
    /// resource attributes names what stands in for it), so that a run's workflow falls back
    /// to it rather than to a framework's generic root span name. None by default.
    fn service_name(&self) -> Option<String> {
        None
    }

    /// Fetches up to `limit` spans after the saved cursor `state`.
    fn fetch(
        &self,
        client: &Client,
        state: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<Fetched, SyncError>> + Send;
}

/// A span as the engine needs it.
pub(crate) struct ReadSpan {
    /// Trace id as stored in `trace_spans` (the store's own id).
    pub trace_id: String,
    /// Span id as stored in `trace_spans`.
    pub span_id: String,
    /// The span as an OTLP/JSON `ResourceSpans` object.
    pub otlp: serde_json::Value,
}

/// A fetched page.
pub(crate) struct Fetched {
    /// Spans exactly as received.
    pub items: Vec<Box<RawValue>>,
    /// Records the source refused before reading any span (why, raw bytes): quarantined with
    /// the page.
    pub refused: Vec<(String, Vec<u8>)>,
    /// The cursor state to save with this page (resume point after it).
    pub next_state: String,
    /// More pages wait now.
    pub has_more: bool,
}

/// Syncs the backend's trace store `S` through the kit's sync loop.
pub(crate) async fn sync<S: SpanSource>(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    let mut connector = Spans::<S> {
        client,
        source: None,
        freshness_days: 0,
        identity: IdentityKeys::default(),
        service: None,
    };
    run_sync(
        store_path,
        backend_id,
        &mut connector,
        opts,
        cancel,
        on_progress,
    )
    .await
}

/// The trace-store connector over source `S`.
struct Spans<'a, S> {
    client: &'a Client,
    /// Built from the backend row in [`Connector::begin`].
    source: Option<S>,
    freshness_days: i64,
    /// The backend's identity keys (its config's `identity`), read in [`Connector::begin`].
    identity: IdentityKeys,
    /// [`SpanSource::service_name`], read in [`Connector::begin`].
    service: Option<String>,
}

/// A page's readable spans, stored and turned into runs in the kit's transaction.
pub(crate) struct SpanWrites {
    read_span: ReadSpanFn,
    freshness_days: i64,
    /// Which metadata keys name a run's user, tenant and session.
    identity: IdentityKeys,
    /// The service assumed for spans without one.
    service: Option<String>,
    /// (trace id, span id, raw bytes), in page order.
    spans: Vec<(String, String, Vec<u8>)>,
}

impl PageWrites for SpanWrites {
    fn apply(self, tx: &Transaction<'_>, backend_id: &str) -> Result<Applied, SyncError> {
        let prices = prices(tx)?;
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for (trace_id, span_id, raw) in self.spans {
            if trace_spans::put(tx, backend_id, &trace_id, &span_id, &raw)? {
                touched.insert(trace_id);
            }
        }
        let now = Utc::now();
        let mapping = Mapping {
            prices: &prices,
            identity: &self.identity,
            service: self.service.as_deref(),
        };
        let mut applied = Applied::default();
        for trace_id in &touched {
            match rebuild_trace(
                tx,
                backend_id,
                self.read_span,
                trace_id,
                &mapping,
                now,
                self.freshness_days,
            )? {
                Rebuilt::Changed => applied.runs += 1,
                Rebuilt::Unchanged => {}
                Rebuilt::Rejected(q) => applied.quarantined.push(q),
            }
        }
        Ok(applied)
    }
}

impl<S: SpanSource> Connector for Spans<'_, S> {
    type Writes = SpanWrites;

    fn streams(&self) -> Vec<StreamSpec> {
        vec![StreamSpec {
            cursor: S::STREAM,
            progress: S::STREAM,
        }]
    }

    async fn begin(&mut self, backend: &BackendRow, _: &mut Applier) -> Result<(), SyncError> {
        let source = S::from_backend(backend);
        self.service = source.service_name();
        self.source = Some(source);
        self.freshness_days = backend.freshness_days;
        // One place reads a source's identity keys from its backend config, for every store.
        self.identity = IdentityKeys::for_backend(&backend.config);
        Ok(())
    }

    async fn fetch(
        &self,
        _: StreamSpec,
        state: Option<&str>,
        opts: &SyncOptions,
    ) -> Result<Page<SpanWrites>, SyncError> {
        let source = self
            .source
            .as_ref()
            .ok_or_else(|| SyncError::Protocol("trace store fetched before begin".into()))?;
        // The stores cap a page at 1000 (MLflow at 500 traces).
        let limit = opts.page_size.clamp(1, 1000);
        let fetched = source.fetch(self.client, state, limit).await?;
        let max_record = opts.max_record_bytes;
        let mut spans = Vec::with_capacity(fetched.items.len());
        let mut quarantined: Vec<Quarantined> = fetched
            .refused
            .into_iter()
            .map(|(reason, raw)| Quarantined {
                stream: S::STREAM,
                reason,
                raw,
            })
            .collect();
        for item in &fetched.items {
            let raw = item.get().as_bytes();
            let read = if raw.len() > max_record {
                Err(format!(
                    "span of {} bytes exceeds the {max_record}-byte limit",
                    raw.len()
                ))
            } else {
                S::read_span(raw)
            };
            match read {
                Ok(span) => spans.push((span.trace_id, span.span_id, raw.to_vec())),
                Err(reason) => quarantined.push(Quarantined {
                    stream: S::STREAM,
                    reason,
                    raw: raw.to_vec(),
                }),
            }
        }
        Ok(Page {
            writes: SpanWrites {
                read_span: S::read_span,
                freshness_days: self.freshness_days,
                identity: self.identity.clone(),
                service: self.service.clone(),
                spans,
            },
            quarantined,
            next_cursor: fetched.next_state,
            has_more: fetched.has_more,
        })
    }
}
