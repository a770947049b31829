//! The approval queue (read side; decisions come with the outbox).

use crate::error::CmdResult;
use crate::state::{AppState, with_store};
use countersign_core::{ActionStatus, PendingAction};
use countersign_store::{actions, backends};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tauri::State;

/// An action with where it came from and its status as of now (expired is distinct).
#[derive(Serialize)]
pub struct ActionView {
    backend_id: String,
    backend_name: String,
    action: PendingAction,
    effective_status: ActionStatus,
}

/// Synced actions, most urgent first, optionally with one stored status.
#[tauri::command]
pub async fn list_actions(
    state: State<'_, Arc<AppState>>,
    status: Option<String>,
) -> CmdResult<Vec<ActionView>> {
    with_store(&state, move |s| {
        let names: HashMap<String, String> = backends::list(s.conn())?
            .into_iter()
            .map(|b| (b.backend_id, b.name))
            .collect();
        let now = chrono::Utc::now();
        Ok(actions::list(s.conn(), status.as_deref())?
            .into_iter()
            .map(|(backend_id, action)| ActionView {
                backend_name: names.get(&backend_id).cloned().unwrap_or_default(),
                effective_status: action.effective_status(now),
                backend_id,
                action,
            })
            .collect())
    })
    .await
}
