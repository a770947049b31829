//! The sync loop: for each stream, fetch a page after the saved cursor, plan it, and apply it
//! in one transaction together with the new cursor. Health is recorded either way.

use crate::applier::Applier;
use crate::client::Client;
use crate::error::{ErrorView, SyncError};
use crate::plan::{PagePlan, Record, Stream, plan_page};
use chrono::{DateTime, Utc};
use countersign_core::audit::kinds;
use countersign_core::{PendingAction, RunColumns};
use countersign_store::runs::Applied;
use countersign_store::rusqlite::Connection;
use countersign_store::{actions, audit, backends, budgets, cursors, quarantine, runs, sources};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Tuning of one sync.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Records asked for per page.
    pub page_size: u32,
    /// Largest single record accepted; larger ones are quarantined.
    pub max_record_bytes: usize,
    /// Stop after this many pages per stream (for tests of resumption); `None` = until done.
    pub max_pages: Option<u32>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            page_size: 1000,
            max_record_bytes: 1 << 20,
            max_pages: None,
        }
    }
}

/// A cancellation flag shared with whoever may cancel; checked between pages.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Asks the sync to stop after the page in flight.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Progress after each applied page; the app turns it into one UI event per page.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    /// Backend being synced.
    pub backend_id: String,
    /// Stream (`runs`, `actions`).
    pub stream: &'static str,
    /// Pages applied so far in this stream.
    pub pages: u32,
    /// Records stored or replaced by this page.
    pub changed: u64,
    /// Records quarantined by this page.
    pub quarantined: u64,
}

/// What one sync of one backend did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncReport {
    /// Backend synced.
    pub backend_id: String,
    /// Runs inserted or replaced.
    pub runs: u64,
    /// Actions inserted or replaced.
    pub actions: u64,
    /// Budgets now in force.
    pub budgets: u64,
    /// Knowledge sources reported.
    pub sources: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// Pages applied.
    pub pages: u32,
    /// Why the sync stopped early, if it did.
    pub error: Option<ErrorView>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Syncs one backend into the store at `store_path`: identity, runs, actions, budgets and
/// sources. Pages applied before an error or a cancellation stay applied, with their cursor,
/// so the next sync resumes after them. Health is recorded in the store either way.
pub async fn sync_backend(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    let mut applier = Applier::new(store_path);
    let mut report = crate::applier::new_report(backend_id);
    let result = run_sync(
        &mut applier,
        backend_id,
        client,
        opts,
        cancel,
        on_progress,
        &mut report,
    )
    .await;
    crate::applier::finish(&mut applier, report, result).await
}

async fn run_sync(
    applier: &mut Applier,
    backend_id: &str,
    client: &Client,
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
    let who = client.whoami().await?;
    let id = backend_id.to_string();
    applier
        .with(move |s| Ok(backends::set_whoami(s.conn(), &id, &who)?))
        .await?;

    let fresh = backend.freshness_days;
    report.runs = sync_stream::<RunColumns>(
        applier,
        backend_id,
        Stream::Runs,
        client,
        opts,
        cancel,
        on_progress,
        report,
        move |c, b, r, raw| Ok(runs::upsert_deferred(c, b, r, raw, Utc::now(), fresh)?),
    )
    .await?;
    report.actions = sync_stream::<PendingAction>(
        applier,
        backend_id,
        Stream::Actions,
        client,
        opts,
        cancel,
        on_progress,
        report,
        |c, b, a, _| Ok(actions::upsert(c, b, a)?),
    )
    .await?;

    let caps = client.budgets().await?;
    let srcs = client.sources().await?;
    report.budgets = caps.len() as u64;
    report.sources = srcs.len() as u64;
    let id = backend_id.to_string();
    applier
        .with(move |s| {
            let tx = s.write()?;
            budgets::replace_all(&tx, &id, &caps)?;
            sources::replace_all(&tx, &id, &srcs)?;
            tx.commit().map_err(countersign_store::StoreError::from)?;
            Ok(())
        })
        .await
}

