//! The `sources` table: knowledge sources each backend reports.

use crate::error::Result;
use countersign_core::KnowledgeSource;
use rusqlite::{Connection, params};

/// Replaces a backend's sources with what it reported.
pub fn replace_all(conn: &Connection, backend_id: &str, sources: &[KnowledgeSource]) -> Result<()> {
    conn.execute("DELETE FROM sources WHERE backend_id = ?1", [backend_id])?;
    let mut st = conn
        .prepare_cached("INSERT INTO sources (backend_id, source_id, body) VALUES (?1, ?2, ?3)")?;
    for s in sources {
        st.execute(params![backend_id, s.source_id, serde_json::to_string(s)?])?;
    }
    Ok(())
}

/// Every source, as (backend id, source).
pub fn list(conn: &Connection) -> Result<Vec<(String, KnowledgeSource)>> {
    let mut st =
        conn.prepare("SELECT backend_id, body FROM sources ORDER BY backend_id, source_id")?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(b, body)| Ok((b, serde_json::from_str(&body)?)))
        .collect()
}
