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
/// then the rest newest first; the first `limit` of them when given (see [`count`] for how
/// many there are). Returns (backend id, action).
pub fn list(
    conn: &Connection,
    status: Option<&str>,
    limit: Option<u32>,
) -> Result<Vec<(String, PendingAction)>> {
    bodies(
        conn,
        "SELECT backend_id, body FROM actions WHERE ?1 IS NULL OR status = ?1
         ORDER BY status <> 'pending', CASE WHEN status = 'pending' THEN expires_at_ms END,
                  requested_at_ms DESC LIMIT ?2",
        params![status, limit.map_or(-1, i64::from)],
    )
}

/// How many actions have a stored status (all when `None`).
pub fn count(conn: &Connection, status: Option<&str>) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM actions WHERE ?1 IS NULL OR status = ?1")?
        .query_row(params![status], |r| r.get(0))?;
    Ok(n as u64)
}

/// How many actions wait for a decision at `now` (pending and not past their deadline).
pub fn pending_at(conn: &Connection, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM actions WHERE status = 'pending' AND expires_at_ms > ?1",
        )?
        .query_row([to_ms(now)], |r| r.get(0))?;
    Ok(n as u64)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use chrono::{Duration, Utc};

    #[test]
    fn a_capped_list_keeps_the_most_urgent_and_the_counts_cover_every_action()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let s = Store::open_in_memory()?;
        let c = s.conn();
        let b =
            crate::backends::upsert(c, "b", "http://127.0.0.1:1", "countersign", false)?.backend_id;
        let now = Utc::now();
        // Six pending (one already past its deadline) and four executed.
        for i in 0..10i64 {
            let status = if i < 6 { "pending" } else { "executed" };
            let expires = if i == 5 {
                now - Duration::minutes(1)
            } else {
                now + Duration::hours(10 - i)
            };
            let a: PendingAction = serde_json::from_value(serde_json::json!({
                "action_id": format!("a{i}"), "revision": 1, "run_id": "r", "kind": "issue_refund",
                "title": "Refund", "target": {"system": "billing", "record_id": "o1"},
                "risk": "high", "fields": [], "status": status,
                "requested_at": now - Duration::minutes(i), "expires_at": expires,
                "updated_at": now,
            }))?;
            upsert(c, &b, &a)?;
        }
        let ids = |rows: Vec<(String, PendingAction)>| -> Vec<String> {
            rows.into_iter().map(|(_, a)| a.action_id).collect()
        };
        // Pending first by deadline (the expired one is the most urgent of all).
        assert_eq!(ids(list(c, None, Some(3))?), ["a5", "a4", "a3"]);
        assert_eq!(list(c, None, None)?.len(), 10);
        assert_eq!(count(c, None)?, 10);
        assert_eq!(count(c, Some("executed"))?, 4);
        assert_eq!(ids(list(c, Some("executed"), Some(2))?), ["a6", "a7"]);
        assert_eq!(pending_at(c, now)?, 5, "the expired one no longer waits");
        assert_eq!(
            pending_at(c, now + Duration::hours(8))?,
            2,
            "a deadline reached is past"
        );
        Ok(())
    }
}
