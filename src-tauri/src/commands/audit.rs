//! The audit trail: browse events, export a signed bundle, verify a bundle offline, and the
//! installation's public key.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_core::audit::AuditEvent;
use countersign_store::{audit, backends, sources};
use serde::Serialize;
use std::path::Path;
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

/// Head of the chain, its verification, and the installation's public key.
#[tauri::command]
pub async fn audit_info(state: State<'_, Arc<AppState>>) -> CmdResult<AuditInfo> {
    let dir = state.key_dir();
    let key = state.signing_key()?;
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
    /// Checkpoints that failed just before the export (the export went ahead without them).
    warnings: Vec<String>,
}

/// Exports a signed bundle for `[from, to)` into a new folder under the app-data exports
/// folder (the export is itself recorded in the trail). First sends the chain head to each
/// native backend for a checkpoint receipt, so the bundle carries fresh receipts; a failed
/// checkpoint is a warning in the result, never a reason not to export.
#[tauri::command]
pub async fn export_audit(
    state: State<'_, Arc<AppState>>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> CmdResult<ExportResult> {
    let warnings = crate::checkpoints::checkpoint_all(&state, false).await;
    let key = state.signing_key()?;
    let out = state.key_dir().join("exports").join(format!(
        "audit-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    with_store(&state, move |s| {
        let manifest = countersign_audit::export_bundle(s, &key, &out, from, to)
            .map_err(|e| CmdError::new("export_failed", e.to_string()))?;
        tracing::info!(dir = %out.display(), "audit bundle exported");
        Ok(ExportResult {
            dir: out.display().to_string(),
            manifest,
            warnings,
        })
    })
    .await
}

/// What Verify found: the report of a bundle that verifies and is signed by a trusted key, or
/// why not (an invalid bundle, or a valid signature by a key this console does not trust).
#[derive(Serialize, ts_rs::TS)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// Verified; the report says whether the chain is anchored.
    Verified {
        /// What the bundle holds and what can be concluded.
        report: Box<countersign_audit::VerifyReport>,
    },
    /// Does not verify, or signer not trusted (`error.kind`).
    Failed {
        /// The first bad record, or the untrusted signer (`signer_key`).
        error: countersign_audit::VerifyError,
        /// The failure in one line.
        message: String,
        /// Fingerprint of `error.signer_key`, to compare before trusting it.
        signer_fingerprint: Option<String>,
    },
}

/// Verifies a bundle folder offline against this console's trusted keys: every hash, the
/// chain, the signature, the receipts, and that the signer is a trusted installation key.
#[tauri::command]
pub async fn verify_audit(
    state: State<'_, Arc<AppState>>,
    dir: String,
) -> CmdResult<VerifyOutcome> {
    let trusted = with_store(&state, |s| {
        Ok(countersign_audit::TrustedKeys::load(s.conn())?)
    })
    .await?;
    tauri::async_runtime::spawn_blocking(move || {
        match countersign_audit::verify_bundle_trusted(Path::new(&dir), &trusted) {
            Ok(report) => VerifyOutcome::Verified {
                report: Box::new(report),
            },
            Err(error) => VerifyOutcome::Failed {
                message: error.to_string(),
                signer_fingerprint: error
                    .signer_key
                    .as_deref()
                    .map(countersign_audit::fingerprint),
                error,
            },
        }
    })
    .await
    .map_err(|e| CmdError::new("internal", e.to_string()))
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
