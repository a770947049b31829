//! The `sync_cursors` table: where each backend stream resumes.

use crate::error::Result;
use crate::time::to_ms;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

/// The saved cursor of `stream` (`runs`, `actions`) for a backend, if any.
pub fn get(conn: &Connection, backend_id: &str, stream: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT cursor FROM sync_cursors WHERE backend_id = ?1 AND stream = ?2",
            params![backend_id, stream],
            |r| r.get(0),
        )
        .optional()?)
}

/// Saves a cursor; call it in the same transaction that applies the page it ends.
pub fn set(conn: &Connection, backend_id: &str, stream: &str, cursor: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_cursors (backend_id, stream, cursor, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(backend_id, stream) DO UPDATE SET cursor = excluded.cursor,
             updated_at_ms = excluded.updated_at_ms",
        params![backend_id, stream, cursor, to_ms(Utc::now())],
    )?;
    Ok(())
}
