//! Event names and payloads the app emits. The UI receives both generated
//! (`ui/src/api/generated/`: payload types and the `EVENTS` name table).

use serde::Serialize;

/// Data in the store changed; views refresh. Sent once per applied page, not per row.
pub const STORE_CHANGED: &str = "store-changed";
/// A backend's sync started, finished or failed.
pub const SYNC_STATUS: &str = "sync-status";

/// Payload of [`STORE_CHANGED`].
#[derive(Clone, Serialize, ts_rs::TS)]
#[ts(rename = "StoreChangedPayload")]
pub struct StoreChanged {
    /// Backend whose data changed.
    pub backend_id: String,
    /// Runs changed.
    pub runs: u64,
    /// Actions changed.
    pub actions: u64,
    /// Where the change came from.
    pub origin: Origin,
}

/// Where a store change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A sync (or the trace receiver) wrote it.
    Sync,
    /// The user did something (a decision, an import).
    User,
}

/// What a backend's sync is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// A sync is under way.
    Running,
    /// The last sync finished.
    Idle,
    /// The last sync failed (see the message).
    Error,
}

/// Payload of [`SYNC_STATUS`].
#[derive(Clone, Serialize, ts_rs::TS)]
#[ts(rename = "SyncStatusPayload")]
pub struct SyncStatus {
    /// Backend.
    pub backend_id: String,
    /// What the sync is doing.
    pub state: SyncState,
    /// Error message when `error`.
    pub message: Option<String>,
}

/// Every event name, by the key the UI's typed subscriptions use (generated into the UI).
#[cfg(test)]
pub const ALL: [(&str, &str); 2] = [("storeChanged", STORE_CHANGED), ("syncStatus", SYNC_STATUS)];
