//! The `local_setting_writes` table: when this console last changed a backend's settings there
//! (its budgets, a workflow's autonomy level). A sync reads the backend's settings as a snapshot;
//! one fetched before such a change may predate it, and must leave the change as recorded
//! rather than put the old value back. The next sync, fetched after the change, carries it.

use crate::error::Result;
use crate::time::to_ms;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use std::collections::HashSet;

/// The subject of a change to a backend's budgets.
pub const BUDGETS: &str = "budgets";

/// The subject of a change to `workflow`'s autonomy level.
pub fn autonomy(workflow: &str) -> String {
    format!("autonomy:{workflow}")
}

/// Records that the console changed `subject` on `backend_id` at `at` (after the backend
/// confirmed it).
pub fn mark(conn: &Connection, backend_id: &str, subject: &str, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO local_setting_writes(backend_id, subject, at_ms) VALUES(?1, ?2, ?3)
         ON CONFLICT(backend_id, subject) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)",
    )?
    .execute(params![backend_id, subject, to_ms(at)])?;
    Ok(())
}

/// The subjects of `backend_id` changed here at or after `fetched_at`: a snapshot fetched at
/// that moment may not show them yet.
pub fn changed_since(
    conn: &Connection,
    backend_id: &str,
    fetched_at: DateTime<Utc>,
) -> Result<HashSet<String>> {
    let mut st = conn.prepare_cached(
        "SELECT subject FROM local_setting_writes WHERE backend_id = ?1 AND at_ms >= ?2",
    )?;
    let rows = st
        .query_map(params![backend_id, to_ms(fetched_at)], |r| r.get(0))?
        .collect::<rusqlite::Result<HashSet<String>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use chrono::Duration;

    #[test]
    fn a_change_hides_from_snapshots_fetched_before_it_only() -> Result<()> {
        let s = Store::open_in_memory()?;
        crate::backends::upsert_with_id(
            s.conn(),
            "b1",
            "B1",
            "http://127.0.0.1:1",
            "native",
            true,
        )?;
        let t = Utc::now();
        mark(s.conn(), "b1", BUDGETS, t)?;
        mark(
            s.conn(),
            "b1",
            &autonomy("refunds"),
            t - Duration::seconds(10),
        )?;
        let before = changed_since(s.conn(), "b1", t - Duration::seconds(1))?;
        assert_eq!(before, HashSet::from([BUDGETS.to_string()]));
        assert!(changed_since(s.conn(), "b1", t + Duration::milliseconds(1))?.is_empty());
        // An older mark never moves a newer one back.
        mark(s.conn(), "b1", BUDGETS, t - Duration::seconds(60))?;
        assert!(changed_since(s.conn(), "b1", t)?.contains(BUDGETS));
        assert!(changed_since(s.conn(), "other", t - Duration::days(1))?.is_empty());
        Ok(())
    }
}
