//! Syncing a LangGraph Server into the store, with the contract of
//! [`countersign_sync::sync_backend`]: incremental, each page applied in one store transaction
//! together with its cursor (a SIGKILL at any point resumes with no loss and no duplicates),
//! idempotent, honouring `max_pages` and cancellation, and recording health either way.
//!
//! # Cursor
//!
//! The server lists threads sorted by `updated_at` but cannot filter by it, and pages by offset.
//! The cursor (stream [`STREAM`]) is `{"ts": last applied updated_at, "ids": threads applied at
//! exactly that time, "offset": where the next page probably starts}`. A thread that changes
//! gets a later `updated_at` and moves to the end of the order, so everything not yet applied
//! lies after the cursor. The offset is only a hint: each page is fetched from one place
//! before it, and when the first thread returned is already past the cursor (threads before it
//! moved to the end or were deleted, shifting the list left), the sync steps back until the
//! page starts at or before the cursor. Threads at or before the cursor are skipped.
//!
//! The cursor also holds a fingerprint of the backend's settings ([`LangGraphConfig`]): what
//! the console makes of an unchanged thread depends on them (which fields are required, the
//! kinds, a custom interrupt's resume templates). When they changed, the walk starts over and
//! rebuilds every thread's actions in place (same revision, new body) until it has walked
//! them all, so a template the admin just added applies to the interrupt already waiting.

use crate::client::LangGraphClient;
use crate::config::LangGraphConfig;
use crate::map::{Built, build};
use crate::wire::{HistoryState, RunInfo, Thread};
use chrono::{DateTime, Utc};
use countersign_core::PendingAction;
use countersign_store::backends::BackendRow;
use countersign_store::runs::Applied as Upserted;
use countersign_store::{actions, runs};
use countersign_sync::kit::{
    Applied, Connector, Page, PageWrites, Quarantined, StreamSpec, run_sync, store_quarantined,
};
use countersign_sync::{Applier, Cancel, Progress, SyncError, SyncOptions, SyncReport};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::Path;

/// Cursor stream name in `sync_cursors`.
pub const STREAM: &str = "langgraph_threads";
/// Progress stream name.
pub const PROGRESS_STREAM: &str = "threads";
/// Largest page asked of the server.
pub const MAX_PAGE: u32 = 200;

/// Where the thread walk resumes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// `updated_at` of the last applied thread.
    pub ts: Option<DateTime<Utc>>,
    /// Threads applied whose `updated_at` is exactly `ts`.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Offset hint: threads at or before the cursor when it was saved.
    #[serde(default)]
    pub offset: usize,
    /// Fingerprint of the settings the threads were built with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// A walk that rebuilds the threads already stored (the settings changed) is under way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rebuilding: bool,
}

