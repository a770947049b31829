//! The `runs` table: one row per (backend, run id), the full run as JSON plus the columns the
//! run list filters and sorts on.

use crate::error::Result;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::{Micros, Outcome, Run, RunSummary};
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter, types::Value as SqlValue};
use serde::{Deserialize, Serialize};

/// What happened to a run offered to [`upsert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// New to the store.
    Inserted,
    /// Replaced an earlier revision.
    Updated,
    /// The store already had this or a later revision; nothing changed.
    Unchanged,
}

/// Stores a run, replacing an earlier revision; a stale revision is ignored.
/// `now` and `freshness_days` decide which citations count as stale.
pub fn upsert(
    conn: &Connection,
    backend_id: &str,
    run: &Run,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Applied> {
    upsert_with_body(
        conn,
        backend_id,
        run,
        &serde_json::to_string(run)?,
        now,
        freshness_days,
    )
}

/// Like [`upsert`], with the run's JSON already at hand (`body` must be `run` serialised or
/// the exact record the backend sent, which parses to `run`); saves re-encoding during sync.
pub fn upsert_with_body(
    conn: &Connection,
    backend_id: &str,
    run: &Run,
    body: &str,
    now: DateTime<Utc>,
    freshness_days: i64,
) -> Result<Applied> {
    let existed: Option<i64> = conn
        .prepare_cached("SELECT revision FROM runs WHERE backend_id = ?1 AND run_id = ?2")?
        .query_row(rusqlite::params![backend_id, run.run_id], |r| r.get(0))
        .optional()?;
    let changed = conn
        .prepare_cached(
            "INSERT INTO runs (backend_id, run_id, revision, tenant, workflow, workflow_version,
             user_id, model, outcome, decision, cost_micros, latency_ms, tool_calls,
             policy_failures, citation_warnings, started_at_ms, updated_at_ms, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT(backend_id, run_id) DO UPDATE SET
             revision = excluded.revision, tenant = excluded.tenant, workflow = excluded.workflow,
             workflow_version = excluded.workflow_version, user_id = excluded.user_id,
             model = excluded.model, outcome = excluded.outcome, decision = excluded.decision,
             cost_micros = excluded.cost_micros, latency_ms = excluded.latency_ms,
             tool_calls = excluded.tool_calls, policy_failures = excluded.policy_failures,
             citation_warnings = excluded.citation_warnings,
             started_at_ms = excluded.started_at_ms, updated_at_ms = excluded.updated_at_ms,
             body = excluded.body
         WHERE excluded.revision > runs.revision
            OR (excluded.revision = runs.revision AND excluded.updated_at_ms > runs.updated_at_ms)",
        )?
        .execute(rusqlite::params![
            backend_id,
            run.run_id,
            run.revision as i64,
            run.tenant,
            run.workflow,
            run.workflow_version,
            run.user_id,
            run.model,
            run.outcome.as_str(),
            run.decision,
            run.cost_micros.0,
            run.latency_ms as i64,
            run.tool_calls.len() as i64,
            run.policy_failures() as i64,
            run.citation_warnings(now, freshness_days) as i64,
            to_ms(run.started_at),
            to_ms(run.updated_at),
            body,
        ])?;
    Ok(match (existed, changed) {
        (_, 0) => Applied::Unchanged,
        (None, _) => Applied::Inserted,
        (Some(_), _) => Applied::Updated,
    })
}

/// One run in full.
pub fn get(conn: &Connection, backend_id: &str, run_id: &str) -> Result<Option<Run>> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM runs WHERE backend_id = ?1 AND run_id = ?2",
            [backend_id, run_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
}

/// Finds a run by its id alone, across backends (first match by backend id).
pub fn find(conn: &Connection, run_id: &str) -> Result<Option<(String, Run)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT backend_id, body FROM runs WHERE run_id = ?1 ORDER BY backend_id LIMIT 1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(b, body)| Ok((b, serde_json::from_str(&body)?)))
        .transpose()
}

/// How the run list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first.
    #[default]
    TimeDesc,
    /// Most expensive first.
    CostDesc,
    /// Slowest first.
    LatencyDesc,
}

