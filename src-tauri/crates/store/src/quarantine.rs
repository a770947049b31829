//! The `quarantine` table: records a backend sent that could not be accepted.

use crate::error::Result;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

/// A quarantined record: why it was refused and what exactly arrived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "QuarantineRecord")]
pub struct QuarantineRow {
    /// Row id.
    pub id: i64,
    /// Backend it came from.
    pub backend_id: String,
    /// Stream (`runs`, `actions`).
    pub stream: String,
    /// Why it was refused.
    pub reason: String,
    /// The raw bytes as text (lossy), cut to [`PREVIEW_CHARS`].
    pub raw_preview: String,
    /// Size of the raw record in bytes.
    pub raw_len: i64,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// How much of a raw record a listing shows.
pub const PREVIEW_CHARS: usize = 2000;

/// Stores a refused record. The same raw bytes from the same stream are stored once.
pub fn insert(
    conn: &Connection,
    backend_id: &str,
    stream: &str,
    reason: &str,
    raw: &[u8],
) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO quarantine (backend_id, stream, reason, raw, received_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![backend_id, stream, reason, raw, to_ms(Utc::now())],
    )?;
    Ok(())
}

/// Quarantined records, newest first, optionally for one backend.
pub fn list(conn: &Connection, backend_id: Option<&str>, limit: u32) -> Result<Vec<QuarantineRow>> {
    let mut st = conn.prepare(
        "SELECT id, backend_id, stream, reason, raw, received_at_ms FROM quarantine
         WHERE ?1 IS NULL OR backend_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st
        .query_map(params![backend_id, limit], |r| {
            let raw: Vec<u8> = r.get(4)?;
            Ok(QuarantineRow {
                id: r.get(0)?,
                backend_id: r.get(1)?,
                stream: r.get(2)?,
                reason: r.get(3)?,
                raw_preview: String::from_utf8_lossy(&raw)
                    .chars()
                    .take(PREVIEW_CHARS)
                    .collect(),
                raw_len: raw.len() as i64,
                received_at: from_ms(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Number of quarantined records for a backend.
pub fn count(conn: &Connection, backend_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM quarantine WHERE backend_id = ?1",
        [backend_id],
        |r| r.get(0),
    )?)
}
