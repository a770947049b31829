//! The `workflow_autonomy` table: the autonomy level per (backend, workflow), as last pushed to
//! or read from a backend that enforces it, or kept here only (advisory) for a backend that
//! cannot. A workflow without a row is at the default level.

use crate::error::Result;
use crate::setting_writes;
use crate::time::to_ms;
use chrono::{DateTime, Utc};
use countersign_core::{AutonomyLevel, WorkflowAutonomy};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A workflow's level on one backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AutonomyRow {
    /// Backend.
    pub backend_id: String,
    /// The level as the backend holds it (or, advisory, as set here).
    pub state: WorkflowAutonomy,
    /// Whether the backend enforces it; `false`: advisory, stored in this console only.
    pub enforced: bool,
}

fn time(t: Option<String>) -> Option<DateTime<Utc>> {
    t.and_then(|t| t.parse().ok())
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AutonomyRow> {
    let level: String = r.get(2)?;
    Ok(AutonomyRow {
        backend_id: r.get(0)?,
        enforced: r.get(4)?,
        state: WorkflowAutonomy {
            workflow: r.get(1)?,
            level: AutonomyLevel::parse(&level).unwrap_or_default(),
            sample_percent: r.get(3)?,
            set_by: r.get(5)?,
            requested_by: None,
            justification: r.get(6)?,
            updated_at: time(r.get(7)?),
            refused_writes: r.get::<_, i64>(8)?.max(0) as u64,
            last_refused_at: time(r.get(9)?),
        },
    })
}

const COLUMNS: &str = "backend_id, workflow, level, sample_percent, enforced, set_by, \
                       justification, updated_at, refused_writes, last_refused_at";

/// Stores one workflow's level on a backend (replacing what was there).
pub fn upsert(
    conn: &Connection,
    backend_id: &str,
    w: &WorkflowAutonomy,
    enforced: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO workflow_autonomy(backend_id, workflow, level, sample_percent, enforced,
             set_by, justification, updated_at, refused_writes, last_refused_at, seen_at_ms)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT(backend_id, workflow) DO UPDATE SET level = excluded.level,
             sample_percent = excluded.sample_percent, enforced = excluded.enforced,
             set_by = excluded.set_by, justification = excluded.justification,
             updated_at = excluded.updated_at, refused_writes = excluded.refused_writes,
             last_refused_at = excluded.last_refused_at, seen_at_ms = excluded.seen_at_ms",
    )?
    .execute(params![
        backend_id,
        w.workflow,
        w.level.as_str(),
        w.sample_percent,
        enforced,
        w.set_by,
        w.justification,
        w.updated_at.map(|t| t.to_rfc3339()),
        w.refused_writes as i64,
        w.last_refused_at.map(|t| t.to_rfc3339()),
        to_ms(now),
    ])?;
    Ok(())
}

/// Replaces what an enforcing backend reported at a sync that read its levels at
/// `fetched_at`: its levels as listed, and workflows it no longer lists back to the default
/// (their rows removed). A workflow whose level this console set at or after `fetched_at` keeps
/// its row, since the snapshot may predate that change. Returns whether any stored level changed.
pub fn replace_enforced(
    conn: &Connection,
    backend_id: &str,
    items: &[WorkflowAutonomy],
    fetched_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let fresh = setting_writes::changed_since(conn, backend_id, fetched_at)?;
    let kept = |w: &str| fresh.contains(&setting_writes::autonomy(w));
    let before = of_backend(conn, backend_id)?;
    for row in &before {
        let w = row.state.workflow.as_str();
        if !kept(w) && !items.iter().any(|i| i.workflow == w) {
            conn.prepare_cached(
                "DELETE FROM workflow_autonomy WHERE backend_id = ?1 AND workflow = ?2",
            )?
            .execute(params![backend_id, w])?;
        }
    }
    for w in items.iter().filter(|w| !kept(&w.workflow)) {
        upsert(conn, backend_id, w, true, now)?;
    }
    Ok(of_backend(conn, backend_id)? != before)
}

/// Stores a level this console just set on a backend that enforces it (after the backend
/// confirmed it), and marks the change so a sync snapshot fetched before it leaves it alone.
pub fn set_here(
    conn: &Connection,
    backend_id: &str,
    w: &WorkflowAutonomy,
    enforced: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    upsert(conn, backend_id, w, enforced, now)?;
    setting_writes::mark(
        conn,
        backend_id,
        &setting_writes::autonomy(&w.workflow),
        now,
    )
}