/// Filters for the run list; every field that is set narrows the result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunQuery {
    /// Only this backend.
    pub backend_id: Option<String>,
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this outcome (wire spelling).
    pub outcome: Option<String>,
    /// Only this model.
    pub model: Option<String>,
    /// Text that must appear in the run's record.
    pub search: Option<String>,
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before.
    pub until: Option<DateTime<Utc>>,
    /// Cost at least this much.
    pub min_cost_micros: Option<i64>,
    /// Sort order.
    pub sort: Sort,
    /// Page size (default 200, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A page of the run list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    /// Rows of this page.
    pub items: Vec<RunSummary>,
    /// Rows matching the filters in all.
    pub total: u64,
}

fn summary(r: &Row<'_>) -> rusqlite::Result<RunSummary> {
    let outcome: String = r.get("outcome")?;
    Ok(RunSummary {
        backend_id: r.get("backend_id")?,
        run_id: r.get("run_id")?,
        tenant: r.get("tenant")?,
        workflow: r.get("workflow")?,
        workflow_version: r.get("workflow_version")?,
        user_id: r.get("user_id")?,
        model: r.get("model")?,
        outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Fail),
        decision: r.get("decision")?,
        cost_micros: Micros(r.get("cost_micros")?),
        latency_ms: r.get::<_, i64>("latency_ms")? as u64,
        tool_calls: r.get::<_, i64>("tool_calls")? as u32,
        policy_failures: r.get::<_, i64>("policy_failures")? as u32,
        citation_warnings: r.get::<_, i64>("citation_warnings")? as u32,
        started_at: from_ms(r.get("started_at_ms")?),
    })
}

/// Runs matching `q`, one page, plus the total count.
pub fn list(conn: &Connection, q: &RunQuery) -> Result<RunPage> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    let mut text = |clause: &'static str, v: &Option<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            clauses.push(clause);
            args.push(SqlValue::Text(v.clone()));
        }
    };
    text("backend_id = ?", &q.backend_id);
    text("workflow = ?", &q.workflow);
    text("outcome = ?", &q.outcome);
    text("model = ?", &q.model);
    if let Some(s) = q.search.as_ref().filter(|s| !s.trim().is_empty()) {
        clauses.push("instr(lower(body), lower(?)) > 0");
        args.push(SqlValue::Text(s.trim().to_string()));
    }
    if let Some(t) = q.since {
        clauses.push("started_at_ms >= ?");
        args.push(SqlValue::Integer(to_ms(t)));
    }
    if let Some(t) = q.until {
        clauses.push("started_at_ms < ?");
        args.push(SqlValue::Integer(to_ms(t)));
    }
    if let Some(c) = q.min_cost_micros {
        clauses.push("cost_micros >= ?");
        args.push(SqlValue::Integer(c));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let order = match q.sort {
        Sort::TimeDesc => "started_at_ms DESC, run_id DESC",
        Sort::CostDesc => "cost_micros DESC, started_at_ms DESC",
        Sort::LatencyDesc => "latency_ms DESC, started_at_ms DESC",
    };
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM runs {filter}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let limit = q.limit.unwrap_or(200).min(1000);
    let sql = format!(
        "SELECT backend_id, run_id, tenant, workflow, workflow_version, user_id, model, outcome,
                decision, cost_micros, latency_ms, tool_calls, policy_failures, citation_warnings,
                started_at_ms
         FROM runs {filter} ORDER BY {order} LIMIT {limit} OFFSET {}",
        q.offset.unwrap_or(0)
    );
    let mut st = conn.prepare(&sql)?;
    let items = st
        .query_map(params_from_iter(args.iter()), summary)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(RunPage {
        items,
        total: total as u64,
    })
}

/// Distinct values of a column, for filter pickers.
pub fn distinct(conn: &Connection, column: Facet) -> Result<Vec<String>> {
    let col = match column {
        Facet::Workflow => "workflow",
        Facet::Model => "model",
    };
    let mut st = conn.prepare(&format!("SELECT DISTINCT {col} FROM runs ORDER BY 1"))?;
    let v = st
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

/// Columns with a filter picker.
#[derive(Clone, Copy, Debug)]
pub enum Facet {
    /// Workflow names.
    Workflow,
    /// Model names.
    Model,
}

/// Number of runs stored for a backend.
pub fn count(conn: &Connection, backend_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM runs WHERE backend_id = ?1",
        [backend_id],
        |r| r.get(0),
    )?)
}
