//! Checkpoints and their receipts: the console signs its chain head (installation key, seq,
//! head hash, time) with its installation key and sends it to a backend, which countersigns it
//! with its own Ed25519 key and keeps it. The receipt proves the chain passed through that
//! head no later than the backend's `received_at`.
//!
//! Signed bytes (see `docs/audit.md`):
//! - checkpoint: `countersign-checkpoint/1\n` followed by the canonical JSON of
//!   `{at, head_hash, installation_key, seq}`, signed by the installation key;
//! - receipt: `countersign-checkpoint-receipt/1\n` followed by the canonical JSON of the
//!   receipt without `signature`, signed by the backend key.

use crate::bundle::Head;
use crate::key::public_key_hex;
use chrono::{DateTime, Utc};
use countersign_core::audit::{canonical_json, format_at};
pub use countersign_store::receipts::{RECEIPT_FORMAT, Receipt, ReceiptRow};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Prefix of the bytes an installation signs for a checkpoint.
pub const CHECKPOINT_DOMAIN: &str = "countersign-checkpoint/1\n";
/// Prefix of the bytes a backend signs for a receipt.
pub const RECEIPT_DOMAIN: &str = "countersign-checkpoint-receipt/1\n";

/// The body of `POST /v1/audit/checkpoints`: the chain head, signed by the installation key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The installation's Ed25519 public key, hex.
    pub installation_key: String,
    /// Seq of the head event.
    pub seq: u64,
    /// Its hash.
    pub head_hash: String,
    /// When the checkpoint was made (RFC 3339, milliseconds, `Z`).
    pub at: String,
    /// The installation key's signature over [`Checkpoint::signed_bytes`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// What the installation signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let body = canonical_json(&serde_json::json!({
            "installation_key": self.installation_key,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "at": self.at,
        }));
        [CHECKPOINT_DOMAIN.as_bytes(), body.as_bytes()].concat()
    }
}

/// The checkpoint of `head` at `at`, signed by `key`.
pub fn sign_checkpoint(key: &SigningKey, head: &Head, at: DateTime<Utc>) -> Checkpoint {
    let mut c = Checkpoint {
        installation_key: public_key_hex(key),
        seq: head.seq,
        head_hash: head.hash.clone(),
        at: format_at(at),
        signature: String::new(),
    };
    c.signature = hex::encode(key.sign(&c.signed_bytes()).to_bytes());
    c
}

/// What a backend signs for `r`: everything but `signature`.
pub fn receipt_signed_bytes(r: &Receipt) -> Result<Vec<u8>, String> {
    let mut v = serde_json::to_value(r).map_err(|e| e.to_string())?;
    if let Some(m) = v.as_object_mut() {
        m.remove("signature");
    }
    Ok([RECEIPT_DOMAIN.as_bytes(), canonical_json(&v).as_bytes()].concat())
}

/// Countersigns `c` as a backend holding `backend_key` does, received at `received_at`. The
/// reference backend implements the same bytes on its own; this one serves tests and other
/// Rust backends.
pub fn countersign(
    backend_key: &SigningKey,
    c: &Checkpoint,
    received_at: DateTime<Utc>,
) -> Result<Receipt, String> {
    let mut r = Receipt {
        format: RECEIPT_FORMAT.to_string(),
        installation_key: c.installation_key.clone(),
        seq: c.seq,
        head_hash: c.head_hash.clone(),
        at: c.at.clone(),
        installation_signature: c.signature.clone(),
        backend_key: public_key_hex(backend_key),
        received_at: format_at(received_at),
        signature: String::new(),
    };
    r.signature = hex::encode(backend_key.sign(&receipt_signed_bytes(&r)?).to_bytes());
    Ok(r)
}

/// An Ed25519 public key from exactly 64 lowercase hex digits.
pub(crate) fn verifying_key(hex_key: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = hex::decode(hex_key)
        .ok()
        .filter(|_| hex_key.bytes().all(|b| !b.is_ascii_uppercase()))
        .and_then(|b| b.try_into().ok())
        .ok_or("is not 64 lowercase hex digits")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "is not an Ed25519 key".to_string())
}

fn check_signature(key: &VerifyingKey, bytes: &[u8], sig_hex: &str) -> Result<(), String> {
    let sig: [u8; 64] = hex::decode(sig_hex)
        .ok()
        .filter(|_| sig_hex.bytes().all(|b| !b.is_ascii_uppercase()))
        .and_then(|b| b.try_into().ok())
        .ok_or("is not 128 lowercase hex digits")?;
    key.verify_strict(bytes, &Signature::from_bytes(&sig))
        .map_err(|_| "does not match".to_string())
}

/// Checks both signatures of a receipt against the keys it names: the installation's over
/// the checkpoint and the backend's over the receipt. Says nothing about whether those keys
/// are trusted.
pub fn check_receipt_signatures(r: &Receipt) -> Result<(), String> {
    if r.format != RECEIPT_FORMAT {
        return Err(format!(
            "unknown receipt format {:?} (expected {RECEIPT_FORMAT})",
            r.format
        ));
    }
    let installation =
        verifying_key(&r.installation_key).map_err(|e| format!("installation_key {e}"))?;
    let checkpoint = Checkpoint {
        installation_key: r.installation_key.clone(),
        seq: r.seq,
        head_hash: r.head_hash.clone(),
        at: r.at.clone(),
        signature: r.installation_signature.clone(),
    };
    check_signature(
        &installation,
        &checkpoint.signed_bytes(),
        &r.installation_signature,
    )
    .map_err(|e| format!("installation_signature {e}"))?;
    let backend = verifying_key(&r.backend_key).map_err(|e| format!("backend_key {e}"))?;
    check_signature(&backend, &receipt_signed_bytes(r)?, &r.signature)
        .map_err(|e| format!("backend signature {e}"))
}

/// Checks a checkpoint's installation signature (what a backend does before countersigning).
pub fn check_checkpoint_signature(c: &Checkpoint) -> Result<(), String> {
    let key = verifying_key(&c.installation_key).map_err(|e| format!("installation_key {e}"))?;
    check_signature(&key, &c.signed_bytes(), &c.signature).map_err(|e| format!("signature {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_countersigned_checkpoint_verifies_and_any_field_change_breaks_it() -> Result<(), String> {
        let console = SigningKey::from_bytes(&[7; 32]);
        let backend = SigningKey::from_bytes(&[9; 32]);
        let head = Head {
            seq: 42,
            hash: "ab".repeat(32),
        };
        let c = sign_checkpoint(&console, &head, Utc::now());
        check_checkpoint_signature(&c)?;
        let r = countersign(&backend, &c, Utc::now())?;
        check_receipt_signatures(&r)?;
        let mut bad = r.clone();
        bad.seq = 41;
        assert!(check_receipt_signatures(&bad).is_err());
        let mut bad = r.clone();
        bad.received_at = "2020-01-01T00:00:00.000Z".into();
        assert!(
            check_receipt_signatures(&bad)
                .err()
                .is_some_and(|e| e.starts_with("backend signature"))
        );
        let mut bad = r.clone();
        bad.signature = bad.signature.to_uppercase();
        assert!(check_receipt_signatures(&bad).is_err());
        Ok(())
    }
}
