//! Arize Phoenix (`phoenix`): a project's spans become runs.

use super::Backend;
use crate::Probed;
use countersign_sync::kit::{BoxFuture, ConnectorKind, SyncRequest, failed_to_start};
use countersign_sync::{ClientOptions, SyncError, SyncReport};
use countersign_tracestore::{Client, phoenix};
use serde_json::Value;

/// An Arize Phoenix project.
pub(super) struct Phoenix;

impl ConnectorKind for Phoenix {
    fn kind(&self) -> &'static str {
        phoenix::KIND
    }

    fn sync<'a>(&'a self, r: SyncRequest<'a>) -> BoxFuture<'a, SyncReport> {
        Box::pin(async move {
            let id = r.backend.backend_id.as_str();
            match Client::phoenix(&r.backend.url, r.token, r.client_opts) {
                Ok(c) => phoenix::sync(r.store_path, id, &c, r.opts, r.cancel, r.on_progress).await,
                Err(e) => failed_to_start(r.store_path, id, e),
            }
        })
    }
}

impl Backend for Phoenix {
    fn probe<'a>(
        &'a self,
        url: &'a str,
        config: &'a Value,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<Probed, SyncError>> {
        Box::pin(async move {
            let project = config
                .get("project")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| countersign_tracestore::project_in_url(url))
                .unwrap_or_else(|| phoenix::DEFAULT_PROJECT.into());
            let client = Client::phoenix(url, token, opts)?;
            let p = phoenix::probe(&client, &project).await?;
            Ok(Probed {
                whoami: None,
                summary: format!(
                    "Phoenix {}, project {}",
                    p.version.as_deref().unwrap_or("(version not reported)"),
                    p.project_name
                ),
            })
        })
    }
}
