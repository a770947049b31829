//! The background pass that suggests buckets for queued runs (`failure_queue`, filled by
//! trigger), gathering what the rules need from the store.

use crate::error::Result;
use crate::time::to_ms;
use crate::{backends, outages, settings, sources};
use countersign_core::failure::{self, FailureFacts, FailureRules, Outage, RolledBack};
use countersign_core::{ActionStatus, PendingAction, Run, SourceDoc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashMap};

/// Settings key of the rules' tunables ([`FailureRules`] as JSON).
pub const RULES_KEY: &str = "failure_rules";

/// The rules' tunables (defaults when unset).
pub fn rules(conn: &Connection) -> Result<FailureRules> {
    Ok(settings::get(conn, RULES_KEY)?.unwrap_or_default())
}

/// Queues every reviewed run again, e.g. after the rules' tunables changed.
pub fn requeue_all(conn: &Connection) -> Result<usize> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO failure_queue (rid) SELECT rid FROM failure_reviews",
        [],
    )?)
}

/// Runs waiting for a suggestion.
pub fn pending(conn: &Connection) -> Result<u64> {
    Ok(
        conn.query_row("SELECT count(*) FROM failure_queue", [], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// What the rules need of one backend, loaded once per pass.
struct BackendFacts {
    freshness_days: i64,
    catalog: BTreeMap<String, SourceDoc>,
    outages: Vec<Outage>,
}

/// Suggests buckets for up to `limit` queued runs in the caller's transaction; returns how
/// many left the queue. A run no longer reviewable loses its review row; an operator's bucket
/// survives a new suggestion.
pub fn classify_pending(conn: &Connection, limit: usize) -> Result<usize> {
    let rids: Vec<i64> = conn
        .prepare_cached("SELECT rid FROM failure_queue ORDER BY rid LIMIT ?1")?
        .query_map([limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rids.is_empty() {
        return Ok(0);
    }
    let rules = rules(conn)?;
    let mut catalogs: Option<HashMap<String, BTreeMap<String, SourceDoc>>> = None;
    let mut per_backend: HashMap<String, BackendFacts> = HashMap::new();
    for rid in &rids {
        let row: Option<(String, String)> = conn
            .prepare_cached("SELECT backend_id, body FROM runs WHERE rid = ?1")?
            .query_row([rid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((backend_id, body)) = row {
            let run: Run = serde_json::from_str(&body)?;
            if !per_backend.contains_key(&backend_id) {
                let catalogs = match &mut catalogs {
                    Some(c) => c,
                    None => catalogs.insert(catalog_by_backend(conn)?),
                };
                let facts = BackendFacts {
                    freshness_days: backends::get(conn, &backend_id)?
                        .map(|b| b.freshness_days)
                        .unwrap_or(365),
                    catalog: catalogs.remove(&backend_id).unwrap_or_default(),
                    outages: outages::for_backend(conn, &backend_id)?,
                };
                per_backend.insert(backend_id.clone(), facts);
            }
            let b = per_backend
                .get(&backend_id)
                .ok_or_else(|| crate::StoreError::Invalid("backend facts".into()))?;
            classify_one(conn, *rid, &backend_id, &run, b, &rules)?;
        }
        conn.prepare_cached("DELETE FROM failure_queue WHERE rid = ?1")?
            .execute([rid])?;
    }
    Ok(rids.len())
}

fn classify_one(
    conn: &Connection,
    rid: i64,
    backend_id: &str,
    run: &Run,
    b: &BackendFacts,
    rules: &FailureRules,
) -> Result<()> {
    let rolled_back = rolled_back(conn, backend_id, &run.run_id)?;
    if !failure::reviewable(run.outcome, !rolled_back.is_empty()) {
        conn.prepare_cached("DELETE FROM failure_reviews WHERE rid = ?1")?
            .execute([rid])?;
        return Ok(());
    }
    let s = failure::suggest(&FailureFacts {
        run,
        freshness_days: b.freshness_days,
        catalog: &b.catalog,
        rolled_back: &rolled_back,
        outages: &b.outages,
        rules,
    });
    let week = to_ms(failure::week_start(run.started_at));
    conn.prepare_cached(
        "INSERT INTO failure_reviews (rid, workflow, started_at_ms, week_ms, suggested, evidence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(rid) DO UPDATE SET workflow = excluded.workflow,
             started_at_ms = excluded.started_at_ms, week_ms = excluded.week_ms,
             suggested = excluded.suggested, evidence = excluded.evidence
         WHERE workflow IS NOT excluded.workflow OR started_at_ms IS NOT excluded.started_at_ms
            OR suggested IS NOT excluded.suggested OR evidence IS NOT excluded.evidence",
    )?
    .execute(params![
        rid,
        run.workflow,
        to_ms(run.started_at),
        week,
        s.bucket.as_str(),
        serde_json::to_string(&s.evidence)?,
    ])?;
    Ok(())
}

/// The run's actions that were approved, executed and rolled back.
fn rolled_back(conn: &Connection, backend_id: &str, run_id: &str) -> Result<Vec<RolledBack>> {
    let bodies: Vec<String> = conn
        .prepare_cached(
            "SELECT body FROM actions WHERE backend_id = ?1 AND run_id = ?2
             AND status = 'rolled_back' ORDER BY requested_at_ms",
        )?
        .query_map(params![backend_id, run_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    bodies
        .into_iter()
        .map(|b| {
            let a: PendingAction = serde_json::from_str(&b)?;
            debug_assert_eq!(a.status, ActionStatus::RolledBack);
            Ok(RolledBack {
                action_id: a.action_id,
                kind: a.kind,
                decided_by: a.decided_by,
            })
        })
        .collect()
}

/// Every backend's source documents by id (a later source's document wins a clash).
fn catalog_by_backend(conn: &Connection) -> Result<HashMap<String, BTreeMap<String, SourceDoc>>> {
    let mut out: HashMap<String, BTreeMap<String, SourceDoc>> = HashMap::new();
    for (backend_id, source) in sources::list(conn)? {
        let docs = out.entry(backend_id).or_default();
        for d in source.documents {
            docs.insert(d.doc_id.clone(), d);
        }
    }
    Ok(out)
}
