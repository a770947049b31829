//! The `workflow_autonomy` table: the autonomy level per (backend, workflow), as last pushed to
//! or read from a backend that enforces it, or kept here only (advisory) for a backend that
//! cannot. A workflow without a row is at the default level.

use crate::error::Result;
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

/// Replaces what an enforcing backend reported at sync: its levels as listed, and workflows
/// it no longer lists back to the default (their rows removed).
pub fn replace_enforced(
    conn: &Connection,
    backend_id: &str,
    items: &[WorkflowAutonomy],
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "DELETE FROM workflow_autonomy WHERE backend_id = ?1",
        params![backend_id],
    )?;
    for w in items {
        upsert(conn, backend_id, w, true, now)?;
    }
    Ok(())
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
        replace_enforced(
            c,
            "b1",
            &[level("refunds", AutonomyLevel::ReadOnly, 3)],
            now,
        )?;
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
}
