//! Monitoring over the daily roll-up: runs, cost and cost per successful outcome per day by
//! workflow and model, escalation and failure rates, model swaps, and stale citations.

use crate::error::Result;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::Micros;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One day of one workflow on one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct DayPoint {
    /// UTC day.
    pub day: DateTime<Utc>,
    /// Workflow.
    pub workflow: String,
    /// Model.
    pub model: String,
    /// Runs started that day.
    pub runs: i64,
    /// Runs that succeeded.
    pub successes: i64,
    /// Runs escalated to a human.
    pub escalations: i64,
    /// Runs that failed (including budget stops).
    pub failures: i64,
    /// Total cost.
    pub cost_micros: Micros,
    /// Cost divided by successful runs (integer micros), absent with no success.
    pub cost_per_success: Option<Micros>,
}

/// The day a workflow's dominant model changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ModelChange {
    /// Workflow.
    pub workflow: String,
    /// First day on the new model.
    pub day: DateTime<Utc>,
    /// Model before.
    pub from: String,
    /// Model after.
    pub to: String,
}

/// Stale or deprecated citations per backend in the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct StaleByBackend {
    /// Backend.
    pub backend_id: String,
    /// Citations of deprecated or stale sources.
    pub stale_citations: i64,
    /// Runs in the window.
    pub runs: i64,
}

/// Everything the Overview charts draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Overview {
    /// Per day, workflow and model.
    pub points: Vec<DayPoint>,
    /// Model swaps per workflow.
    pub model_changes: Vec<ModelChange>,
    /// Stale citations per backend.
    pub stale_by_backend: Vec<StaleByBackend>,
}

/// The overview for runs started in `[since, until)`, optionally for one backend.
pub fn overview(
    conn: &Connection,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    backend_id: Option<&str>,
) -> Result<Overview> {
    let mut st = conn.prepare_cached(
        "SELECT day_ms, backend_id, workflow, model, outcome, runs, cost_micros, stale_citations
         FROM run_daily WHERE day_ms >= ?1 AND day_ms < ?2 AND (?3 IS NULL OR backend_id = ?3)
           AND runs > 0",
    )?;
    let rows = st
        .query_map(
            params![
                to_ms(since) - to_ms(since).rem_euclid(86_400_000),
                to_ms(until),
                backend_id
            ],
            |r| {
                Ok(Row {
                    day_ms: r.get(0)?,
                    backend_id: r.get(1)?,
                    workflow: r.get(2)?,
                    model: r.get(3)?,
                    outcome: r.get(4)?,
                    runs: r.get(5)?,
                    cost: r.get(6)?,
                    stale: r.get(7)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(summarize(&rows))
}

/// A roll-up row.
#[derive(Clone, Debug)]
pub struct Row {
    /// UTC day start, epoch ms.
    pub day_ms: i64,
    /// Backend.
    pub backend_id: String,
    /// Workflow.
    pub workflow: String,
    /// Model.
    pub model: String,
    /// Outcome.
    pub outcome: String,
    /// Runs.
    pub runs: i64,
    /// Cost in micros.
    pub cost: i64,
    /// Stale citations.
    pub stale: i64,
}

/// Folds roll-up rows into chart series (pure).
pub fn summarize(rows: &[Row]) -> Overview {
    let mut points: BTreeMap<(i64, String, String), DayPoint> = BTreeMap::new();
    let mut stale: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let p = points
            .entry((r.day_ms, r.workflow.clone(), r.model.clone()))
            .or_insert_with(|| DayPoint {
                day: from_ms(r.day_ms),
                workflow: r.workflow.clone(),
                model: r.model.clone(),
                runs: 0,
                successes: 0,
                escalations: 0,
                failures: 0,
                cost_micros: Micros::ZERO,
                cost_per_success: None,
            });
        p.runs += r.runs;
        p.cost_micros += Micros(r.cost);
        match r.outcome.as_str() {
            "success" => p.successes += r.runs,
            "escalated" => p.escalations += r.runs,
            "fail" | "budget_stopped" => p.failures += r.runs,
            _ => {}
        }
        let s = stale.entry(r.backend_id.clone()).or_default();
        s.0 += r.stale;
        s.1 += r.runs;
    }
    let mut points: Vec<DayPoint> = points.into_values().collect();
    for p in &mut points {
        p.cost_per_success = (p.successes > 0).then(|| Micros(p.cost_micros.0 / p.successes));
    }
    // Dominant model per workflow per day; a change between consecutive days is a swap.
    let mut dominant: BTreeMap<(String, i64), (i64, String)> = BTreeMap::new();
    for p in &points {
        let e = dominant
            .entry((p.workflow.clone(), p.day.timestamp_millis()))
            .or_insert((0, String::new()));
        if p.runs > e.0 {
            *e = (p.runs, p.model.clone());
        }
    }
    let mut model_changes = Vec::new();
    let mut last: Option<(String, String)> = None;
    for ((workflow, day), (_, model)) in dominant {
        if let Some((w, m)) = &last
            && *w == workflow
            && *m != model
        {
            model_changes.push(ModelChange {
                workflow: workflow.clone(),
                day: from_ms(day),
                from: m.clone(),
                to: model.clone(),
            });
        }
        last = Some((workflow, model));
    }
    let stale_by_backend = stale
        .into_iter()
        .map(|(backend_id, (stale_citations, runs))| StaleByBackend {
            backend_id,
            stale_citations,
            runs,
        })
        .collect();
    Overview {
        points,
        model_changes,
        stale_by_backend,
    }
}
