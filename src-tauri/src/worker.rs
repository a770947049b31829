//! Background sync: every few seconds, and on demand, sync each backend and tell the UI what
//! changed (one event per applied page).

use crate::error::{CmdError, CmdResult};
use crate::events::{self, StoreChanged, SyncStatus};
use crate::state::{AppState, with_store};
use countersign_sync::{Cancel, Client, ClientOptions, SyncOptions, SyncReport, sync_backend};
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter};

/// Starts the periodic sync loop (interval from `COUNTERSIGN_SYNC_INTERVAL_MS`, default 1500).
pub fn spawn(app: AppHandle, state: Arc<AppState>) {
    let every = std::env::var("COUNTERSIGN_SYNC_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500u64);
    tauri::async_runtime::spawn(async move {
        loop {
            if let Err(e) = sync_all(&app, &state, None).await {
                tracing::warn!(code = e.code, error = %e.message, "background sync failed");
            }
            tokio::time::sleep(Duration::from_millis(every)).await;
        }
    });
}

/// Syncs one backend, or all when `only` is `None`, one at a time.
pub async fn sync_all(
    app: &AppHandle,
    state: &Arc<AppState>,
    only: Option<String>,
) -> CmdResult<Vec<SyncReport>> {
    let _gate = state.sync_gate.lock().await;
    let cancel = Cancel::default();
    *state
        .cancel
        .lock()
        .map_err(|e| CmdError::new("internal", e.to_string()))? = cancel.clone();
    let all = with_store(state, |s| Ok(countersign_store::backends::list(s.conn())?)).await?;
    let mut reports = Vec::new();
    for b in all
        .into_iter()
        .filter(|b| only.as_ref().is_none_or(|o| *o == b.backend_id))
    {
        let token = state
            .token(&b.backend_id)
            .map_err(|m| CmdError::new("secret_store", m))?;
        let client = Client::new(&b.url, token, ClientOptions::default())?;
        let _ = app.emit(
            events::SYNC_STATUS,
            SyncStatus {
                backend_id: b.backend_id.clone(),
                state: "running",
                message: None,
            },
        );
        let emitter = app.clone();
        let report = sync_backend(
            &state.store_path,
            &b.backend_id,
            &client,
            &SyncOptions::default(),
            &cancel,
            &move |p| {
                if p.changed > 0 || p.quarantined > 0 {
                    let (runs, actions) = if p.stream == "runs" {
                        (p.changed, 0)
                    } else {
                        (0, p.changed)
                    };
                    let _ = emitter.emit(
                        events::STORE_CHANGED,
                        StoreChanged {
                            backend_id: p.backend_id.clone(),
                            runs,
                            actions,
                            origin: "sync",
                        },
                    );
                }
            },
        )
        .await;
        let status = match &report.error {
            None => SyncStatus {
                backend_id: b.backend_id.clone(),
                state: "idle",
                message: None,
            },
            Some(e) => SyncStatus {
                backend_id: b.backend_id.clone(),
                state: "error",
                message: Some(format!("[{}] {}", e.code, e.message)),
            },
        };
        let _ = app.emit(events::SYNC_STATUS, status);
        reports.push(report);
    }
    Ok(reports)
}
