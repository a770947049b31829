//! Connectors by backend kind: a registry is a slice of `&'static` entries, each naming the
//! kind it syncs (`backends.kind`) and building its connector from the backend row. Adding a
//! connector is one module plus one line in the registry.

use crate::client::ClientOptions;
use crate::kit::types::{Cancel, Progress, SyncOptions, SyncReport};
use countersign_store::backends::BackendRow;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

/// A boxed, sendable future (what registry entries return, so they can be `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything one sync of one backend needs.
pub struct SyncRequest<'a> {
    /// The store synced into.
    pub store_path: &'a Path,
    /// The backend row synced.
    pub backend: &'a BackendRow,
    /// The backend's secret, if it has one.
    pub token: Option<String>,
    /// Tuning of the sync.
    pub opts: &'a SyncOptions,
    /// Tuning of the HTTP client (with the backend's plain-http choice already applied).
    pub client_opts: ClientOptions,
    /// Cancellation, checked between pages.
    pub cancel: &'a Cancel,
    /// Called after each applied page.
    pub on_progress: &'a (dyn Fn(&Progress) + Send + Sync),
}

/// A registry entry: one backend kind and how to sync it.
pub trait ConnectorKind: Send + Sync {
    /// The spelling stored in `backends.kind`.
    fn kind(&self) -> &'static str;

    /// Builds the kind's connector for `req.backend` and runs it through
    /// [`crate::kit::run_sync`]; a client that cannot be built is a recorded failure
    /// ([`crate::kit::failed_to_start`]).
    fn sync<'a>(&'a self, req: SyncRequest<'a>) -> BoxFuture<'a, SyncReport>;
}

/// The entry of `registry` for `kind`, if any.
pub fn find<K: ?Sized + ConnectorKind>(registry: &[&'static K], kind: &str) -> Option<&'static K> {
    registry.iter().copied().find(|k| k.kind() == kind)
}
