//! What a connector implements: fetch the page after a cursor and turn it into a plan of
//! writes and quarantines. Everything else (the one transaction, the audit event, progress,
//! cancellation, health) belongs to [`crate::kit::run_sync`].

use crate::applier::Applier;
use crate::error::SyncError;
use crate::kit::types::{SyncOptions, SyncReport};
use countersign_store::backends::BackendRow;
use countersign_store::rusqlite::Transaction;
use std::future::Future;

/// One stream a connector syncs incrementally, with its own saved cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    /// Cursor stream name in `sync_cursors`; also the `stream` of its quarantine audit events.
    pub cursor: &'static str,
    /// Stream name in [`crate::Progress`] events.
    pub progress: &'static str,
}

/// A record refused with its reason and the bytes it arrived as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarantined {
    /// Stream the quarantine row is filed under (`runs`, `actions`, `spans`, ...).
    pub stream: &'static str,
    /// Why it was refused.
    pub reason: String,
    /// Its raw bytes (possibly truncated when oversized).
    pub raw: Vec<u8>,
}

/// What storing a page's writes did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Runs inserted or replaced.
    pub runs: u64,
    /// Actions inserted or replaced.
    pub actions: u64,
    /// Records refused while writing (they depend on what the store holds); the kit stores
    /// them with the page's other quarantines, in the same transaction.
    pub quarantined: Vec<Quarantined>,
}

/// A page's writes: the connector-specific part of applying it, done inside the kit's
/// transaction (which then stores quarantines, the audit event and the cursor, and commits).
pub trait PageWrites: Send + 'static {
    /// Stores the writes in `tx` for `backend_id`.
    fn apply(self, tx: &Transaction<'_>, backend_id: &str) -> Result<Applied, SyncError>;
}

/// A fetched page, planned.
#[derive(Debug)]
pub struct Page<W> {
    /// What to store.
    pub writes: W,
    /// What to quarantine (known without the store).
    pub quarantined: Vec<Quarantined>,
    /// The cursor saved with this page and used to fetch the next one; an empty cursor is not
    /// saved.
    pub next_cursor: String,
    /// Whether more pages wait after this one.
    pub has_more: bool,
}

/// One kind of backend's sync: the pieces [`crate::kit::run_sync`] calls.
pub trait Connector: Send + Sync {
    /// A page's writes.
    type Writes: PageWrites;

    /// The streams synced, in order.
    fn streams(&self) -> Vec<StreamSpec>;

    /// Called once with the backend row before any page (read settings, check identity).
    fn begin(
        &mut self,
        backend: &BackendRow,
        applier: &mut Applier,
    ) -> impl Future<Output = Result<(), SyncError>> + Send;

    /// Fetches and plans the page of `stream` after `cursor` (`None`: from the start).
    fn fetch(
        &self,
        stream: StreamSpec,
        cursor: Option<&str>,
        opts: &SyncOptions,
    ) -> impl Future<Output = Result<Page<Self::Writes>, SyncError>> + Send;

    /// Called once after every stream synced (whole-state snapshots such as budgets).
    fn end(
        &mut self,
        _applier: &mut Applier,
        _report: &mut SyncReport,
    ) -> impl Future<Output = Result<(), SyncError>> + Send {
        async { Ok(()) }
    }
}
