//! A connector that exists only here, registered in a registry, syncs through `run_sync`:
//! each page's writes, quarantines (with their audit event) and cursor commit together or not
//! at all.

use super::registry::{self, BoxFuture, ConnectorKind, SyncRequest};
use super::*;
use crate::applier::Applier;
use crate::error::SyncError;
use countersign_core::audit::kinds;
use countersign_store::backends::BackendRow;
use countersign_store::rusqlite::Transaction;
use countersign_store::{Store, audit, backends, cursors, health, quarantine};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Two pages of notes; an item starting with `!` is refused.
const PAGES: [&[&str]; 2] = [&["a", "!bad-1"], &["b", "!bad-2"]];

/// The test kind: notes from [`PAGES`], with the second page's writes failing while `fail`.
struct NotesKind {
    fail: AtomicBool,
    fetched: Mutex<Vec<Option<String>>>,
}

static NOTES: NotesKind = NotesKind {
    fail: AtomicBool::new(true),
    fetched: Mutex::new(Vec::new()),
};

/// The registry this test syncs through: one line per kind.
static REGISTRY: &[&dyn ConnectorKind] = &[&NOTES];

impl ConnectorKind for NotesKind {
    fn kind(&self) -> &'static str {
        "notes"
    }

    fn sync<'a>(&'a self, req: SyncRequest<'a>) -> BoxFuture<'a, SyncReport> {
        Box::pin(async move {
            let mut c = Notes { kind: self };
            let id = req.backend.backend_id.as_str();
            run_sync(
                req.store_path,
                id,
                &mut c,
                req.opts,
                req.cancel,
                req.on_progress,
            )
            .await
        })
    }
}

struct Notes<'k> {
    kind: &'k NotesKind,
}

struct NoteWrites {
    notes: Vec<String>,
    fail: bool,
}

impl PageWrites for NoteWrites {
    fn apply(self, tx: &Transaction<'_>, backend_id: &str) -> Result<Applied, SyncError> {
        for n in &self.notes {
            let details = serde_json::json!({ "note": n });
            audit::append(tx, "test", "note", backend_id, details, chrono::Utc::now())?;
        }
        if self.fail {
            return Err(SyncError::Protocol("disk full".into()));
        }
        Ok(Applied {
            runs: self.notes.len() as u64,
            ..Applied::default()
        })
    }
}

const STREAM: StreamSpec = StreamSpec {
    cursor: "notes",
    progress: "notes",
};

impl Connector for Notes<'_> {
    type Writes = NoteWrites;

    fn streams(&self) -> Vec<StreamSpec> {
        vec![STREAM]
    }

    async fn begin(&mut self, _: &BackendRow, _: &mut Applier) -> Result<(), SyncError> {
        Ok(())
    }

    async fn fetch(
        &self,
        _: StreamSpec,
        cursor: Option<&str>,
        _: &SyncOptions,
    ) -> Result<Page<NoteWrites>, SyncError> {
        if let Ok(mut f) = self.kind.fetched.lock() {
            f.push(cursor.map(str::to_string));
        }
        let at: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let (bad, good): (Vec<&str>, Vec<&str>) =
            PAGES[at].iter().partition(|n| n.starts_with('!'));
        Ok(Page {
            writes: NoteWrites {
                notes: good.into_iter().map(str::to_string).collect(),
                fail: at == 1 && self.kind.fail.load(Ordering::SeqCst),
            },
            quarantined: bad
                .into_iter()
                .map(|b| Quarantined {
                    stream: "notes",
                    reason: format!("refused {b}"),
                    raw: b.as_bytes().to_vec(),
                })
                .collect(),
            next_cursor: (at + 1).to_string(),
            has_more: at + 1 < PAGES.len(),
        })
    }
}

/// (notes written, quarantine rows, quarantine audit events, cursor).
fn state(store: &Store, id: &str) -> (usize, usize, usize, Option<String>) {
    let events = audit::all_in_range(store.conn(), None, None).expect("events");
    let notes = events.iter().filter(|e| e.kind == "note").count();
    let audited = events
        .iter()
        .filter(|e| e.kind == kinds::QUARANTINE)
        .count();
    let rows = quarantine::list(store.conn(), Some(id), 100)
        .expect("rows")
        .len();
    let cursor = cursors::get(store.conn(), id, "notes").expect("cursor");
    (notes, rows, audited, cursor)
}

#[tokio::test]
async fn a_registered_connector_syncs_pages_atomically_through_run_sync() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("s.db");
    let row = {
        let s = Store::open(&path).expect("store");
        backends::upsert(s.conn(), "N", "http://127.0.0.1:9", "notes", false).expect("backend")
    };
    let entry = registry::find(REGISTRY, &row.kind).expect("registered");
    assert!(registry::find(REGISTRY, "unknown").is_none());
    let (opts, cancel) = (SyncOptions::default(), Cancel::default());
    let progress = Mutex::new(Vec::new());
    let on_progress = |p: &Progress| {
        if let Ok(mut v) = progress.lock() {
            v.push((p.stream, p.pages, p.changed, p.quarantined));
        }
    };
    let request = || SyncRequest {
        store_path: &path,
        backend: &row,
        token: None,
        opts: &opts,
        client_opts: crate::ClientOptions::default(),
        cancel: &cancel,
        on_progress: &on_progress,
    };

    // Page 1 commits; page 2's writes fail, so none of it (notes, quarantine, audit event,
    // cursor) is stored, and the failure is recorded in health.
    let report = entry.sync(request()).await;
    assert_eq!(report.error.map(|e| e.code), Some("protocol".to_string()));
    assert_eq!((report.pages, report.runs, report.quarantined), (1, 1, 1));
    let store = Store::open(&path).expect("store");
    assert_eq!(state(&store, &row.backend_id), (1, 1, 1, Some("1".into())));
    let h = health::get(store.conn(), &row.backend_id).expect("health");
    assert_eq!(h.consecutive_failures, 1);

    // The next sync resumes after page 1 and applies page 2 whole.
    NOTES.fail.store(false, Ordering::SeqCst);
    let report = entry.sync(request()).await;
    assert_eq!(report.error, None);
    assert_eq!((report.pages, report.runs, report.quarantined), (1, 1, 1));
    assert_eq!(state(&store, &row.backend_id), (2, 2, 2, Some("2".into())));
    let h = health::get(store.conn(), &row.backend_id).expect("health");
    assert_eq!(h.consecutive_failures, 0);
    let fetched = NOTES.fetched.lock().map(|f| f.clone()).unwrap_or_default();
    assert_eq!(
        fetched,
        [None, Some("1".into()), Some("1".into())],
        "first sync: start and prefetch of page 2; second: page 2 again"
    );
    let progress = progress.lock().map(|p| p.clone()).unwrap_or_default();
    assert_eq!(progress, [("notes", 1, 1, 1), ("notes", 1, 1, 1)]);
}
