//! The sync loop shared by the trace-store connectors: fetch the page after the saved cursor,
//! then in ONE store transaction store every readable span (`trace_spans`), quarantine the
//! rest, rebuild each touched trace's run from all its stored spans, and save the cursor.
//! Health (and a `SYNC_FAILURE` audit event) is recorded either way, as the native engine does.

use crate::client::Client;
use crate::rebuild::{Rebuilt, prices, rebuild_trace};
use crate::{langfuse, phoenix};
use chrono::Utc;
use countersign_core::audit::kinds;
use countersign_store::{
    Store, StoreError, audit, backends, backends::BackendRow, cursors, quarantine, trace_spans,
};
use countersign_sync::{Applier, Cancel, Progress, SyncError, SyncOptions, SyncReport};
use serde_json::value::RawValue;
use std::collections::BTreeSet;
use std::path::Path;

/// Which trace store, with its per-backend settings.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    Phoenix { project: String },
    Langfuse { lookback_minutes: i64 },
}

impl Source {
    pub(crate) fn stream(&self) -> &'static str {
        match self {
            Source::Phoenix { .. } => phoenix::STREAM,
            Source::Langfuse { .. } => langfuse::STREAM,
        }
    }

    /// One received span → its trace id (as the store keys it), span id and OTLP/JSON
    /// `ResourceSpans`; `Err` says why it cannot be used.
    pub(crate) fn read_span(&self, raw: &[u8]) -> Result<ReadSpan, String> {
        match self {
            Source::Phoenix { .. } => phoenix::read_span(raw),
            Source::Langfuse { .. } => langfuse::read_span(raw),
        }
    }

    async fn fetch(
        &self,
        client: &Client,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Fetched, SyncError> {
        match self {
            Source::Phoenix { project } => phoenix::fetch(client, project, state, limit).await,
            Source::Langfuse { lookback_minutes } => {
                langfuse::fetch(client, *lookback_minutes, state, limit).await
            }
        }
    }
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
    /// The cursor state to save with this page (resume point after it).
    pub next_state: String,
    /// More pages wait now.
    pub has_more: bool,
}

/// Reads the backend row; the source is built from it by `source`.
pub(crate) async fn sync(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
    source: impl FnOnce(&BackendRow) -> Result<Source, SyncError>,
) -> SyncReport {
    let mut applier = Applier::new(store_path);
    let mut report = countersign_sync::applier::new_report(backend_id);
    let result = run_sync(
        &mut applier,
        backend_id,
        client,
        opts,
        cancel,
        on_progress,
        &mut report,
        source,
    )
    .await;
    countersign_sync::applier::finish(&mut applier, report, result).await
}

#[allow(clippy::too_many_arguments)]
async fn run_sync(
    applier: &mut Applier,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
    report: &mut SyncReport,
    source: impl FnOnce(&BackendRow) -> Result<Source, SyncError>,
) -> Result<(), SyncError> {
    let id = backend_id.to_string();
    let backend = applier
        .with(move |s| Ok(backends::get(s.conn(), &id)?))
        .await?
        .ok_or_else(|| SyncError::Protocol(format!("unknown backend {backend_id}")))?;
    let source = source(&backend)?;
    let stream = source.stream();
    let fresh = backend.freshness_days;
    // Both stores cap a page at 1000.
    let limit = opts.page_size.clamp(1, 1000);
    let max_record = opts.max_record_bytes;
    let mut pages = 0u32;
    loop {
        if cancel.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        if opts.max_pages.is_some_and(|m| pages >= m) {
            return Ok(());
        }
        let id = backend_id.to_string();
        let state = applier
            .with(move |s| Ok(cursors::get(s.conn(), &id, stream)?))
            .await?;
        let fetched = source.fetch(client, state.as_deref(), limit).await?;
        let has_more = fetched.has_more;
        let id = backend_id.to_string();
        let src = source.clone();
        let applied = applier
            .with(move |s| apply_page(s, &id, &src, fetched, max_record, fresh))
            .await?;
        pages += 1;
        report.pages += 1;
        report.runs += applied.runs_changed;
        report.quarantined += applied.quarantined;
        on_progress(&Progress {
            backend_id: backend_id.to_string(),
            stream,
            pages,
            changed: applied.runs_changed,
            quarantined: applied.quarantined,
        });
        if !has_more {
            return Ok(());
        }
    }
}

/// What applying one page did.
struct Applied {
    runs_changed: u64,
    quarantined: u64,
}

/// Applies one page in one transaction: spans, quarantine, rebuilt runs, cursor.
fn apply_page(
    store: &mut Store,
    backend_id: &str,
    source: &Source,
    page: Fetched,
    max_record: usize,
    freshness_days: i64,
) -> Result<Applied, SyncError> {
    let stream = source.stream();
    let tx = store.write()?;
    let prices = prices(&tx)?;
    let mut quarantined: Vec<String> = Vec::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for item in &page.items {
        let raw = item.get().as_bytes();
        if raw.len() > max_record {
            let why = format!(
                "span of {} bytes exceeds the {max_record}-byte limit",
                raw.len()
            );
            quarantine::insert(&tx, backend_id, stream, &why, raw)?;
            quarantined.push(why);
            continue;
        }
        match source.read_span(raw) {
            Ok(span) => {
                if trace_spans::put(&tx, backend_id, &span.trace_id, &span.span_id, raw)? {
                    touched.insert(span.trace_id);
                }
            }
            Err(why) => {
                quarantine::insert(&tx, backend_id, stream, &why, raw)?;
                quarantined.push(why);
            }
        }
    }
    let now = Utc::now();
    let mut runs_changed = 0u64;
    for trace_id in &touched {
        match rebuild_trace(
            &tx,
            backend_id,
            source,
            trace_id,
            &prices,
            now,
            freshness_days,
        )? {
            Rebuilt::Changed => runs_changed += 1,
            Rebuilt::Unchanged => {}
            Rebuilt::Rejected(why) => quarantined.push(why),
        }
    }
    if !quarantined.is_empty() {
        let reasons: Vec<&str> = quarantined.iter().take(5).map(String::as_str).collect();
        let details = serde_json::json!({
            "stream": stream,
            "count": quarantined.len(),
            "reasons": reasons,
        });
        audit::append(&tx, "sync", kinds::QUARANTINE, backend_id, details, now)?;
    }
    cursors::set(&tx, backend_id, stream, &page.next_state)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(Applied {
        runs_changed,
        quarantined: quarantined.len() as u64,
    })
}
