//! Countersign's local store: one SQLite file (bundled SQLite with FTS5) holding what was
//! synced from every backend, so history works offline. Schema changes are numbered SQL files
//! in `migrations/`, applied in order and tracked by `PRAGMA user_version`.
//!
//! Each module holds one table's row type and its read/write functions over a `Connection`
//! (reads) or `Transaction` (writes).

pub mod actions;
pub mod audit;
pub mod autonomy;
pub mod backends;
pub mod budgets;
pub mod cursors;
pub mod db;
pub mod decisions;
pub mod error;
pub mod failures;
pub mod golden;
pub mod health;
pub mod outages;
pub mod outbox;
pub mod overview;
pub mod paths;
pub mod quarantine;
pub mod readiness;
pub mod receipts;
pub mod review_opens;
pub mod runs;
pub mod search;
pub mod search_filters;
pub mod search_words;
pub mod setting_writes;
pub mod settings;
mod snapshot;
pub mod sources;
mod time;
pub mod trace_spans;
pub mod trust;
pub mod trusted_keys;

pub use db::{Store, migrations};
pub use error::{Result, StoreError};
pub use rusqlite;