/// A stable fingerprint of a backend's settings (FNV-1a of their JSON).
pub fn config_fingerprint(cfg: &LangGraphConfig) -> String {
    let text = cfg.to_backend_config().to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Cursor {
    /// Whether a thread with this key was already applied.
    pub fn covers(&self, ts: DateTime<Utc>, id: &str) -> bool {
        match self.ts {
            None => false,
            Some(c) => ts < c || (ts == c && self.ids.iter().any(|i| i == id)),
        }
    }

    /// The cursor after applying a thread with this key (keys arrive in ascending order).
    fn advance(&mut self, ts: DateTime<Utc>, id: &str) {
        match self.ts {
            Some(c) if c == ts => {
                if !self.ids.iter().any(|i| i == id) {
                    self.ids.push(id.to_string());
                }
            }
            Some(c) if c > ts => {}
            _ => {
                self.ts = Some(ts);
                self.ids = vec![id.to_string()];
            }
        }
    }
}

/// Syncs one LangGraph Server backend into the store at `store_path`: its threads become runs,
/// their Agent Inbox interrupts pending actions (see [`crate::map`]). Pages applied before an
/// error or a cancellation stay applied with their cursor. Health is recorded either way (a
/// failure also appends a `sync_failure` audit event), and every quarantine a `quarantine`
/// audit event, like the native engine: both run through [`countersign_sync::kit::run_sync`].
pub async fn sync(
    store_path: &Path,
    backend_id: &str,
    client: &LangGraphClient,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    let mut connector = Threads {
        client,
        cfg: LangGraphConfig::default(),
        fingerprint: String::new(),
        freshness_days: 0,
        cancel,
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

/// A thread fetched with what its records are built from.
pub(crate) struct Fetched {
    pub(crate) thread: Thread,
    pub(crate) history: Vec<HistoryState>,
    pub(crate) runs: Vec<RunInfo>,
}

/// Fetches the history of a thread and, when one of its interrupts is no longer pending, its
/// runs (to see what answered it).
pub(crate) async fn fetch_thread(
    client: &LangGraphClient,
    thread: Thread,
) -> Result<Fetched, SyncError> {
    let history = client.history(&thread.thread_id).await?;
    let resolved_any = history.iter().any(|s| {
        s.tasks
            .iter()
            .flat_map(|t| t.interrupts.iter())
            .any(|i| !thread.has_pending(&i.id))
    });
    let runs = if resolved_any {
        client.runs(&thread.thread_id).await?
    } else {
        Vec::new()
    };
    Ok(Fetched {
        thread,
        history,
        runs,
    })
}

/// Thread details fetched at once by [`fetch_threads`]: a page's threads are independent, and
/// one by one the sync waited on one round trip per thread.
pub(crate) const FETCH_AHEAD: usize = 8;

/// Fetches the details of `threads` ([`fetch_thread`]), at most [`FETCH_AHEAD`] at a time,
/// and returns them in the order given. The first error (or a cancellation, checked before
/// each fetch starts) ends the page: the fetches still running are aborted and nothing of the
/// page is applied, as when they ran one by one.
pub(crate) async fn fetch_threads(
    client: &LangGraphClient,
    threads: Vec<Thread>,
    cancel: &Cancel,
) -> Result<Vec<Fetched>, SyncError> {
    let mut out = Vec::with_capacity(threads.len());
    let mut waiting = threads.into_iter();
    let mut running = InFlight(std::collections::VecDeque::new());
    loop {
        while running.0.len() < FETCH_AHEAD {
            let Some(thread) = waiting.next() else {
                break;
            };
            if cancel.is_cancelled() {
                return Err(SyncError::Cancelled);
            }
            let client = client.clone();
            running.0.push_back(tokio::spawn(
                async move { fetch_thread(&client, thread).await },
            ));
        }
        let Some(next) = running.0.pop_front() else {
            return Ok(out);
        };
        let fetched = next
            .await
            .map_err(|e| SyncError::Protocol(format!("thread fetch task failed: {e}")))??;
        out.push(fetched);
    }
}

/// Fetch tasks still running; aborted when the page ends early (error, cancellation, or the
/// sync's future dropped).
struct InFlight(std::collections::VecDeque<tokio::task::JoinHandle<Result<Fetched, SyncError>>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Builds a fetched thread's records against what the store has and stores them, in the
/// caller's transaction, quarantining what cannot be stored (with its `quarantine` audit
/// event). Returns (runs changed, actions changed, records quarantined).
pub(crate) fn apply_thread(
    tx: &countersign_store::rusqlite::Transaction<'_>,
    backend_id: &str,
    cfg: &LangGraphConfig,
    freshness_days: i64,
    max_record: usize,
    f: &Fetched,
) -> Result<(u64, u64, u64), SyncError> {
    let applied = write_thread(tx, backend_id, cfg, freshness_days, max_record, f, false)?;
    store_quarantined(tx, backend_id, STREAM, &applied.quarantined)?;
    Ok((
        applied.runs,
        applied.actions,
        applied.quarantined.len() as u64,
    ))
}

/// Builds a fetched thread's records against what the store has and stores the valid ones in
/// the caller's transaction; what cannot be stored is returned for quarantine. `rebuild`:
/// replace the stored actions of the same revision too (the settings changed).
fn write_thread(
    tx: &countersign_store::rusqlite::Transaction<'_>,
    backend_id: &str,
    cfg: &LangGraphConfig,
    freshness_days: i64,
    max_record: usize,
    f: &Fetched,
    rebuild: bool,
) -> Result<Applied, SyncError> {
    let existing: BTreeMap<String, PendingAction> =
        actions::for_run(tx, backend_id, &f.thread.thread_id)?
            .into_iter()
            .map(|a| (a.action_id.clone(), a))
            .collect();
    let Built {
        run,
        actions: acts,
        quarantined,
    } = build(&f.thread, &f.history, &f.runs, cfg, &existing);
    let mut applied = Applied::default();
    for (reason, raw) in quarantined {
        applied.quarantined.push(Quarantined {
            stream: "actions",
            reason,
            raw,
        });
    }
    if let Some(run) = run {
        let body = serde_json::to_string(&run).map_err(countersign_store::StoreError::from)?;
        let invalid = run.validate().err().or_else(|| {
            (body.len() > max_record).then(|| {
                format!(
                    "run of {} bytes exceeds the {max_record}-byte limit",
                    body.len()
                )
            })
        });
        match invalid {
            Some(reason) => applied.quarantined.push(Quarantined {
                stream: "runs",
                reason,
                raw: body.into_bytes(),
            }),
            None => {
                if runs::upsert_deferred(
                    tx,
                    backend_id,
                    &run.columns(),
                    &body,
                    Utc::now(),
                    freshness_days,
                )? != Upserted::Unchanged
                {
                    applied.runs += 1;
                }
            }
        }
    }
    for a in &acts {
        let stored = if rebuild {
            actions::upsert_rebuilt(tx, backend_id, a)?
        } else {
            actions::upsert(tx, backend_id, a)?
        };
        if stored != Upserted::Unchanged {
            applied.actions += 1;
        }
    }
    Ok(applied)
}

fn key_of(raw: &RawValue) -> Result<Thread, String> {
    let t: Thread = serde_json::from_str(raw.get()).map_err(|e| format!("not a thread: {e}"))?;
    if t.thread_id.trim().is_empty() {
        return Err("thread_id is empty".into());
    }
    if t.updated_at.is_none() {
        return Err("thread has no updated_at".into());
    }
    Ok(t)
}

/// Fetches the page that starts at or before the cursor, stepping back when the list shifted.
/// Returns (offset fetched at, how many were asked for, the page).
async fn fetch_page(
    client: &LangGraphClient,
    cursor: &Cursor,
    limit: usize,
) -> Result<(usize, usize, Vec<Box<RawValue>>), SyncError> {
    // One overlap with what was applied, so the page can prove it starts at or before it; it
    // is asked for on top of the page size.
    let mut offset = cursor.offset.saturating_sub(1);
    loop {
        let ask = if offset == 0 && cursor.offset == 0 {
            limit
        } else {
            limit + 1
        };
        let page = client.search_threads(offset, ask).await?;
        if offset == 0 || cursor.ts.is_none() {
            return Ok((offset, ask, page));
        }
        let starts_before = page
            .first()
            .and_then(|raw| key_of(raw).ok())
            .and_then(|t| t.updated_at.map(|ts| cursor.covers(ts, &t.thread_id)))
            .unwrap_or(false);
        if starts_before {
            return Ok((offset, ask, page));
        }
        offset = offset.saturating_sub(limit.max(1));
    }
}

/// The LangGraph connector: one stream of threads, paged by [`Cursor`].
struct Threads<'a> {
    client: &'a LangGraphClient,
    cfg: LangGraphConfig,
    /// [`config_fingerprint`] of `cfg`.
    fingerprint: String,
    freshness_days: i64,
    /// Checked between the threads of a page (each costs requests).
    cancel: &'a Cancel,
}

const THREADS: StreamSpec = StreamSpec {
    cursor: STREAM,
    progress: PROGRESS_STREAM,
};

/// A page of threads to store, with what the store needs to build them.
struct ThreadWrites {
    cfg: LangGraphConfig,
    freshness_days: i64,
    max_record: usize,
    fetched: Vec<Fetched>,
    /// Rebuild the stored actions of unchanged threads (the settings changed).
    rebuild: bool,
    /// Items that are not threads: (reason, raw).
    bad: Vec<(String, Vec<u8>)>,
}

impl PageWrites for ThreadWrites {
    fn apply(
        self,
        tx: &countersign_store::rusqlite::Transaction<'_>,
        backend_id: &str,
    ) -> Result<Applied, SyncError> {
        let mut total = Applied::default();
        for f in &self.fetched {
            let mut a = write_thread(
                tx,
                backend_id,
                &self.cfg,
                self.freshness_days,
                self.max_record,
                f,
                self.rebuild,
            )?;
            total.runs += a.runs;
            total.actions += a.actions;
            total.quarantined.append(&mut a.quarantined);
        }
        for (reason, raw) in self.bad {
            total.quarantined.push(Quarantined {
                stream: "runs",
                reason,
                raw,
            });
        }
        Ok(total)
    }
}

impl Connector for Threads<'_> {
    type Writes = ThreadWrites;

    fn streams(&self) -> Vec<StreamSpec> {
        vec![THREADS]
    }

    async fn begin(&mut self, backend: &BackendRow, _: &mut Applier) -> Result<(), SyncError> {
        self.cfg = LangGraphConfig::from_backend_config(&backend.config);
        self.fingerprint = config_fingerprint(&self.cfg);
        self.freshness_days = backend.freshness_days;
        Ok(())
    }

    async fn fetch(
        &self,
        _: StreamSpec,
        saved: Option<&str>,
        opts: &SyncOptions,
    ) -> Result<Page<ThreadWrites>, SyncError> {
        let mut cursor: Cursor = saved
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        if cursor.config.as_deref() != Some(self.fingerprint.as_str()) {
            // New settings: walk every thread again, rebuilding what is stored.
            cursor = Cursor {
                config: Some(self.fingerprint.clone()),
                rebuilding: saved.is_some(),
                ..Cursor::default()
            };
        }
        let limit = opts.page_size.clamp(1, MAX_PAGE) as usize;
        let (offset, asked, page) = fetch_page(self.client, &cursor, limit).await?;
        let has_more = page.len() >= asked;
        let mut next = cursor.clone();
        next.offset = offset + page.len();
        if !has_more {
            next.rebuilding = false;
        }
        let mut todo = Vec::new();
        let mut bad: Vec<(String, Vec<u8>)> = Vec::new();
        for raw in &page {
            let thread = match key_of(raw) {
                Ok(t) => t,
                Err(reason) => {
                    bad.push((reason, raw.get().as_bytes().to_vec()));
                    continue;
                }
            };
            let Some(ts) = thread.updated_at else {
                continue;
            };
            if cursor.covers(ts, &thread.thread_id) {
                continue;
            }
            next.advance(ts, &thread.thread_id);
            if crate::replay::is_replay(&thread) {
                // A golden-set replay's thread (its deletion failed): never a run to review.
                continue;
            }
            todo.push(thread);
        }
        let fetched = fetch_threads(self.client, todo, self.cancel).await?;
        let next_cursor =
            serde_json::to_string(&next).map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(Page {
            writes: ThreadWrites {
                cfg: self.cfg.clone(),
                freshness_days: self.freshness_days,
                max_record: opts.max_record_bytes,
                fetched,
                rebuild: cursor.rebuilding,
                bad,
            },
            quarantined: Vec::new(),
            next_cursor,
            has_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_covers_earlier_and_same_time_applied_threads() {
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
        let t1 = t0 + chrono::Duration::microseconds(1);
        let mut c = Cursor::default();
        assert!(!c.covers(t0, "a"));
        c.advance(t0, "a");
        c.advance(t0, "b");
        assert!(c.covers(t0, "a") && c.covers(t0, "b"));
        assert!(!c.covers(t0, "c"));
        assert!(!c.covers(t1, "a"));
        c.advance(t1, "c");
        assert_eq!(c.ids, vec!["c".to_string()]);
        assert!(c.covers(t0, "z"));
        let back: Cursor = serde_json::from_str(&serde_json::to_string(&c).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(back, c);
    }
}
