//! Trusted keys: the installation and backend keys the app's Verify accepts. An admin
//! describes a pasted key (its fingerprint, to compare out of band), then trusts it with a
//! label, or removes one; this installation's own key stays trusted.

use crate::error::{CmdError, CmdResult};
use crate::state::{AppState, with_store};
use countersign_store::trusted_keys::{self, KeyRole, TrustedKey};
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

/// A pasted public key as the admin should compare it before trusting it.
#[derive(Serialize, ts_rs::TS)]
pub struct KeyDescription {
    /// The key, 64 lowercase hex digits.
    public_key: String,
    /// Its fingerprint, to compare with the key's owner over a channel you trust.
    fingerprint: String,
    /// The trusted key entry, when it is trusted already.
    trusted: Option<TrustedKey>,
}

/// Who makes a change from this console, for the trail.
fn actor() -> String {
    countersign_connect::console_reviewer("trusted keys").subject
}

/// Every trusted key: installation keys first, then by label.
#[tauri::command]
pub async fn list_trusted_keys(state: State<'_, Arc<AppState>>) -> CmdResult<Vec<TrustedKey>> {
    with_store(&state, |s| Ok(trusted_keys::list(s.conn())?)).await
}

/// Normalises a pasted key and gives its fingerprint (`invalid_input` unless 64 hex digits).
#[tauri::command]
pub async fn describe_key(
    state: State<'_, Arc<AppState>>,
    public_key: String,
) -> CmdResult<KeyDescription> {
    let key = trusted_keys::normalize_key(&public_key)?;
    with_store(&state, move |s| {
        Ok(KeyDescription {
            fingerprint: countersign_audit::fingerprint(&key),
            trusted: trusted_keys::get(s.conn(), &key)?,
            public_key: key,
        })
    })
    .await
}

/// Trusts a key in `role` under `label` (recorded in the trail).
#[tauri::command]
pub async fn trust_key(
    state: State<'_, Arc<AppState>>,
    public_key: String,
    role: KeyRole,
    label: String,
) -> CmdResult<TrustedKey> {
    let who = actor();
    with_store(&state, move |s| {
        Ok(crate::trust::import(s, &public_key, role, &label, &who)?)
    })
    .await
}

/// Stops trusting a key (recorded in the trail); `not_found` if it was not trusted. Refuses
/// this installation's own key.
#[tauri::command]
pub async fn remove_trusted_key(
    state: State<'_, Arc<AppState>>,
    public_key: String,
) -> CmdResult<()> {
    let who = actor();
    with_store(&state, move |s| {
        if crate::trust::remove(s, &public_key, &who)? {
            Ok(())
        } else {
            Err(CmdError::new("not_found", "that key is not trusted"))
        }
    })
    .await
}
