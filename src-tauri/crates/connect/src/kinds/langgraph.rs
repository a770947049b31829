//! LangGraph Server (`langgraph`): interrupted threads become pending actions.

use super::Backend;
use crate::{Probed, console_reviewer};
use countersign_langgraph::{Auth, LangGraphClient};
use countersign_store::backends::BackendRow;
use countersign_sync::kit::{BoxFuture, ConnectorKind, SyncRequest, failed_to_start};
use countersign_sync::outbox::DeliveryReport;
use countersign_sync::{ClientOptions, SyncError, SyncReport};
use serde_json::Value;
use std::path::Path;

/// A LangGraph Server.
pub(super) struct LangGraph;

fn client(
    url: &str,
    token: Option<String>,
    opts: ClientOptions,
) -> Result<LangGraphClient, SyncError> {
    let auth = match token {
        Some(t) => Auth::ApiKey(t),
        None => Auth::None,
    };
    LangGraphClient::new(url, auth, opts)
}

impl ConnectorKind for LangGraph {
    fn kind(&self) -> &'static str {
        countersign_langgraph::KIND
    }

    fn sync<'a>(&'a self, r: SyncRequest<'a>) -> BoxFuture<'a, SyncReport> {
        Box::pin(async move {
            let id = r.backend.backend_id.as_str();
            match client(&r.backend.url, r.token, r.client_opts) {
                Ok(c) => {
                    countersign_langgraph::sync(
                        r.store_path,
                        id,
                        &c,
                        r.opts,
                        r.cancel,
                        r.on_progress,
                    )
                    .await
                }
                Err(e) => failed_to_start(r.store_path, id, e),
            }
        })
    }
}

impl Backend for LangGraph {
    fn check_config(&self, config: &Value) -> Result<(), String> {
        countersign_langgraph::LangGraphConfig::parse(config).map(|_| ())
    }

    fn probe<'a>(
        &'a self,
        url: &'a str,
        _config: &'a Value,
        token: Option<String>,
        opts: ClientOptions,
    ) -> BoxFuture<'a, Result<Probed, SyncError>> {
        Box::pin(async move {
            let info = countersign_langgraph::probe(&client(url, token, opts)?).await?;
            Ok(Probed {
                whoami: Some(console_reviewer("LangGraph Server")),
                summary: format!(
                    "LangGraph API {}, graphs: {}",
                    info.api_version
                        .as_deref()
                        .unwrap_or("(version not reported)"),
                    if info.graphs.is_empty() {
                        "none".to_string()
                    } else {
                        info.graphs.join(", ")
                    }
                ),
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
            let c = client(&backend.url, token, opts)?;
            countersign_langgraph::deliver(store_path, &backend.backend_id, &c).await
        })
    }
}

/// Replays golden cases on a LangGraph backend in eval mode ([`countersign_langgraph::replay`])
/// with the backend's settings; returns the eval's runs by case id.
pub(crate) async fn replay(
    backend: &BackendRow,
    token: Option<String>,
    opts: ClientOptions,
    eval_id: &str,
    target: &countersign_langgraph::ReplayTarget,
    config: &countersign_core::golden::ConfigLabel,
    cases: &[countersign_core::golden::GoldenCase],
) -> Result<crate::ReplayRuns, SyncError> {
    let cfg = countersign_langgraph::LangGraphConfig::parse(&backend.config)
        .map_err(SyncError::Protocol)?;
    let c = client(&backend.url, token, opts)?;
    let r = countersign_langgraph::replay::replay_keeping(&c, eval_id, target, config, &cfg, cases)
        .await?;
    let error = r.error_text();
    Ok(crate::ReplayRuns {
        runs: r.runs_by_case(),
        error,
    })
}
