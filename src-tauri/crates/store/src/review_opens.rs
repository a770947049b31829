//! The `review_opens` table: when each reviewer last opened each action for review. Written
//! by the app when the review panel opens; read when that reviewer decides, so the time to
//! decide never comes from the caller.

use crate::error::Result;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Records that `actor` opened `backend_id`/`action_id` at `at` (replacing an earlier
/// opening: the time to decide counts from the latest one).
pub fn record(
    conn: &Connection,
    backend_id: &str,
    action_id: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO review_opens (backend_id, action_id, actor, opened_at_ms)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(backend_id, action_id, actor)
             DO UPDATE SET opened_at_ms = excluded.opened_at_ms",
        params![backend_id, action_id, actor, to_ms(at)],
    )?;
    Ok(())
}

/// When `actor` last opened `backend_id`/`action_id`, if ever.
pub fn get(
    conn: &Connection,
    backend_id: &str,
    action_id: &str,
    actor: &str,
) -> Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = conn
        .query_row(
            "SELECT opened_at_ms FROM review_opens
             WHERE backend_id = ?1 AND action_id = ?2 AND actor = ?3",
            params![backend_id, action_id, actor],
            |r| r.get(0),
        )
        .optional()?;
    Ok(ms.map(from_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, backends};

    #[test]
    fn the_latest_opening_per_reviewer_is_kept() -> Result<()> {
        let store = Store::open_in_memory()?;
        let b = backends::upsert(
            store.conn(),
            "b",
            "http://localhost:1",
            "countersign",
            false,
        )?;
        let id = b.backend_id.as_str();
        let t0: DateTime<Utc> = from_ms(1_000_000);
        let t1: DateTime<Utc> = from_ms(2_000_000);
        assert_eq!(get(store.conn(), id, "a1", "alice")?, None);
        record(store.conn(), id, "a1", "alice", t0)?;
        record(store.conn(), id, "a1", "bob", t1)?;
        assert_eq!(get(store.conn(), id, "a1", "alice")?, Some(t0));
        record(store.conn(), id, "a1", "alice", t1)?;
        assert_eq!(get(store.conn(), id, "a1", "alice")?, Some(t1));
        assert_eq!(get(store.conn(), id, "a2", "alice")?, None);
        Ok(())
    }
}
