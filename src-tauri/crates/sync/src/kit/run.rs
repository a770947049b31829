//! The one sync loop: for each stream of a connector, fetch the page after the saved cursor
//! and apply it in ONE store transaction with its quarantines, their audit event and the new
//! cursor, so a crash at any point resumes without loss or duplicates. The next page downloads
//! while one is written. Cancellation and `max_pages` are honoured between pages; health is
//! recorded either way.

use crate::applier::{self, Applier};
use crate::error::SyncError;
use crate::kit::connector::{Applied, Connector, Page, PageWrites, Quarantined, StreamSpec};
use crate::kit::types::{Cancel, Progress, SyncOptions, SyncReport};
use chrono::Utc;
use countersign_core::audit::kinds;
use countersign_store::{StoreError, audit, backends, cursors, quarantine};
use std::path::Path;

/// Syncs `backend_id` into the store at `store_path` with `connector`. Pages applied before an
/// error or a cancellation stay applied, with their cursor, so the next sync resumes after
/// them. Health (and, on failure, a `sync_failure` audit event) is recorded either way.
pub async fn run_sync<C: Connector>(
    store_path: &Path,
    backend_id: &str,
    connector: &mut C,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    let mut applier = Applier::new(store_path);
    let mut report = applier::new_report(backend_id);
    let result = run(
        &mut applier,
        backend_id,
        connector,
        opts,
        cancel,
        on_progress,
        &mut report,
    )
    .await;
    applier::finish(&mut applier, report, result).await
}

async fn run<C: Connector>(
    applier: &mut Applier,
    backend_id: &str,
    connector: &mut C,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let id = backend_id.to_string();
    let backend = applier
        .with(move |s| Ok(backends::get(s.conn(), &id)?))
        .await?
        .ok_or_else(|| SyncError::Protocol(format!("unknown backend {backend_id}")))?;
    connector.begin(&backend, applier).await?;
    for stream in connector.streams() {
        let ctx = StreamRun {
            backend_id,
            stream,
            opts,
            cancel,
            on_progress,
        };
        ctx.run(applier, &*connector, report).await?;
    }
    connector.end(applier, report).await
}

/// One stream of one sync.
struct StreamRun<'a> {
    backend_id: &'a str,
    stream: StreamSpec,
    opts: &'a SyncOptions,
    cancel: &'a Cancel,
    on_progress: &'a (dyn Fn(&Progress) + Send + Sync),
}

impl StreamRun<'_> {
    async fn run<C: Connector>(
        &self,
        applier: &mut Applier,
        connector: &C,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let (id, name) = (self.backend_id.to_string(), self.stream.cursor);
        let cursor = applier
            .with(move |s| Ok(cursors::get(s.conn(), &id, name)?))
            .await?;
        let mut fetched = Some(
            connector
                .fetch(self.stream, cursor.as_deref(), self.opts)
                .await?,
        );
        let mut pages = 0u32;
        loop {
            if self.cancel.is_cancelled() {
                return Err(SyncError::Cancelled);
            }
            if self.opts.max_pages.is_some_and(|m| pages >= m) {
                return Ok(());
            }
            let Some(page) = fetched.take() else {
                return Ok(());
            };
            let has_more = page.has_more;
            let next = page.next_cursor.clone();
            // Write this page on one blocking thread while the next page downloads and is
            // planned.
            let apply = apply_page(applier, self.backend_id, self.stream, page);
            let prefetch = async {
                if has_more && !self.cancel.is_cancelled() {
                    Some(connector.fetch(self.stream, Some(&next), self.opts).await)
                } else {
                    None
                }
            };
            let (applied, next_page) = tokio::join!(apply, prefetch);
            let (applied, quarantined) = applied?;
            // A failed prefetch surfaces after this page is safely applied.
            fetched = next_page.transpose()?;
            pages += 1;
            report.pages += 1;
            report.runs += applied.runs;
            report.actions += applied.actions;
            report.quarantined += quarantined;
            (self.on_progress)(&Progress {
                backend_id: self.backend_id.to_string(),
                stream: self.stream.progress,
                pages,
                changed: applied.runs + applied.actions,
                quarantined,
            });
            if !has_more {
                return Ok(());
            }
        }
    }
}

/// Applies one page in one transaction: its writes, every quarantine with one audit event,
/// and its cursor. Returns what the writes did and how many records were quarantined.
async fn apply_page<W: PageWrites>(
    applier: &mut Applier,
    backend_id: &str,
    stream: StreamSpec,
    page: Page<W>,
) -> Result<(Applied, u64), SyncError> {
    let id = backend_id.to_string();
    applier
        .with(move |s| {
            let tx = s.write()?;
            let mut applied = page.writes.apply(&tx, &id)?;
            let mut refused = page.quarantined;
            refused.append(&mut applied.quarantined);
            store_quarantined(&tx, &id, stream.cursor, &refused)?;
            if !page.next_cursor.is_empty() {
                cursors::set(&tx, &id, stream.cursor, &page.next_cursor)?;
            }
            tx.commit().map_err(StoreError::from)?;
            Ok((applied, refused.len() as u64))
        })
        .await
}

/// Stores `refused` in quarantine and, if there is any, appends one `quarantine` audit event
/// (`stream`, count, the first five reasons) in the caller's transaction. Every connector's
/// quarantines go through here, so none is left unaudited.
pub fn store_quarantined(
    tx: &countersign_store::rusqlite::Transaction<'_>,
    backend_id: &str,
    stream: &str,
    refused: &[Quarantined],
) -> Result<(), SyncError> {
    if refused.is_empty() {
        return Ok(());
    }
    for q in refused {
        quarantine::insert(tx, backend_id, q.stream, &q.reason, &q.raw)?;
    }
    let reasons: Vec<&str> = refused.iter().take(5).map(|q| q.reason.as_str()).collect();
    let details = serde_json::json!({
        "stream": stream,
        "count": refused.len(),
        "reasons": reasons,
    });
    audit::append(
        tx,
        "sync",
        kinds::QUARANTINE,
        backend_id,
        details,
        Utc::now(),
    )?;
    Ok(())
}

/// A sync that could not start (its client could not be built): recorded in the backend's
/// health and returned as a report.
pub fn failed_to_start(store_path: &Path, backend_id: &str, e: SyncError) -> SyncReport {
    let now = Utc::now();
    let recorded = countersign_store::Store::open(store_path).and_then(|s| {
        countersign_store::health::record_failure(
            s.conn(),
            backend_id,
            now,
            e.code(),
            &e.to_string(),
        )
    });
    if let Err(err) = recorded {
        tracing::error!(backend = %backend_id, error = %err, "could not record sync health");
    }
    tracing::warn!(backend = %backend_id, code = e.code(), error = %e, "sync could not start");
    SyncReport {
        backend_id: backend_id.to_string(),
        error: Some(e.view()),
        finished_at: Some(now),
        ..Default::default()
    }
}
