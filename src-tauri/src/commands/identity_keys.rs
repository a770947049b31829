//! The identity keys of imported trace files and the OTLP receiver: which metadata keys name a
//! run's user, tenant and session (`countersign_core::IdentityKeys`, the console setting
//! `identity_keys`). Trace-store and LangGraph backends keep theirs in their backend config,
//! edited with `set_backend_config`.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_core::IdentityKeys;
use countersign_otel::identity_keys;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// The identity keys in force for imports and the receiver, and whether the user set them.
#[derive(Serialize, ts_rs::TS)]
pub struct IdentityKeysView {
    keys: IdentityKeys,
    /// The user saved these keys (else they are the defaults).
    custom: bool,
}

/// The identity keys imports and the receiver read runs with.
#[tauri::command]
pub async fn get_identity_keys(state: State<'_, Arc<AppState>>) -> CmdResult<IdentityKeysView> {
    with_store(&state, |s| {
        let (keys, custom) = identity_keys::load(s.conn())?;
        Ok(IdentityKeysView { keys, custom })
    })
    .await
}

/// Replaces the identity keys of imports and the receiver (checked: no empty, padded or
/// repeated key, at most 16 a list). Applies to traces imported or received from now on;
/// recorded in the audit trail (`identity_keys_changed`, before → after) when they change.
#[tauri::command]
pub async fn set_identity_keys(
    state: State<'_, Arc<AppState>>,
    keys: serde_json::Value,
) -> CmdResult<IdentityKeysView> {
    let keys = IdentityKeys::from_json(&keys).map_err(|m| CmdError::new("invalid_input", m))?;
    with_store(&state, move |s| {
        save_identity_keys(s, &keys)?;
        Ok(IdentityKeysView { keys, custom: true })
    })
    .await
}

/// Saves the keys and, when they changed, records it in the audit trail
/// (`identity_keys_changed`, before → after; `before_is_default` when none had been set).
pub(crate) fn save_identity_keys(
    s: &mut countersign_store::Store,
    keys: &IdentityKeys,
) -> CmdResult<()> {
    let tx = s.write()?;
    let (before, custom) = identity_keys::load(&tx)?;
    identity_keys::save(&tx, keys)?;
    if !custom || before != *keys {
        countersign_store::audit::append(
            &tx,
            "console",
            countersign_core::audit::kinds::IDENTITY_KEYS_CHANGED,
            countersign_store::settings::IDENTITY_KEYS,
            serde_json::json!({
                "before": before,
                "before_is_default": !custom,
                "after": keys,
            }),
            chrono::Utc::now(),
        )?;
    }
    tx.commit().map_err(countersign_store::StoreError::from)?;
    Ok(())
}
