//! The `audit_events` table: the append-only, hash-chained audit trail (see
//! [`countersign_core::audit`] for the encoding). Triggers refuse UPDATE and DELETE.
//!
//! Call [`append`] inside the transaction that makes the change it records, so the event
//! commits (or rolls back) with it. Appends read the head and insert the next seq; in an
//! IMMEDIATE transaction ([`crate::Store::write`]) writers are serialised, and outside one a
//! racing append fails on the seq primary key instead of forking the chain.

use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::Run;
use countersign_core::audit::{AuditEvent, ChainError, GENESIS_HASH, canonical_json, verify_chain};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

const COLUMNS: &str = "seq, at_ms, actor, kind, subject, details, prev_hash, hash";

fn from_row(r: &Row<'_>) -> rusqlite::Result<AuditEvent> {
    let details: String = r.get(5)?;
    let details = serde_json::from_str(&details).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(AuditEvent {
        seq: r.get::<_, i64>(0)? as u64,
        at: from_ms(r.get(1)?),
        actor: r.get(2)?,
        kind: r.get(3)?,
        subject: r.get(4)?,
        details,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

/// Appends the next event after the current head and returns it (with its seq and hash).
pub fn append(
    conn: &Connection,
    actor: &str,
    kind: &str,
    subject: &str,
    details: Value,
    at: DateTime<Utc>,
) -> Result<AuditEvent> {
    let (seq, prev_hash) = match head(conn)? {
        Some(h) => (h.seq + 1, h.hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let event = AuditEvent::new(seq, at, actor, kind, subject, details, &prev_hash);
    conn.prepare_cached(
        "INSERT INTO audit_events (seq, at_ms, actor, kind, subject, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        event.seq as i64,
        to_ms(event.at),
        event.actor,
        event.kind,
        event.subject,
        canonical_json(&event.details),
        event.prev_hash,
        event.hash,
    ])?;
    Ok(event)
}

/// The latest event, if any.
pub fn head(conn: &Connection) -> Result<Option<AuditEvent>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT 1"
        ))?
        .query_row([], from_row)
        .optional()?)
}

