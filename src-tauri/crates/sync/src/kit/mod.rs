//! The connector kit: one sync loop ([`run_sync`]) for every backend kind. A connector
//! ([`Connector`]) only fetches the page after a cursor and plans it (writes and quarantines);
//! the loop owns the one-transaction apply with the cursor, the quarantine audit event,
//! progress, cancellation and health, so connectors cannot drift apart. A [`registry`] maps
//! `backends.kind` to the connector that syncs it.

pub mod connector;
pub mod registry;
pub mod run;
pub mod types;

pub use connector::{Applied, Connector, Page, PageWrites, Quarantined, StreamSpec};
pub use registry::{BoxFuture, ConnectorKind, SyncRequest};
pub use run::{failed_to_start, run_sync, store_quarantined};
pub use types::{Cancel, Progress, SyncOptions, SyncReport};

#[cfg(test)]
mod tests;
