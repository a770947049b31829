//! The native protocol (`countersign`, `/v1`).

use super::Backend;
use crate::Probed;
use countersign_audit::SigningKey;
use countersign_store::backends::BackendRow;
use countersign_sync::checkpoint::CheckpointOutcome;
use countersign_sync::kit::{BoxFuture, ConnectorKind, SyncRequest, failed_to_start};
use countersign_sync::outbox::DeliveryReport;
use countersign_sync::{Client, ClientOptions, SyncError, SyncReport, sync_backend};
use serde_json::Value;
use std::path::Path;

/// Countersign's own protocol.
pub(super) struct Native;

impl ConnectorKind for Native {
    fn kind(&self) -> &'static str {
        "countersign"
    }

    fn sync<'a>(&'a self, r: SyncRequest<'a>) -> BoxFuture<'a, SyncReport> {
        Box::pin(async move {
            let id = r.backend.backend_id.as_str();
            match Client::new(&r.backend.url, r.token, r.client_opts) {
                Ok(c) => sync_backend(r.store_path, id, &c, r.opts, r.cancel, r.on_progress).await,
                Err(e) => failed_to_start(r.store_path, id, e),
            }
        })
    }
}

impl Backend for Native {
    fn probe<'a>(
        &'a self,
        url: &'a str,
        _config: &'a Value,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<Probed, SyncError>> {
        Box::pin(async move {
            let who = Client::new(url, token, opts)?.whoami().await?;
            Ok(Probed {
                summary: format!("Countersign protocol, token of {}", who.subject),
                whoami: Some(who),
            })
        })
    }

    fn deliver<'a>(
        &'a self,
        store_path: &'a Path,
        backend: &'a BackendRow,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<DeliveryReport, SyncError>> {
        Box::pin(async move {
            let c = Client::new(&backend.url, token, opts)?;
            countersign_sync::outbox::deliver(store_path, &backend.backend_id, &c).await
        })
    }

    fn checkpoint<'a>(
        &'a self,
        store_path: &'a Path,
        backend: &'a BackendRow,
        token: Option<String>,
        key: &'a SigningKey,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<CheckpointOutcome, SyncError>> {
        Box::pin(async move {
            let c = Client::new(&backend.url, token, opts)?;
            countersign_sync::checkpoint::checkpoint_backend(
                store_path,
                &backend.backend_id,
                &c,
                key,
            )
            .await
        })
    }
}
