//! Backends: list with health, add (token to the secret store), remove, sync now, quarantine.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use crate::worker;
use countersign_connect::Kind;
use countersign_core::Whoami;
use countersign_store::health::Health;
use countersign_store::quarantine::QuarantineRow;
use countersign_store::{Store, actions, audit, backends, health, quarantine, runs};
use countersign_sync::SyncReport;
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, State};

/// Counts shown beside a backend.
#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "BackendCounts")]
pub struct Counts {
    runs: i64,
    actions_pending: i64,
    quarantined: i64,
}

/// A backend as the Backends view shows it.
#[derive(Serialize, ts_rs::TS)]
pub struct BackendView {
    backend_id: String,
    name: String,
    url: String,
    kind: String,
    added_at: chrono::DateTime<chrono::Utc>,
    embedded: bool,
    health: Health,
    whoami: Option<Whoami>,
    counts: Counts,
    config: serde_json::Value,
    /// The admin allowed this backend's token over plain http to a host that is not this
    /// machine.
    allow_http: bool,
}

/// A backend row with its health and counts, as the Backends view shows it.
pub(crate) fn view(
    conn: &countersign_store::rusqlite::Connection,
    b: backends::BackendRow,
) -> CmdResult<BackendView> {
    Ok(BackendView {
        health: health::get(conn, &b.backend_id)?,
        counts: Counts {
            runs: runs::count(conn, &b.backend_id)?,
            actions_pending: actions::count_pending(conn, &b.backend_id)?,
            quarantined: quarantine::count(conn, &b.backend_id)?,
        },
        backend_id: b.backend_id,
        name: b.name,
        url: b.url,
        kind: b.kind,
        added_at: b.added_at,
        embedded: b.embedded,
        whoami: b.whoami,
        config: b.config,
        allow_http: b.allow_http,
    })
}

