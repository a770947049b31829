//! Anchoring the audit chain outside the desktop: the console's chain head, signed by the
//! installation key, is sent to a native backend (`POST /v1/audit/checkpoints`), which
//! countersigns it with its own key. The receipt is checked and kept in the store; exports
//! carry it. The first backend key seen for a backend is pinned as a trusted backend key
//! (recorded in the trail); a later receipt under another key is refused.

use crate::client::Client;
use crate::error::SyncError;
use crate::outbox::blocking;
use chrono::Utc;
use countersign_audit::{Head, Receipt, SigningKey, check_receipt_signatures, public_key_hex};
use countersign_store::trusted_keys::{self, KeyRole, KeySource, NewTrustedKey};
use countersign_store::{StoreError, audit, backends, receipts};
use reqwest::Method;
use serde::Serialize;
use std::path::Path;

/// Actor of the trail event that pins a backend key.
pub const PIN_ACTOR: &str = "sync";

/// What [`checkpoint_backend`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckpointOutcome {
    /// The backend countersigned the head; the receipt is kept.
    Receipted {
        /// The receipt.
        receipt: Receipt,
        /// This was the backend's first receipt: its key is now pinned as trusted.
        pinned: bool,
    },
    /// The backend already countersigned the current head; nothing was sent.
    AlreadyReceipted {
        /// The kept receipt.
        receipt: Receipt,
    },
    /// The trail is empty: nothing to checkpoint.
    Empty,
    /// The backend does not offer checkpoints (404/405): an older or non-native backend.
    Unsupported,
}

/// Sends `head`, signed by `key`, to the backend and returns its receipt once it checks out:
/// both signatures valid, issued for this installation key, this seq and this hash. The
/// receipt's backend key is not judged here (see [`checkpoint_backend`]).
pub async fn send_checkpoint(
    client: &Client,
    key: &SigningKey,
    head: &Head,
) -> Result<Receipt, SyncError> {
    let c = countersign_audit::sign_checkpoint(key, head, Utc::now());
    let body = serde_json::to_vec(&c).map_err(|e| SyncError::Protocol(e.to_string()))?;
    let bytes = client
        .send(Method::POST, "/v1/audit/checkpoints", &[], Some(&body))
        .await?;
    let r: Receipt = serde_json::from_slice(&bytes)
        .map_err(|e| SyncError::Protocol(format!("checkpoint receipt: {e}")))?;
    check_receipt_signatures(&r)
        .map_err(|e| SyncError::Protocol(format!("checkpoint receipt: {e}")))?;
    if r.installation_key != c.installation_key || r.seq != c.seq || r.head_hash != c.head_hash {
        return Err(SyncError::Protocol(format!(
            "checkpoint receipt is for seq {} hash {}, not the seq {} hash {} sent",
            r.seq, r.head_hash, c.seq, c.head_hash
        )));
    }
    Ok(r)
}

/// Checkpoints the store's current audit head with backend `backend_id` (a native backend
/// reached through `client`): skipped when that backend already countersigned this head; else
/// sent, checked ([`send_checkpoint`]) and kept. On the backend's first receipt its key is
/// pinned as a trusted backend key (a `trusted_key_added` event by [`PIN_ACTOR`]); a receipt
/// under any other key than the pinned one is refused and not kept. Call it before each
/// export and at least hourly while connected.
pub async fn checkpoint_backend(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    key: &SigningKey,
) -> Result<CheckpointOutcome, SyncError> {
    let installation = public_key_hex(key);
    let (bid, ik) = (backend_id.to_string(), installation.clone());
    let state = blocking(store_path, move |s| {
        let head = audit::head(s.conn())?;
        let latest = receipts::latest(s.conn(), &bid, &ik)?;
        Ok((head, latest))
    })
    .await?;
    let (Some(head), latest) = state else {
        return Ok(CheckpointOutcome::Empty);
    };
    if let Some(l) = latest
        && l.receipt.seq == head.seq
        && l.receipt.head_hash == head.hash
    {
        return Ok(CheckpointOutcome::AlreadyReceipted { receipt: l.receipt });
    }
    let head = Head {
        seq: head.seq,
        hash: head.hash,
    };
    let receipt = match send_checkpoint(client, key, &head).await {
        Ok(r) => r,
        Err(SyncError::Status {
            status: 404 | 405, ..
        }) => return Ok(CheckpointOutcome::Unsupported),
        Err(e) => return Err(e),
    };
    let (bid, r) = (backend_id.to_string(), receipt.clone());
    let pinned = blocking(store_path, move |s| {
        let tx = s.write()?;
        let pinned_key = trusted_keys::pinned_for_backend(&tx, &bid)?;
        // First contact: this backend never gave a receipt before.
        let first = receipts::last_received_at(&tx, &bid)?.is_none();
        let mut pinned = false;
        match pinned_key {
            Some(p) if p.public_key != r.backend_key => {
                return Err(SyncError::Protocol(format!(
                    "backend audit key changed: receipts were signed by {} (pinned), this one \
                     by {}; not kept",
                    p.fingerprint,
                    countersign_audit::fingerprint(&r.backend_key)
                )));
            }
            Some(_) => {}
            None if first => {
                let label = backends::get(&tx, &bid)?
                    .map(|b| b.name)
                    .unwrap_or_else(|| bid.clone());
                trusted_keys::add(
                    &tx,
                    &NewTrustedKey {
                        public_key: &r.backend_key,
                        role: KeyRole::Backend,
                        label: &label,
                        source: KeySource::Pinned,
                        backend_id: Some(&bid),
                    },
                    PIN_ACTOR,
                    Utc::now(),
                )?;
                pinned = true;
            }
            // The admin removed the pinned key: receipts are kept, trust is theirs to give.
            None => {}
        }
        receipts::add(&tx, &bid, &r)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(pinned)
    })
    .await?;
    Ok(CheckpointOutcome::Receipted { receipt, pinned })
}
