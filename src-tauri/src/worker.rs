//! Background sync: every few seconds, and on demand, sync each backend and tell the UI what
//! changed (one event per applied page).

use crate::error::{CmdError, CmdResult};
use crate::events::{self, StoreChanged, SyncStatus};
use crate::state::{AppState, with_store};
use countersign_connect::Kind;
use countersign_sync::{Cancel, ClientOptions, SyncOptions, SyncReport};
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};

/// Starts the periodic sync loop (interval from `COUNTERSIGN_SYNC_INTERVAL_MS`, default 1500);
/// after each round, native backends due for an audit checkpoint get one
/// ([`crate::checkpoints`]) and freed heap memory goes back to the system
/// ([`crate::memory::release_free`]).
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
            // Failures are logged there and retried when due again.
            crate::checkpoints::checkpoint_all(&state, true).await;
            // Suggest failure-review buckets for what the round brought, a chunk per round.
            let drained = with_store(&state, |s| crate::commands::failures::drain(s, 5_000)).await;
            if let Err(e) = drained {
                tracing::warn!(code = e.code, error = %e.message, "failure review pass failed");
            }
            // What this round and the UI's queries since freed goes back to the system.
            crate::memory::release_free();
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
    // Imported trace files are stored like a backend but have nothing to sync.
    for b in all
        .into_iter()
        .filter(|b| Kind::parse(&b.kind).is_some())
        .filter(|b| only.as_ref().is_none_or(|o| *o == b.backend_id))
    {
        let token = state
            .token(&b.backend_id)
            .map_err(|m| CmdError::new("secret_store", m))?;
        deliver_outbox(app, state, &b, token.clone()).await;
        let _ = app.emit(
            events::SYNC_STATUS,
            SyncStatus {
                backend_id: b.backend_id.clone(),
                state: events::SyncState::Running,
                message: None,
            },
        );
        let emitter = app.clone();
        let Some(report) = countersign_connect::sync(
            &state.store_path,
            &b,
            token,
            &SyncOptions::default(),
            ClientOptions::default(),
            &cancel,
            &move |p| {
                if p.changed > 0 || p.quarantined > 0 {
                    // Streams that carry actions: the native `actions`, LangGraph `threads`.
                    let (runs, actions) = match p.stream {
                        "actions" | "threads" => (0, p.changed),
                        _ => (p.changed, 0),
                    };
                    let _ = emitter.emit(
                        events::STORE_CHANGED,
                        StoreChanged {
                            backend_id: p.backend_id.clone(),
                            runs,
                            actions,
                            origin: events::Origin::Sync,
                        },
                    );
                }
            },
        )
        .await
        else {
            continue;
        };
        if report.settings_changed {
            // Caps, sources or levels changed at the backend: views showing them reload.
            let _ = app.emit(
                events::STORE_CHANGED,
                StoreChanged {
                    backend_id: b.backend_id.clone(),
                    runs: 0,
                    actions: 0,
                    origin: events::Origin::Sync,
                },
            );
        }
        let status = match &report.error {
            None => SyncStatus {
                backend_id: b.backend_id.clone(),
                state: events::SyncState::Idle,
                message: None,
            },
            Some(e) => SyncStatus {
                backend_id: b.backend_id.clone(),
                state: events::SyncState::Error,
                message: Some(format!("[{}] {}", e.code, e.message)),
            },
        };
        let _ = app.emit(events::SYNC_STATUS, status);
        reports.push(report);
    }
    // Runs synced above are browsable already; make them searchable too.
    match countersign_sync::index_search(&state.store_path, 5_000, &cancel).await {
        Ok(0) => {}
        Ok(n) => {
            let _ = app.emit(
                events::STORE_CHANGED,
                StoreChanged {
                    backend_id: String::new(),
                    runs: n,
                    actions: 0,
                    origin: events::Origin::Sync,
                },
            );
        }
        Err(e) => tracing::warn!(error = %e, "search indexing failed"),
    }
    update_title(app, state).await;
    crate::notify::check(app, state).await;
    Ok(reports)
}

/// Sends a backend's queued decisions now, in the background; the periodic loop retries what
/// could not be sent.
pub fn deliver_soon(app: &AppHandle, state: &Arc<AppState>, backend_id: String) {
    let (app, state) = (app.clone(), state.clone());
    tauri::async_runtime::spawn(async move {
        let _gate = state.sync_gate.lock().await;
        let Ok(Some(b)) = with_store(&state, {
            let id = backend_id.clone();
            move |s| Ok(countersign_store::backends::get(s.conn(), &id)?)
        })
        .await
        else {
            return;
        };
        let token = state.token(&backend_id).ok().flatten();
        deliver_outbox(&app, &state, &b, token).await;
    });
}

async fn deliver_outbox(
    app: &AppHandle,
    state: &Arc<AppState>,
    backend: &countersign_store::backends::BackendRow,
    token: Option<String>,
) {
    let backend_id = backend.backend_id.as_str();
    match countersign_connect::deliver(&state.store_path, backend, token).await {
        Ok(r) if r.delivered + r.conflicts + r.rejected + r.held > 0 => {
            let _ = app.emit(
                events::STORE_CHANGED,
                StoreChanged {
                    backend_id: backend_id.to_string(),
                    runs: 0,
                    actions: u64::from(r.delivered + r.conflicts + r.rejected),
                    origin: events::Origin::User,
                },
            );
        }
        Ok(r) if r.waiting > 0 => {
            tracing::warn!(backend = %backend_id, waiting = r.waiting, error = ?r.last_error, "decisions waiting to send");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(backend = %backend_id, error = %e, "outbox delivery failed"),
    }
}

/// Shows the number of pending approvals in the window title.
async fn update_title(app: &AppHandle, state: &Arc<AppState>) {
    let pending = with_store(state, |s| {
        Ok(countersign_store::actions::pending_at(
            s.conn(),
            chrono::Utc::now(),
        )?)
    })
    .await
    .unwrap_or(0);
    if let Some(w) = app.get_webview_window("main") {
        let title = if pending > 0 {
            format!(
                "Countersign — {pending} pending approval{}",
                if pending == 1 { "" } else { "s" }
            )
        } else {
            "Countersign".to_string()
        };
        let _ = w.set_title(&title);
    }
}