#[allow(clippy::too_many_arguments)]
async fn sync_stream<T: Record + Send + 'static>(
    applier: &mut Applier,
    backend_id: &str,
    stream: Stream,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
    report: &mut SyncReport,
    upsert: impl Fn(&Connection, &str, &T, &str) -> Result<Applied, SyncError>
    + Send
    + Sync
    + Copy
    + 'static,
) -> Result<u64, SyncError> {
    let mut changed_total = 0;
    let mut pages = 0;
    let id = backend_id.to_string();
    let cursor = applier
        .with(move |s| Ok(cursors::get(s.conn(), &id, stream.as_str())?))
        .await?;
    let max_record = opts.max_record_bytes;
    let mut fetched =
        Some(fetch_plan::<T>(client, stream, cursor, opts.page_size, max_record).await?);
    loop {
        if cancel.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        if opts.max_pages.is_some_and(|m| pages >= m) {
            return Ok(changed_total);
        }
        let Some(Planned {
            next,
            has_more,
            plan,
        }) = fetched.take()
        else {
            return Ok(changed_total);
        };
        let id = backend_id.to_string();
        let next_for_fetch = next.clone();
        // Write this page on one blocking thread while the next page downloads and is parsed
        // on another.
        let apply = applier.with(move |s| {
            let tx = s.write()?;
            let mut changed = 0u64;
            for a in &plan.accepted {
                if upsert(&tx, &id, &a.record, &a.raw)? != Applied::Unchanged {
                    changed += 1;
                }
            }
            for (reason, raw) in &plan.quarantined {
                quarantine::insert(&tx, &id, stream.as_str(), reason, raw)?;
            }
            if !plan.quarantined.is_empty() {
                let reasons: Vec<&str> = plan
                    .quarantined
                    .iter()
                    .take(5)
                    .map(|(reason, _)| reason.as_str())
                    .collect();
                let details = serde_json::json!({
                    "stream": stream.as_str(),
                    "count": plan.quarantined.len(),
                    "reasons": reasons,
                });
                audit::append(&tx, "sync", kinds::QUARANTINE, &id, details, Utc::now())?;
            }
            if !next.is_empty() {
                cursors::set(&tx, &id, stream.as_str(), &next)?;
            }
            tx.commit().map_err(countersign_store::StoreError::from)?;
            Ok((changed, plan.quarantined.len() as u64))
        });
        let prefetch = async {
            if has_more && !cancel.is_cancelled() {
                Some(
                    fetch_plan::<T>(
                        client,
                        stream,
                        Some(next_for_fetch),
                        opts.page_size,
                        max_record,
                    )
                    .await,
                )
            } else {
                None
            }
        };
        let (applied, next_page) = tokio::join!(apply, prefetch);
        let (changed, quarantined) = applied?;
        // A failed prefetch surfaces after this page is safely applied.
        fetched = next_page.transpose()?;
        pages += 1;
        changed_total += changed;
        report.pages += 1;
        report.quarantined += quarantined;
        on_progress(&Progress {
            backend_id: backend_id.to_string(),
            stream: stream.as_str(),
            pages,
            changed,
            quarantined,
        });
        if !has_more {
            return Ok(changed_total);
        }
    }
}

/// A fetched page, already parsed and judged.
struct Planned<T> {
    next: String,
    has_more: bool,
    plan: PagePlan<T>,
}

/// Fetches the page after `cursor` and plans it on a blocking thread.
async fn fetch_plan<T: Record + Send + 'static>(
    client: &Client,
    stream: Stream,
    cursor: Option<String>,
    page_size: u32,
    max_record: usize,
) -> Result<Planned<T>, SyncError> {
    let page = client
        .page(stream.as_str(), cursor.as_deref(), page_size)
        .await?;
    let has_more = page.has_more && !page.items.is_empty();
    let items = page.items;
    let plan = tokio::task::spawn_blocking(move || plan_page::<T>(&items, max_record))
        .await
        .map_err(|e| SyncError::Protocol(format!("parse task failed: {e}")))?;
    Ok(Planned {
        next: page.next_cursor,
        has_more,
        plan,
    })
}

/// Indexes runs that sync stored for full-text search, `chunk` per transaction, until none are
/// left or `cancel` is set. Returns how many were indexed.
pub async fn index_search(
    store_path: &Path,
    chunk: u32,
    cancel: &Cancel,
) -> Result<u64, SyncError> {
    let mut applier = Applier::new(store_path);
    let mut total = 0u64;
    while !cancel.is_cancelled() {
        let n = applier
            .with(move |s| {
                let tx = s.write()?;
                let n = countersign_store::search::index_pending(&tx, chunk)?;
                tx.commit().map_err(countersign_store::StoreError::from)?;
                Ok(n)
            })
            .await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    Ok(total)
}
