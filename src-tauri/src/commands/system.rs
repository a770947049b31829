//! App information and opening links outside the app.

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// What the About/status line shows.
#[derive(Serialize, ts_rs::TS)]
pub struct AppInfo {
    version: &'static str,
    store_path: String,
    embedded_backend_url: Option<String>,
    secret_store: String,
    /// Why the secret store cannot be used (a token file other users may read), if so.
    secret_store_error: Option<String>,
    /// Approvals faster than this after opening are flagged as too fast.
    min_review_ms: u64,
}

/// App version, store location, embedded backend and where tokens are kept.
#[tauri::command]
pub fn app_info(state: State<'_, Arc<AppState>>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        store_path: state.store_path.display().to_string(),
        embedded_backend_url: state.embedded.get().map(|e| e.url.clone()),
        secret_store: state.secrets.describe(),
        secret_store_error: state.secrets.check().err(),
        min_review_ms: super::approvals::min_review_ms(),
    }
}

/// Opens an http(s) URL in the system browser; anything else is refused.
#[tauri::command]
pub fn open_url(url: String) -> CmdResult<()> {
    if !countersign_core::text::is_openable_url(&url) {
        return Err(CmdError::new(
            "invalid_input",
            "only http(s) links can be opened",
        ));
    }
    tauri_plugin_opener::open_url(&url, None::<&str>)
        .map_err(|e| CmdError::new("internal", e.to_string()))
}
