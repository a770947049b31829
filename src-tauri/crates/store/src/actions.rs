//! The `actions` table: pending high-risk writes and their state, per backend.

use crate::error::Result;
use crate::runs::Applied;
use crate::time::to_ms;
use countersign_core::PendingAction;
use rusqlite::{Connection, OptionalExtension, params};

/// Stores an action, replacing an earlier revision; a stale revision is ignored.
pub fn upsert(conn: &Connection, backend_id: &str, a: &PendingAction) -> Result<Applied> {
    upsert_with(conn, backend_id, a, false)
}

/// [`upsert`] that also replaces the stored record of the same revision: for a connector that
/// rebuilds its records after its settings changed (the backend's revision did not move, what
/// the console makes of it did).
pub fn upsert_rebuilt(conn: &Connection, backend_id: &str, a: &PendingAction) -> Result<Applied> {
    upsert_with(conn, backend_id, a, true)
}

fn upsert_with(
    conn: &Connection,
    backend_id: &str,
    a: &PendingAction,
    same_revision: bool,
) -> Result<Applied> {
    let existed: Option<i64> = conn
        .prepare_cached("SELECT revision FROM actions WHERE backend_id = ?1 AND action_id = ?2")?
        .query_row(params![backend_id, a.action_id], |r| r.get(0))
        .optional()?;
    let changed = conn
        .prepare_cached(
            "INSERT INTO actions (backend_id, action_id, revision, run_id, status, kind, risk,
                 requested_at_ms, expires_at_ms, updated_at_ms, body, rollback_supported,
                 workflow, auto_level, decided_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 coalesce((SELECT workflow FROM runs WHERE backend_id = ?1 AND run_id = ?4), ''),
                 ?14, ?15)
             ON CONFLICT(backend_id, action_id) DO UPDATE SET revision = excluded.revision,
                 run_id = excluded.run_id, status = excluded.status, kind = excluded.kind,
                 risk = excluded.risk, requested_at_ms = excluded.requested_at_ms,
                 expires_at_ms = excluded.expires_at_ms, updated_at_ms = excluded.updated_at_ms,
                 body = excluded.body, rollback_supported = excluded.rollback_supported,
                 auto_level = excluded.auto_level, decided_at_ms = excluded.decided_at_ms,
                 workflow = CASE WHEN excluded.workflow <> '' THEN excluded.workflow
                                 ELSE actions.workflow END
             WHERE excluded.revision > actions.revision
                OR (excluded.revision = actions.revision
                    AND (excluded.updated_at_ms > actions.updated_at_ms
                         OR (?13 AND excluded.body IS NOT actions.body)))",
        )?
        .execute(params![
            backend_id,
            a.action_id,
            a.revision as i64,
            a.run_id,
            a.status.as_str(),
            a.kind,
            serde_json::to_value(a.risk)?.as_str().unwrap_or("high"),
            to_ms(a.requested_at),
            to_ms(a.expires_at),
            to_ms(a.updated_at),
            serde_json::to_string(a)?,
            a.rollback_supported,
            same_revision,
            auto_level(a),
            // When decided; a write let through by its level always has a time.
            a.decided_at
                .or((!auto_level(a).is_empty()).then_some(a.requested_at))
                .map(to_ms),
        ])?;
    Ok(match (existed, changed) {
        (_, 0) => Applied::Unchanged,
        (None, _) => Applied::Inserted,
        (Some(_), _) => Applied::Updated,
    })
}

/// The autonomy level that let `a` through without review (`decided_by` is
/// `autonomy:<level>`), or '' when a person decided it or nobody did yet.
pub fn auto_level(a: &PendingAction) -> &str {
    a.decided_by
        .as_deref()
        .and_then(|by| by.strip_prefix("autonomy:"))
        .unwrap_or("")
}

fn bodies(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<(String, PendingAction)>> {
    let mut st = conn.prepare(sql)?;
    let rows = st
        .query_map(p, |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(b, body)| Ok((b, serde_json::from_str(&body)?)))
        .collect()
}

/// Actions with a stored status (all when `None`), most urgent first: pending by deadline,
/// then the rest newest first. Returns (backend id, action).
pub fn list(conn: &Connection, status: Option<&str>) -> Result<Vec<(String, PendingAction)>> {
    bodies(
        conn,
        "SELECT backend_id, body FROM actions WHERE ?1 IS NULL OR status = ?1
         ORDER BY status <> 'pending', CASE WHEN status = 'pending' THEN expires_at_ms END,
                  requested_at_ms DESC LIMIT 5000",
        params![status],
    )
}

/// Every action requested in `[from, to)` (either end open when `None`), oldest first, then
/// by backend and action id: the actions an audit export lists. Returns (backend id, action).
pub fn requested_in(
    conn: &Connection,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<(String, PendingAction)>> {
    bodies(
        conn,
        "SELECT backend_id, body FROM actions
         WHERE (?1 IS NULL OR requested_at_ms >= ?1) AND (?2 IS NULL OR requested_at_ms < ?2)
         ORDER BY requested_at_ms, backend_id, action_id",
        params![from.map(to_ms), to.map(to_ms)],
    )
}

/// The actions a run proposed.
pub fn for_run(conn: &Connection, backend_id: &str, run_id: &str) -> Result<Vec<PendingAction>> {
    Ok(bodies(
        conn,
        "SELECT backend_id, body FROM actions WHERE backend_id = ?1 AND run_id = ?2
         ORDER BY requested_at_ms",
        params![backend_id, run_id],
    )?
    .into_iter()
    .map(|(_, a)| a)
    .collect())
}

/// Number of pending actions for a backend.
pub fn count_pending(conn: &Connection, backend_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM actions WHERE backend_id = ?1 AND status = 'pending'",
        [backend_id],
        |r| r.get(0),
    )?)
}

/// One action.
pub fn get(conn: &Connection, backend_id: &str, action_id: &str) -> Result<Option<PendingAction>> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM actions WHERE backend_id = ?1 AND action_id = ?2",
            params![backend_id, action_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
}
