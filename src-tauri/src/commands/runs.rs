//! Run history: the list, one run in full, and filter values.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_core::{PendingAction, Run};
use countersign_store::runs::{self, Facet, RunPage, RunQuery};
use countersign_store::{actions, backends};
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// One page of runs matching the query.
#[tauri::command]
pub async fn list_runs(state: State<'_, Arc<AppState>>, query: RunQuery) -> CmdResult<RunPage> {
    with_store(&state, move |s| Ok(runs::list(s.conn(), &query)?)).await
}

/// A run in full with the actions it proposed.
#[derive(Serialize, ts_rs::TS)]
pub struct RunDetail {
    backend_id: String,
    backend_name: String,
    run: Run,
    actions: Vec<PendingAction>,
}

/// One run in full.
#[tauri::command]
pub async fn get_run(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    run_id: String,
) -> CmdResult<RunDetail> {
    with_store(&state, move |s| {
        let run = runs::get(s.conn(), &backend_id, &run_id)?.ok_or_else(|| {
            CmdError::new("not_found", format!("no run {run_id} from {backend_id}"))
        })?;
        let backend_name = backends::get(s.conn(), &backend_id)?
            .map(|b| b.name)
            .unwrap_or_default();
        let actions = actions::for_run(s.conn(), &backend_id, &run_id)?;
        Ok(RunDetail {
            backend_id,
            backend_name,
            run,
            actions,
        })
    })
    .await
}

/// A backend as a filter choice.
#[derive(Serialize, ts_rs::TS)]
pub struct BackendChoice {
    backend_id: String,
    name: String,
}

/// Values for the filter pickers.
#[derive(Serialize, ts_rs::TS)]
pub struct Facets {
    workflows: Vec<String>,
    models: Vec<String>,
    backends: Vec<BackendChoice>,
}

/// Workflows, models and backends present in the store.
#[tauri::command]
pub async fn list_facets(state: State<'_, Arc<AppState>>) -> CmdResult<Facets> {
    with_store(&state, |s| {
        Ok(Facets {
            workflows: runs::distinct(s.conn(), Facet::Workflow)?,
            models: runs::distinct(s.conn(), Facet::Model)?,
            backends: backends::list(s.conn())?
                .into_iter()
                .map(|b| BackendChoice {
                    backend_id: b.backend_id,
                    name: b.name,
                })
                .collect(),
        })
    })
    .await
}

/// Charts over the daily roll-up for `[since, until)` (default: the last 30 days).
#[tauri::command]
pub async fn get_overview(
    state: State<'_, Arc<AppState>>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    backend_id: Option<String>,
) -> CmdResult<countersign_store::overview::Overview> {
    let until = until.unwrap_or_else(chrono::Utc::now);
    let since = since.unwrap_or(until - chrono::Duration::days(30));
    with_store(&state, move |s| {
        Ok(countersign_store::overview::overview(
            s.conn(),
            since,
            until,
            backend_id.as_deref(),
        )?)
    })
    .await
}