/// Every connected backend with its health and counts.
#[tauri::command]
pub async fn list_backends(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<BackendView>> {
    with_store(&state, |s| {
        backends::list(s.conn())?
            .into_iter()
            .map(|b| view(s.conn(), b))
            .collect()
    })
    .await
}

/// Adds a backend of `kind` (`countersign`, `langgraph`, `phoenix`, `langfuse`) after checking
/// that it answers as that kind and accepts the token; the token goes to the secret store,
/// never to SQLite. `config` holds per-kind settings (a Phoenix project, LangGraph confirm
/// fields). `allow_http` lets the token go over plain http to a host that is not this machine.
/// A URL already connected is refused (`backend_exists`, nothing touched) unless `replace`,
/// which replaces its settings and token. Recorded in the audit trail (before → after).
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn add_backend(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    name: String,
    url: String,
    token: String,
    kind: Option<String>,
    config: Option<serde_json::Value>,
    allow_http: Option<bool>,
    replace: Option<bool>,
) -> CmdResult<BackendView> {
    let url = backends::normalize_url(&url)?;
    let kind_text = kind.unwrap_or_else(|| "countersign".into());
    let kind = Kind::parse(&kind_text)
        .ok_or_else(|| CmdError::new("invalid", format!("unknown backend kind {kind_text:?}")))?;
    let config = config.unwrap_or_else(|| serde_json::json!({}));
    check_config(&config)?;
    let (allow_http, replace) = (allow_http.unwrap_or(false), replace.unwrap_or(false));
    let id = backends::backend_id_for_url(&url);
    // Refused before the backend is asked anything or its stored token is touched.
    let known = {
        let id = id.clone();
        with_store(&state, move |s| Ok(backends::get(s.conn(), &id)?)).await?
    };
    if let Some(b) = &known {
        backends::check_re_add(b, replace)?;
    }
    let token = Some(token.trim().to_string()).filter(|t| !t.is_empty());
    let probed = countersign_connect::probe(kind, &url, &config, token.clone(), allow_http).await?;
    match &token {
        Some(t) => state.secrets.set(&id, t),
        None if known.is_some() => state.secrets.delete(&id),
        None => Ok(()),
    }
    .map_err(|m| CmdError::new("secret_store", m))?;
    let token_stored = token.is_some();
    let row = with_store(&state, move |s| {
        let new = backends::NewBackend {
            name: &name,
            url: &url,
            kind: kind.as_str(),
            config: &config,
            allow_http,
        };
        store_added(s, &new, replace, probed.whoami.as_ref(), token_stored)
    })
    .await?;
    tracing::info!(backend = %row.backend_id, url = %row.url, kind = %row.kind, allow_http, replace, "backend added");
    let (app2, st, bid) = (app.clone(), state.inner().clone(), row.backend_id.clone());
    tauri::async_runtime::spawn(async move {
        let _ = worker::sync_all(&app2, &st, Some(bid)).await;
    });
    Ok(row)
}

/// Stores a backend being added (see [`backends::add`]) with the identity its probe reported,
/// and records it in the audit trail with its settings before (when replaced) and after —
/// never the token, only whether one was stored.
pub(crate) fn store_added(
    s: &mut Store,
    new: &backends::NewBackend<'_>,
    replace: bool,
    whoami: Option<&Whoami>,
    token_stored: bool,
) -> CmdResult<BackendView> {
    let tx = s.write()?;
    let added = backends::add_recorded(&tx, new, replace, "console", Some(token_stored))?;
    if let Some(who) = whoami {
        backends::set_whoami(&tx, &added.row.backend_id, who)?;
    }
    let row = backends::get(&tx, &added.row.backend_id)?
        .ok_or_else(|| CmdError::new("not_found", "backend vanished"))?;
    let v = view(&tx, row)?;
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(v)
}

/// A backend config the console may store: a JSON object whose `identity` keys, if set, read
/// ([`countersign_core::IdentityKeys::from_backend_config`]).
pub(crate) fn check_config(config: &serde_json::Value) -> CmdResult<()> {
    if !config.is_object() {
        return Err(CmdError::new(
            "invalid",
            "backend settings must be a JSON object",
        ));
    }
    countersign_core::IdentityKeys::from_backend_config(config)
        .map(|_| ())
        .map_err(|m| CmdError::new("invalid", m))
}

/// Replaces a backend's per-kind settings (for LangGraph: which arguments of which action a
/// reviewer must confirm; for every kind that syncs runs: which metadata keys name a run's user
/// and tenant). Applies from the next sync on; recorded in the audit trail.
#[tauri::command]
pub async fn set_backend_config(
    state: State<'_, Arc<AppState>>,
    backend_id: String,
    config: serde_json::Value,
) -> CmdResult<BackendView> {
    check_config(&config)?;
    with_store(&state, move |s| {
        let tx = s.write()?;
        let before = backends::get(&tx, &backend_id)?
            .ok_or_else(|| CmdError::new("not_found", format!("no backend {backend_id}")))?;
        if let Some(kind) = countersign_connect::lookup(&before.kind) {
            kind.check_config(&config)
                .map_err(|m| CmdError::new("invalid", format!("backend settings: {m}")))?;
        }
        backends::set_config(&tx, &backend_id, &config)?;
        audit::append(
            &tx,
            "console",
            countersign_core::audit::kinds::BACKEND_CONFIG,
            &backend_id,
            serde_json::json!({"before": before.config, "after": config}),
            chrono::Utc::now(),
        )?;
        let row = backends::get(&tx, &backend_id)?
            .ok_or_else(|| CmdError::new("not_found", "backend vanished"))?;
        let v = view(&tx, row)?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(v)
    })
    .await
}

/// Removes a backend, everything synced from it, and its token.
#[tauri::command]
pub async fn remove_backend(state: State<'_, Arc<AppState>>, backend_id: String) -> CmdResult<()> {
    let id = backend_id.clone();
    let existed = with_store(&state, move |s| remove_row(s, &id)).await?;
    if !existed {
        return Err(CmdError::new(
            "not_found",
            format!("no backend {backend_id}"),
        ));
    }
    state
        .secrets
        .delete(&backend_id)
        .map_err(|m| CmdError::new("secret_store", m))?;
    tracing::info!(backend = %backend_id, "backend removed");
    Ok(())
}

/// Removes a backend's row (and what was synced from it), recording its settings before in the
/// audit trail. Returns whether it existed.
pub(crate) fn remove_row(s: &mut Store, id: &str) -> CmdResult<bool> {
    let tx = s.write()?;
    let existed = backends::remove_recorded(&tx, id, "console")?.is_some();
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(existed)
}

/// Syncs one backend (or all) now and reports what was applied.
#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    backend_id: Option<String>,
) -> CmdResult<Vec<SyncReport>> {
    worker::sync_all(&app, &state, backend_id).await
}

/// Cancels the sync in flight after its current page; applied pages stay applied.
#[tauri::command]
pub fn cancel_sync(state: State<'_, Arc<AppState>>) -> CmdResult<()> {
    state
        .cancel
        .lock()
        .map_err(|e| CmdError::new("internal", e.to_string()))?
        .cancel();
    Ok(())
}

/// Records a backend sent that could not be accepted.
#[tauri::command]
pub async fn list_quarantine(
    state: State<'_, Arc<AppState>>,
    backend_id: Option<String>,
) -> CmdResult<Vec<QuarantineRow>> {
    with_store(&state, move |s| {
        Ok(quarantine::list(s.conn(), backend_id.as_deref(), 500)?)
    })
    .await
}
