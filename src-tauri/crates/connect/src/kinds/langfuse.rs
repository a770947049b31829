//! Langfuse (`langfuse`): a project's observations become runs.

use super::Backend;
use crate::Probed;
use countersign_sync::kit::{BoxFuture, ConnectorKind, SyncRequest, failed_to_start};
use countersign_sync::{ClientOptions, SyncError, SyncReport};
use countersign_tracestore::{Client, langfuse};
use serde_json::Value;

/// A Langfuse project.
pub(super) struct Langfuse;

/// A Langfuse client: the token is the `PUBLIC_KEY:SECRET_KEY` pair.
fn client(url: &str, token: Option<String>, opts: ClientOptions) -> Result<Client, SyncError> {
    Client::langfuse(url, token.as_deref().unwrap_or_default(), opts)
}

impl ConnectorKind for Langfuse {
    fn kind(&self) -> &'static str {
        langfuse::KIND
    }

    fn sync<'a>(&'a self, r: SyncRequest<'a>) -> BoxFuture<'a, SyncReport> {
        Box::pin(async move {
            let id = r.backend.backend_id.as_str();
            match client(&r.backend.url, r.token, r.client_opts) {
                Ok(c) => {
                    langfuse::sync(r.store_path, id, &c, r.opts, r.cancel, r.on_progress).await
                }
                Err(e) => failed_to_start(r.store_path, id, e),
            }
        })
    }
}

impl Backend for Langfuse {
    fn probe<'a>(
        &'a self,
        url: &'a str,
        _config: &'a Value,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<Probed, SyncError>> {
        Box::pin(async move {
            let p = langfuse::probe(&client(url, token, opts)?).await?;
            Ok(Probed {
                whoami: None,
                summary: format!("Langfuse project {}", p.project_name),
            })
        })
    }
}
