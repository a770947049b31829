//! MLflow tracing (`mlflow`): an MLflow 3 tracking server's traces become runs.

use super::Backend;
use crate::Probed;
use countersign_sync::kit::{BoxFuture, ConnectorKind, SyncRequest, failed_to_start};
use countersign_sync::{ClientOptions, SyncError, SyncReport};
use countersign_tracestore::{Client, mlflow};
use serde_json::Value;

/// An MLflow tracking server (one experiment, or all of them).
pub(super) struct Mlflow;

impl ConnectorKind for Mlflow {
    fn kind(&self) -> &'static str {
        mlflow::KIND
    }

    fn sync<'a>(&'a self, r: SyncRequest<'a>) -> BoxFuture<'a, SyncReport> {
        Box::pin(async move {
            let id = r.backend.backend_id.as_str();
            match Client::mlflow(&r.backend.url, r.token, r.client_opts) {
                Ok(c) => mlflow::sync(r.store_path, id, &c, r.opts, r.cancel, r.on_progress).await,
                Err(e) => failed_to_start(r.store_path, id, e),
            }
        })
    }
}

impl Backend for Mlflow {
    fn probe<'a>(
        &'a self,
        url: &'a str,
        config: &'a Value,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<Probed, SyncError>> {
        Box::pin(async move {
            let which = mlflow::experiments_in(config, url);
            let client = Client::mlflow(url, token, opts)?;
            let p = mlflow::probe(&client, &which).await?;
            let experiments = match (&which, p.experiments.as_slice()) {
                (mlflow::Experiments::All, all) => format!("all experiments ({})", all.len()),
                (_, [(id, name)]) => format!("experiment {name} ({id})"),
                (_, other) => format!("{} experiments", other.len()),
            };
            Ok(Probed {
                whoami: None,
                summary: format!(
                    "MLflow {}, {experiments}",
                    p.version.as_deref().unwrap_or("(version not reported)")
                ),
            })
        })
    }
}