/// Events with `at` in `[from, to)` (either end open when `None`), newest first, at most
/// `limit` (capped at 10 000); for the audit view.
pub fn list(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: u32,
) -> Result<Vec<AuditEvent>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit_events
         WHERE (?1 IS NULL OR at_ms >= ?1) AND (?2 IS NULL OR at_ms < ?2)
         ORDER BY seq DESC LIMIT ?3"
    ))?;
    let rows = st
        .query_map(
            params![from.map(to_ms), to.map(to_ms), limit.min(10_000)],
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The contiguous stretch of the chain covering `[from, to)`, in seq order: from the first
/// event at or after `from` through the last event before `to` (the chain's start and head
/// when open), including any event in between whose clock was off. A contiguous stretch is
/// what [`verify_chain`] can check; an export takes it with `to = None`, up to the head.
pub fn all_in_range(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<AuditEvent>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit_events
         WHERE seq >= coalesce((SELECT min(seq) FROM audit_events WHERE ?1 IS NULL OR at_ms >= ?1), 9223372036854775807)
           AND seq <= coalesce((SELECT max(seq) FROM audit_events WHERE ?2 IS NULL OR at_ms < ?2), -1)
         ORDER BY seq"
    ))?;
    let rows = st
        .query_map(params![from.map(to_ms), to.map(to_ms)], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every event of one of `kinds`, in seq order (the review history an export lists per
/// action).
pub fn of_kinds(conn: &Connection, kinds: &[&str]) -> Result<Vec<AuditEvent>> {
    let list = serde_json::to_string(kinds)?;
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM audit_events
         WHERE kind IN (SELECT value FROM json_each(?1)) ORDER BY seq"
    ))?;
    let rows = st
        .query_map([list], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Verifies the whole stored chain from the genesis hash; `Ok(Err(..))` names the first bad
/// event.
pub fn verify(conn: &Connection) -> Result<std::result::Result<(), ChainError>> {
    let events = all_in_range(conn, None, None)?;
    Ok(verify_chain(&events))
}

/// Calls `f` with `(backend_id, run)` for every run that started in `[from, to)` (either end
/// open when `None`), oldest first, then by backend and run id: the runs an audit export
/// covers.
pub fn for_each_run_in_range(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    mut f: impl FnMut(&str, Run) -> Result<()>,
) -> Result<()> {
    let mut st = conn.prepare(
        "SELECT backend_id, body FROM runs
         WHERE (?1 IS NULL OR started_at_ms >= ?1) AND (?2 IS NULL OR started_at_ms < ?2)
         ORDER BY started_at_ms, backend_id, run_id",
    )?;
    let mut rows = st.query(params![from.map(to_ms), to.map(to_ms)])?;
    while let Some(r) = rows.next()? {
        let backend_id: String = r.get(0)?;
        let body: String = r.get(1)?;
        let run: Run = serde_json::from_str(&body).map_err(|e| {
            StoreError::Invalid(format!("stored run of {backend_id} is not a run: {e}"))
        })?;
        f(&backend_id, run)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use chrono::TimeZone;
    use countersign_core::audit::{ChainFault, kinds};
    use serde_json::json;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 10, minute, 0)
            .single()
            .unwrap_or_default()
    }

    fn seeded(n: u32) -> Result<Store> {
        let mut store = Store::open_in_memory()?;
        let tx = store.write()?;
        for i in 1..=n {
            append(
                &tx,
                "user:ana",
                kinds::DECISION,
                &format!("act_{i}"),
                json!({"decision": "approve", "i": i}),
                at(i),
            )?;
        }
        tx.commit()?;
        Ok(store)
    }

    #[test]
    fn appends_chain_from_genesis() -> Result<()> {
        let store = seeded(5)?;
        let all = all_in_range(store.conn(), None, None)?;
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].seq, 1);
        assert_eq!(all[0].prev_hash, GENESIS_HASH);
        assert_eq!(all[1].prev_hash, all[0].hash);
        assert_eq!(verify_chain(&all), Ok(()));
        assert_eq!(verify(store.conn())?, Ok(()));
        assert_eq!(head(store.conn())?.map(|h| h.seq), Some(5));
        Ok(())
    }

    #[test]
    fn empty_store_has_no_head_and_verifies() -> Result<()> {
        let store = Store::open_in_memory()?;
        assert_eq!(head(store.conn())?, None);
        assert_eq!(verify(store.conn())?, Ok(()));
        assert!(all_in_range(store.conn(), None, None)?.is_empty());
        Ok(())
    }

    #[test]
    fn stored_events_read_back_with_the_same_hash() -> Result<()> {
        let store = seeded(0)?;
        let e = append(
            store.conn(),
            "sync",
            kinds::QUARANTINE,
            "be-1",
            json!({"stream": "runs", "count": 2, "reasons": ["a", "b"], "x": {"z": 1, "a": 0.5}}),
            at(3) + chrono::Duration::microseconds(1_500),
        )?;
        let back = head(store.conn())?;
        assert_eq!(back.as_ref(), Some(&e));
        assert_eq!(back.map(|b| b.compute_hash()), Some(e.hash));
        Ok(())
    }

    #[test]
    fn events_cannot_be_updated_or_deleted() -> Result<()> {
        let store = seeded(3)?;
        let c = store.conn();
        assert!(
            c.execute("UPDATE audit_events SET actor = 'x' WHERE seq = 2", [])
                .is_err()
        );
        assert!(
            c.execute("DELETE FROM audit_events WHERE seq = 3", [])
                .is_err()
        );
        assert_eq!(verify(c)?, Ok(()));
        Ok(())
    }

    #[test]
    fn an_append_rolls_back_with_its_transaction() -> Result<()> {
        let mut store = seeded(2)?;
        {
            let tx = store.write()?;
            append(&tx, "cli", kinds::EXPORT, "x", json!({}), at(9))?;
            // dropped without commit
        }
        assert_eq!(head(store.conn())?.map(|h| h.seq), Some(2));
        Ok(())
    }

    #[test]
    fn a_row_edited_behind_the_triggers_is_found() -> Result<()> {
        let store = seeded(4)?;
        let c = store.conn();
        c.execute_batch(
            "DROP TRIGGER audit_events_append_only_update;
             UPDATE audit_events SET details = '{\"decision\":\"deny\",\"i\":3}' WHERE seq = 3;",
        )?;
        let err = verify(c)?.err();
        assert_eq!(
            err.map(|e| (e.seq, e.reason)),
            Some((3, ChainFault::HashMismatch))
        );
        Ok(())
    }

    #[test]
    fn list_and_range_select_by_time() -> Result<()> {
        let store = seeded(10)?;
        let c = store.conn();
        let page = list(c, Some(at(3)), Some(at(6)), 100)?;
        assert_eq!(
            page.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![5, 4, 3]
        );
        assert_eq!(list(c, None, None, 2)?.len(), 2);
        let range = all_in_range(c, Some(at(3)), Some(at(6)))?;
        assert_eq!(
            range.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert_eq!(verify_chain(&range), Ok(()));
        let tail = all_in_range(c, Some(at(8)), None)?;
        assert_eq!(
            tail.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![8, 9, 10]
        );
        assert!(all_in_range(c, Some(at(30)), None)?.is_empty());
        Ok(())
    }

    #[test]
    fn range_stays_contiguous_when_a_clock_went_back() -> Result<()> {
        let store = seeded(3)?;
        let c = store.conn();
        append(c, "sync", kinds::SYNC_FAILURE, "be", json!({}), at(1))?; // seq 4, early clock
        append(c, "sync", kinds::SYNC_FAILURE, "be", json!({}), at(5))?; // seq 5
        let range = all_in_range(c, Some(at(2)), None)?;
        assert_eq!(
            range.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        Ok(())
    }
}
