//! The registry of backend kinds: one module per kind, one line per kind in [`REGISTRY`]. Each
//! entry syncs its kind through the kit's one sync loop ([`countersign_sync::kit::run_sync`])
//! and, where the kind has them, probes it, delivers decisions to it and asks it for audit
//! checkpoints.

mod langfuse;
pub(crate) mod langgraph;
mod mlflow;
mod native;
mod phoenix;

use crate::Probed;
use countersign_audit::SigningKey;
use countersign_store::backends::BackendRow;
use countersign_sync::checkpoint::CheckpointOutcome;
use countersign_sync::kit::{BoxFuture, ConnectorKind};
use countersign_sync::outbox::DeliveryReport;
use countersign_sync::{ClientOptions, SyncError};
use serde_json::Value;
use std::path::Path;

/// Every backend kind with a connector: one line each.
pub static REGISTRY: &[&dyn Backend] = &[
    &native::Native,
    &langgraph::LangGraph,
    &phoenix::Phoenix,
    &langfuse::Langfuse,
    &mlflow::Mlflow,
];

/// The registry entry for `kind` (as stored in `backends.kind`), if it has a connector.
pub fn lookup(kind: &str) -> Option<&'static dyn Backend> {
    countersign_sync::kit::registry::find(REGISTRY, kind)
}

/// A backend kind: how it syncs ([`ConnectorKind`]), how it is checked before being added, and
/// what else it offers (decision delivery, audit checkpoints).
pub trait Backend: ConnectorKind {
    /// Checks a server before it is added as this kind (see [`crate::probe`]).
    fn probe<'a>(
        &'a self,
        url: &'a str,
        config: &'a Value,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<Probed, SyncError>>;

    /// Checks per-kind settings before the console saves them (a backend row's `config`); the
    /// error says what is wrong. By default any JSON object is accepted.
    fn check_config(&self, _config: &Value) -> Result<(), String> {
        Ok(())
    }

    /// Sends the backend's queued decisions; by default the kind holds none.
    fn deliver<'a>(
        &'a self,
        _store_path: &'a Path,
        _backend: &'a BackendRow,
        _token: Option<String>,
        _opts: ClientOptions,
    ) -> BoxFuture<'a, Result<DeliveryReport, SyncError>> {
        Box::pin(async { Ok(DeliveryReport::default()) })
    }

    /// Asks the backend for an audit checkpoint receipt; by default the kind offers none.
    fn checkpoint<'a>(
        &'a self,
        _store_path: &'a Path,
        _backend: &'a BackendRow,
        _token: Option<String>,
        _key: &'a SigningKey,
        _opts: ClientOptions,
    ) -> BoxFuture<'a, Result<CheckpointOutcome, SyncError>> {
        Box::pin(async { Ok(CheckpointOutcome::Unsupported) })
    }
}
