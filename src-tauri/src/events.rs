//! Event names and payloads the app emits; mirrored in `ui/src/api/events.ts`.

use serde::Serialize;

/// Data in the store changed; views refresh. Sent once per applied page, not per row.
pub const STORE_CHANGED: &str = "store-changed";
/// A backend's sync started, finished or failed.
pub const SYNC_STATUS: &str = "sync-status";

/// Payload of [`STORE_CHANGED`].
#[derive(Clone, Serialize)]
pub struct StoreChanged {
    /// Backend whose data changed.
    pub backend_id: String,
    /// Runs changed.
    pub runs: u64,
    /// Actions changed.
    pub actions: u64,
    /// Where the change came from: `sync` or `user`.
    pub origin: &'static str,
}

/// Payload of [`SYNC_STATUS`].
#[derive(Clone, Serialize)]
pub struct SyncStatus {
    /// Backend.
    pub backend_id: String,
    /// `running`, `idle` or `error`.
    pub state: &'static str,
    /// Error message when `error`.
    pub message: Option<String>,
}