/// A backend's stored levels, by workflow.
fn of_backend(conn: &Connection, backend_id: &str) -> Result<Vec<AutonomyRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM workflow_autonomy WHERE backend_id = ?1 ORDER BY workflow"
    ))?;
    let rows = st
        .query_map([backend_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Workflow `w`'s level on `backend_id`, if one is stored.
pub fn get(conn: &Connection, backend_id: &str, w: &str) -> Result<Option<AutonomyRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM workflow_autonomy WHERE backend_id = ?1 AND workflow = ?2"
        ))?
        .query_row(params![backend_id, w], from_row)
        .optional()?)
}

/// Every stored level, by backend then workflow.
pub fn list(conn: &Connection) -> Result<Vec<AutonomyRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM workflow_autonomy ORDER BY backend_id, workflow"
    ))?;
    let rows = st
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn store_with_backend() -> Result<Store> {
        let s = Store::open_in_memory()?;
        crate::backends::upsert_with_id(
            s.conn(),
            "b1",
            "B",
            "http://127.0.0.1:1",
            "countersign",
            false,
        )?;
        Ok(s)
    }

    fn level(w: &str, level: AutonomyLevel, refused: u64) -> WorkflowAutonomy {
        WorkflowAutonomy {
            workflow: w.into(),
            level,
            refused_writes: refused,
            set_by: Some("demo-admin".into()),
            ..Default::default()
        }
    }

    #[test]
    fn levels_are_stored_replaced_at_sync_and_kept_advisory()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let s = store_with_backend()?;
        let now = Utc::now();
        let c = s.conn();
        assert_eq!(get(c, "b1", "refunds")?, None);
        upsert(
            c,
            "b1",
            &level("triage", AutonomyLevel::Draft, 0),
            false,
            now,
        )?;
        let changed = replace_enforced(
            c,
            "b1",
            &[level("refunds", AutonomyLevel::ReadOnly, 3)],
            now,
            now,
        )?;
        assert!(changed);
        assert!(
            !replace_enforced(
                c,
                "b1",
                &[level("refunds", AutonomyLevel::ReadOnly, 3)],
                now,
                now
            )?,
            "the same snapshot again changes nothing"
        );
        let all = list(c)?;
        assert_eq!(all.len(), 1, "sync replaced the backend's rows: {all:?}");
        let r = get(c, "b1", "refunds")?.ok_or("row")?;
        assert!(r.enforced);
        assert_eq!(r.state.level, AutonomyLevel::ReadOnly);
        assert_eq!(r.state.refused_writes, 3);
        upsert(
            c,
            "b1",
            &level("refunds", AutonomyLevel::Draft, 0),
            false,
            now,
        )?;
        let r = get(c, "b1", "refunds")?.ok_or("row")?;
        assert!(!r.enforced);
        assert_eq!(r.state.level, AutonomyLevel::Draft);
        c.execute("DELETE FROM backends WHERE backend_id = 'b1'", [])?;
        assert!(list(c)?.is_empty(), "rows go with their backend");
        Ok(())
    }

    #[test]
    fn a_snapshot_fetched_before_a_level_was_set_here_does_not_undo_it()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let s = store_with_backend()?;
        let c = s.conn();
        let fetched = Utc::now();
        // The backend held no row for refunds when the sync read it; then an admin set it here.
        let set_at = fetched + chrono::Duration::milliseconds(5);
        set_here(
            c,
            "b1",
            &level("refunds", AutonomyLevel::ReadOnly, 0),
            true,
            set_at,
        )?;
        let stale = [level("triage", AutonomyLevel::Draft, 1)];
        assert!(replace_enforced(c, "b1", &stale, fetched, set_at)?);
        let r = get(c, "b1", "refunds")?.ok_or("refunds kept")?;
        assert_eq!(r.state.level, AutonomyLevel::ReadOnly);
        assert!(
            get(c, "b1", "triage")?.is_some(),
            "the rest of the snapshot applies"
        );
        // A snapshot fetched after the change is authoritative again.
        let later = set_at + chrono::Duration::milliseconds(1);
        let fresh = [level("refunds", AutonomyLevel::ReadOnly, 2)];
        replace_enforced(c, "b1", &fresh, later, later)?;
        assert_eq!(
            get(c, "b1", "refunds")?.ok_or("row")?.state.refused_writes,
            2
        );
        assert!(
            get(c, "b1", "triage")?.is_none(),
            "no longer listed: back to the default"
        );
        // And one that leaves refunds out removes it.
        replace_enforced(c, "b1", &[], later, later)?;
        assert!(list(c)?.is_empty());
        Ok(())
    }
}
