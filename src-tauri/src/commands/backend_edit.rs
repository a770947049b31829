//! Editing a connected backend: its name and whether its token may go over plain http to a
//! host that is not this machine. Every change is an audit event with before → after.

use crate::commands::backends::{BackendView, view};
use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_store::{Store, audit, backends};
use std::sync::Arc;
use tauri::State;

/// Renames a backend and/or sets whether its token may go over plain http to a host that is
/// not this machine (`allow_http`). Fields left out stay as they are; a change is recorded in
/// the audit trail (`backend_edited`, before → after); no change, no event.
#[tauri::command]
pub async fn edit_backend(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    name: Option<String>,
    allow_http: Option<bool>,
) -> CmdResult<BackendView> {
    with_store(&state, move |s| {
        edit(s, &backend_id, name.as_deref(), allow_http)
    })
    .await
}

/// Applies an edit in one transaction and records it (before → after) when it changed anything.
pub(crate) fn edit(
    s: &mut Store,
    backend_id: &str,
    name: Option<&str>,
    allow_http: Option<bool>,
) -> CmdResult<BackendView> {
    let tx = s.write()?;
    let before = backends::get(&tx, backend_id)?
        .ok_or_else(|| CmdError::new("not_found", format!("no backend {backend_id}")))?;
    if let Some(n) = name {
        backends::set_name(&tx, backend_id, n)?;
    }
    if let Some(allow) = allow_http {
        backends::set_allow_http(&tx, backend_id, allow)?;
    }
    let after = backends::get(&tx, backend_id)?
        .ok_or_else(|| CmdError::new("not_found", "backend vanished"))?;
    if before.settings() != after.settings() {
        audit::append(
            &tx,
            "console",
            countersign_core::audit::kinds::BACKEND_EDITED,
            backend_id,
            serde_json::json!({"before": before.settings(), "after": after.settings()}),
            chrono::Utc::now(),
        )?;
        tracing::info!(backend = %backend_id, allow_http = after.allow_http, "backend edited");
    }
    let v = view(&tx, after)?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(v)
}
