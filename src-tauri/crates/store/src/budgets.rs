//! The `budgets` table: the caps each backend reports in force.

use crate::error::Result;
use countersign_core::Budget;
use rusqlite::{Connection, params};

/// Replaces a backend's caps with what it reported.
pub fn replace_all(conn: &Connection, backend_id: &str, budgets: &[Budget]) -> Result<()> {
    conn.execute("DELETE FROM budgets WHERE backend_id = ?1", [backend_id])?;
    let mut st = conn
        .prepare_cached("INSERT INTO budgets (backend_id, budget_id, body) VALUES (?1, ?2, ?3)")?;
    for b in budgets {
        st.execute(params![backend_id, b.budget_id, serde_json::to_string(b)?])?;
    }
    Ok(())
}

/// Every cap, as (backend id, budget).
pub fn list(conn: &Connection) -> Result<Vec<(String, Budget)>> {
    let mut st =
        conn.prepare("SELECT backend_id, body FROM budgets ORDER BY backend_id, budget_id")?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(b, body)| Ok((b, serde_json::from_str(&body)?)))
        .collect()
}
