//! The `checkpoint_receipts` table: backends' countersignatures over the console's audit chain
//! head, kept as received and never changed or deleted. The signatures are checked before a
//! receipt is stored (by the sync crate) and again when a bundle is verified (by the audit
//! crate); this module only keeps them.

use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::audit::canonical_json;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A receipt's `format`.
pub const RECEIPT_FORMAT: &str = "countersign-checkpoint-receipt/1";

/// A backend's receipt for a checkpoint: the console's chain head (signed by the installation
/// key) countersigned by the backend's Ed25519 key. The wire shape of
/// `POST /v1/audit/checkpoints` and of a `receipts.jsonl` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "CheckpointReceipt")]
pub struct Receipt {
    /// [`RECEIPT_FORMAT`].
    pub format: String,
    /// The console installation's Ed25519 public key, hex.
    pub installation_key: String,
    /// Seq of the chain head checkpointed.
    pub seq: u64,
    /// Hash of that event.
    pub head_hash: String,
    /// When the console made the checkpoint (RFC 3339, milliseconds, `Z`).
    pub at: String,
    /// The installation key's signature over the checkpoint, hex.
    pub installation_signature: String,
    /// The backend's Ed25519 public key, hex.
    pub backend_key: String,
    /// When the backend received it, by the backend's clock (RFC 3339, milliseconds, `Z`).
    pub received_at: String,
    /// The backend's signature over everything above, hex.
    pub signature: String,
}

impl Receipt {
    /// The receipt as one line of canonical JSON (no newline): its `receipts.jsonl` form.
    pub fn to_line(&self) -> Result<String> {
        Ok(canonical_json(&serde_json::to_value(self)?))
    }
}

/// A stored receipt with the backend it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "StoredReceipt")]
pub struct ReceiptRow {
    /// Console-side id of the backend that countersigned (it may since have been removed).
    pub backend_id: String,
    /// The receipt.
    pub receipt: Receipt,
}

fn received_ms(r: &Receipt) -> Result<i64> {
    DateTime::parse_from_rfc3339(&r.received_at)
        .map(|t| to_ms(t.with_timezone(&Utc)))
        .map_err(|e| StoreError::Invalid(format!("receipt received_at: {e}")))
}

/// Keeps a receipt from `backend_id`. Returns `false` when the same receipt is already kept;
/// a different receipt for the same backend key, installation key and seq is refused (the
/// backend signs each seq once).
pub fn add(conn: &Connection, backend_id: &str, receipt: &Receipt) -> Result<bool> {
    let body = receipt.to_line()?;
    let existing: Option<String> = conn
        .query_row(
            "SELECT body FROM checkpoint_receipts
             WHERE backend_key = ?1 AND installation_key = ?2 AND seq = ?3",
            params![
                receipt.backend_key,
                receipt.installation_key,
                receipt.seq as i64
            ],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(b) if b == body => return Ok(false),
        Some(_) => {
            return Err(StoreError::Invalid(format!(
                "a different receipt for seq {} from this backend key is already kept",
                receipt.seq
            )));
        }
        None => {}
    }
    conn.execute(
        "INSERT INTO checkpoint_receipts (backend_id, installation_key, seq, head_hash,
             backend_key, received_at_ms, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            backend_id,
            receipt.installation_key,
            receipt.seq as i64,
            receipt.head_hash,
            receipt.backend_key,
            received_ms(receipt)?,
            body
        ],
    )?;
    Ok(true)
}

fn rows(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<ReceiptRow>> {
    let mut st = conn.prepare(sql)?;
    let raw = st
        .query_map(p, |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(|(backend_id, body)| {
            Ok(ReceiptRow {
                backend_id,
                receipt: serde_json::from_str(&body)?,
            })
        })
        .collect()
}

/// The receipts of `installation_key` for seqs in `[from_seq, to_seq]`, by seq then backend
/// key: what an export of that stretch of the chain carries.
pub fn in_range(
    conn: &Connection,
    installation_key: &str,
    from_seq: u64,
    to_seq: u64,
) -> Result<Vec<ReceiptRow>> {
    rows(
        conn,
        "SELECT backend_id, body FROM checkpoint_receipts
         WHERE installation_key = ?1 AND seq >= ?2 AND seq <= ?3
         ORDER BY seq, backend_key",
        params![installation_key, from_seq as i64, to_seq as i64],
    )
}

/// The newest receipts, newest first, at most `limit` (capped at 10 000); for the audit view.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<ReceiptRow>> {
    rows(
        conn,
        "SELECT backend_id, body FROM checkpoint_receipts ORDER BY seq DESC, id DESC LIMIT ?1",
        params![limit.min(10_000)],
    )
}

/// The latest receipt `backend_id` gave for `installation_key`, if any.
pub fn latest(
    conn: &Connection,
    backend_id: &str,
    installation_key: &str,
) -> Result<Option<ReceiptRow>> {
    Ok(rows(
        conn,
        "SELECT backend_id, body FROM checkpoint_receipts
         WHERE backend_id = ?1 AND installation_key = ?2 ORDER BY seq DESC LIMIT 1",
        params![backend_id, installation_key],
    )?
    .into_iter()
    .next())
}

/// When `backend_id` last gave a receipt (by its clock), if ever.
pub fn last_received_at(conn: &Connection, backend_id: &str) -> Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = conn.query_row(
        "SELECT max(received_at_ms) FROM checkpoint_receipts WHERE backend_id = ?1",
        [backend_id],
        |r| r.get(0),
    )?;
    Ok(ms.map(from_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn receipt(seq: u64, sig: &str) -> Receipt {
        Receipt {
            format: RECEIPT_FORMAT.into(),
            installation_key: "aa".repeat(32),
            seq,
            head_hash: format!("{seq:064x}"),
            at: "2026-11-01T10:00:00.000Z".into(),
            installation_signature: "11".repeat(64),
            backend_key: "bb".repeat(32),
            received_at: "2026-11-01T10:00:01.000Z".into(),
            signature: sig.repeat(64),
        }
    }

    #[test]
    fn receipts_are_kept_once_and_never_changed() -> Result<()> {
        let store = Store::open_in_memory()?;
        let c = store.conn();
        assert!(add(c, "be-1", &receipt(3, "22"))?);
        assert!(!add(c, "be-1", &receipt(3, "22"))?);
        assert!(add(c, "be-1", &receipt(3, "33")).is_err());
        assert!(add(c, "be-1", &receipt(7, "22"))?);
        let got = in_range(c, &"aa".repeat(32), 1, 5)?;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].receipt, receipt(3, "22"));
        assert_eq!(
            latest(c, "be-1", &"aa".repeat(32))?.map(|r| r.receipt.seq),
            Some(7)
        );
        assert_eq!(list(c, 10)?.len(), 2);
        assert!(last_received_at(c, "be-1")?.is_some());
        assert!(c.execute("DELETE FROM checkpoint_receipts", []).is_err());
        assert!(
            c.execute("UPDATE checkpoint_receipts SET seq = 9", [])
                .is_err()
        );
        Ok(())
    }
}
