//! The types every connector's sync shares: its tuning, its cancellation flag, its progress
//! events and its report.

use crate::error::ErrorView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
    /// Whether the backend's caps, sources or autonomy levels as stored changed.
    pub settings_changed: bool,
    /// Records quarantined.
    pub quarantined: u64,
    /// Pages applied.
    pub pages: u32,
    /// Why the sync stopped early, if it did.
    pub error: Option<ErrorView>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}
