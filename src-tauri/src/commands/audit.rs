//! The audit trail: browse events, export a signed bundle, verify a bundle offline, and the
//! installation's public key.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_core::audit::AuditEvent;
use countersign_store::{audit, backends, sources};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::State;

/// The trail's state: head, whether the stored chain verifies, and the signing key.
#[derive(Serialize, ts_rs::TS)]
pub struct AuditInfo {
    head: Option<AuditEvent>,
    chain_ok: bool,
    chain_error: Option<String>,
    public_key: String,
    exports_dir: String,
}

fn key_dir(state: &AppState) -> PathBuf {
    state
        .store_path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Head of the chain, its verification, and the installation's public key.
#[tauri::command]
pub async fn audit_info(state: State<'_, Arc<AppState>>) -> CmdResult<AuditInfo> {
    let dir = key_dir(&state);
    let key = countersign_audit::load_or_create_key(&dir)
        .map_err(|e| CmdError::new("internal", e.to_string()))?;
    let public_key = countersign_audit::public_key_hex(&key);
    with_store(&state, move |s| {
        let verdict = audit::verify(s.conn())?;
        Ok(AuditInfo {
            head: audit::head(s.conn())?,
            chain_ok: verdict.is_ok(),
            chain_error: verdict.err().map(|e| e.to_string()),
            public_key,
            exports_dir: dir.join("exports").display().to_string(),
        })
    })
    .await
}

/// Events, newest first, optionally in `[from, to)`.
#[tauri::command]
pub async fn list_audit(
    state: State<'_, Arc<AppState>>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    limit: Option<u32>,
) -> CmdResult<Vec<AuditEvent>> {
    with_store(&state, move |s| {
        Ok(audit::list(
            s.conn(),
            from,
            to,
            limit.unwrap_or(500).min(5000),
        )?)
    })
    .await
}

/// Where an export went and what it holds.
#[derive(Serialize, ts_rs::TS)]
pub struct ExportResult {
    dir: String,
    manifest: countersign_audit::Manifest,
}

/// Exports a signed bundle for `[from, to)` into a new folder under the app-data exports
/// folder (the export is itself recorded in the trail).
#[tauri::command]
pub async fn export_audit(
    state: State<'_, Arc<AppState>>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> CmdResult<ExportResult> {
    let dir = key_dir(&state);
    let out = dir.join("exports").join(format!(
        "audit-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    with_store(&state, move |s| {
        let key = countersign_audit::load_or_create_key(&dir)
            .map_err(|e| CmdError::new("internal", e.to_string()))?;
        let manifest = countersign_audit::export_bundle(s, &key, &out, from, to)
            .map_err(|e| CmdError::new("export_failed", e.to_string()))?;
        tracing::info!(dir = %out.display(), "audit bundle exported");
        Ok(ExportResult {
            dir: out.display().to_string(),
            manifest,
        })
    })
    .await
}

/// Verifies a bundle folder offline: every hash, the chain and the signature. Names the first
/// bad record on failure (`code: "verify_failed"`).
#[tauri::command]
pub async fn verify_audit(dir: String) -> CmdResult<countersign_audit::VerifyReport> {
    tauri::async_runtime::spawn_blocking(move || {
        countersign_audit::verify_bundle(std::path::Path::new(&dir))
            .map_err(|e| CmdError::new("verify_failed", e.to_string()))
    })
    .await
    .map_err(|e| CmdError::new("internal", e.to_string()))?
}

/// A knowledge source with the backend that reported it.
#[derive(Serialize, ts_rs::TS)]
pub struct SourceView {
    backend_id: String,
    backend_name: String,
    source: countersign_core::KnowledgeSource,
}

/// Knowledge sources per backend, with who may access each.
#[tauri::command]
pub async fn list_sources(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<SourceView>> {
    with_store(&state, |s| {
        let names: std::collections::HashMap<String, String> = backends::list(s.conn())?
            .into_iter()
            .map(|b| (b.backend_id, b.name))
            .collect();
        Ok(sources::list(s.conn())?
            .into_iter()
            .map(|(backend_id, source)| SourceView {
                backend_name: names.get(&backend_id).cloned().unwrap_or_default(),
                backend_id,
                source,
            })
            .collect())
    })
    .await
}
