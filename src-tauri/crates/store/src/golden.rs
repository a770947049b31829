//! Golden sets and their evals (tables `golden_versions`, `golden_cases`, `golden_evals`,
//! `golden_eval_runs`; migration 0022). A workflow has at most one set; every change writes a
//! new version holding all its cases and an audit event in the same transaction, so any
//! version an eval ran against can be read back. The readiness gate ([`gate`]) reads the
//! configurations a workflow has run with (`workflow_configs`, kept by triggers on `runs`;
//! keyed on version, model, prompt and retrieval labels since migration 0025).

use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use countersign_core::Run;
use countersign_core::audit::kinds;
use countersign_core::golden::compare::{EvalComparison, PassThresholds};
use countersign_core::golden::{ConfigLabel, Expectations, GoldenCase};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Settings key of the pass thresholds (JSON [`PassThresholds`]).
pub const THRESHOLDS_KEY: &str = "golden_thresholds";

/// The stored pass thresholds, or the defaults.
pub fn thresholds(conn: &Connection) -> Result<PassThresholds> {
    Ok(crate::settings::get(conn, THRESHOLDS_KEY)?.unwrap_or_default())
}

/// Validates and saves the thresholds with a before → after audit event (none when equal).
pub fn set_thresholds(
    tx: &Transaction<'_>,
    t: &PassThresholds,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    t.validate().map_err(StoreError::Invalid)?;
    let before = thresholds(tx)?;
    if before != *t {
        crate::settings::set(tx, THRESHOLDS_KEY, t)?;
        crate::audit::append(
            tx,
            actor,
            kinds::GOLDEN_THRESHOLDS_CHANGED,
            THRESHOLDS_KEY,
            serde_json::json!({"before": before, "after": t}),
            now,
        )?;
    }
    Ok(())
}

/// A case as stored: the backend its run came from, and the case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct StoredCase {
    /// Console-side backend id of the recorded run.
    pub backend_id: String,
    /// The case.
    pub case: GoldenCase,
}

/// One version of a workflow's set, without its cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GoldenVersion {
    /// Workflow.
    pub workflow: String,
    /// Version number, from 1.
    pub version: u32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Who made it.
    pub actor: String,
    /// What changed, in words.
    pub change: String,
    /// Number of cases.
    pub cases: u32,
}

/// A change to a set.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Adds cases (a case with the same run id is replaced).
    Add(Vec<StoredCase>),
    /// Removes cases by id.
    Remove(Vec<String>),
    /// Sets the expectations of one case.
    Expect(String, Expectations),
    /// Replaces every case (an import).
    Replace(Vec<StoredCase>, String),
}

fn version_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GoldenVersion> {
    Ok(GoldenVersion {
        workflow: r.get(0)?,
        version: r.get(1)?,
        created_at: from_ms(r.get(2)?),
        actor: r.get(3)?,
        change: r.get(4)?,
        cases: r.get(5)?,
    })
}

/// The versions of `workflow`'s set, newest first.
pub fn versions(conn: &Connection, workflow: &str) -> Result<Vec<GoldenVersion>> {
    let mut st = conn.prepare_cached(
        "SELECT workflow, version, created_at_ms, actor, change, cases FROM golden_versions
         WHERE workflow = ?1 ORDER BY version DESC",
    )?;
    let v = st
        .query_map([workflow], version_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The latest version of every set, by workflow.
pub fn sets(conn: &Connection) -> Result<Vec<GoldenVersion>> {
    let mut st = conn.prepare_cached(
        "SELECT workflow, max(version), created_at_ms, actor, change, cases FROM golden_versions
         GROUP BY workflow ORDER BY workflow",
    )?;
    let v = st
        .query_map([], version_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The latest version number of `workflow`'s set (0 when it has none).
pub fn latest_version(conn: &Connection, workflow: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT coalesce(max(version), 0) FROM golden_versions WHERE workflow = ?1",
        [workflow],
        |r| r.get(0),
    )?)
}

/// The cases of `version` of `workflow`'s set (the latest when `None`), in order.
pub fn cases(conn: &Connection, workflow: &str, version: Option<u32>) -> Result<Vec<StoredCase>> {
    let version = match version {
        Some(v) => v,
        None => latest_version(conn, workflow)?,
    };
    let mut st = conn.prepare_cached(
        "SELECT backend_id, run, expect FROM golden_cases WHERE workflow = ?1 AND version = ?2
         ORDER BY position",
    )?;
    let rows = st
        .query_map(params![workflow, version], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(backend_id, run, expect)| {
            Ok(StoredCase {
                backend_id,
                case: GoldenCase {
                    run: serde_json::from_str(&run)?,
                    expect: serde_json::from_str(&expect)?,
                },
            })
        })
        .collect()
}

/// Applies `change` to `workflow`'s set as a new version, with an audit event
/// (`golden_set_changed`), and returns that version. Refuses a case of another workflow, an
/// invalid expectation and a change that changes nothing.
pub fn change(
    tx: &Transaction<'_>,
    workflow: &str,
    change: Change,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<GoldenVersion> {
    let before = cases(tx, workflow, None)?;
    let mut after = before.clone();
    let (what, detail) = match change {
        Change::Add(add) => {
            let ids: Vec<String> = add.iter().map(|c| c.case.run.run_id.clone()).collect();
            for c in add {
                match after
                    .iter_mut()
                    .find(|a| a.case.case_id() == c.case.case_id())
                {
                    Some(slot) => *slot = c,
                    None => after.push(c),
                }
            }
            (
                format!("added {} case(s)", ids.len()),
                serde_json::json!({ "added": ids }),
            )
        }
        Change::Remove(ids) => {
            after.retain(|c| !ids.iter().any(|id| id == c.case.case_id()));
            if after.len() + ids.len() != before.len() {
                return Err(StoreError::NotFound(
                    "a case to remove is not in the set".into(),
                ));
            }
            (
                format!("removed {} case(s)", ids.len()),
                serde_json::json!({ "removed": ids }),
            )
        }
        Change::Expect(id, expect) => {
            let slot = after
                .iter_mut()
                .find(|c| c.case.case_id() == id)
                .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
            let old = std::mem::replace(&mut slot.case.expect, expect.clone());
            (
                format!("changed the expectations of {id}"),
                serde_json::json!({ "case": id, "before": old, "after": expect }),
            )
        }
        Change::Replace(all, source) => {
            let n = all.len();
            after = all;
            (
                format!("imported {n} case(s) from {source}"),
                serde_json::json!({ "imported": n, "source": source }),
            )
        }
    };
    for c in &after {
        if c.case.run.workflow != workflow {
            return Err(StoreError::Invalid(format!(
                "run {} is of workflow {}, not {workflow}",
                c.case.case_id(),
                c.case.run.workflow
            )));
        }
        c.case.expect.validate().map_err(StoreError::Invalid)?;
    }
    if after == before && !before.is_empty() {
        return Err(StoreError::Invalid("the change changes nothing".into()));
    }
    let version = latest_version(tx, workflow)? + 1;
    tx.prepare_cached(
        "INSERT INTO golden_versions (workflow, version, created_at_ms, actor, change, cases)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        workflow,
        version,
        to_ms(now),
        actor,
        what,
        after.len() as i64
    ])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO golden_cases (workflow, version, position, case_id, backend_id, run, expect)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, c) in after.iter().enumerate() {
        ins.execute(params![
            workflow,
            version,
            i as i64,
            c.case.case_id(),
            c.backend_id,
            serde_json::to_string(&c.case.run)?,
            serde_json::to_string(&c.case.expect)?,
        ])?;
    }
    let mut details = detail;
    if let serde_json::Value::Object(m) = &mut details {
        m.insert("version".into(), version.into());
        m.insert("cases".into(), after.len().into());
    }
    crate::audit::append(tx, actor, kinds::GOLDEN_SET_CHANGED, workflow, details, now)?;
    Ok(GoldenVersion {
        workflow: workflow.to_string(),
        version,
        created_at: from_ms(to_ms(now)),
        actor: actor.to_string(),
        change: what,
        cases: after.len() as u32,
    })
}

/// An eval as the console records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EvalRecord {
    /// The backend's eval id.
    pub eval_id: String,
    /// Backend that ran it.
    pub backend_id: String,
    /// Workflow.
    pub workflow: String,
    /// Version of the set it replayed.
    pub set_version: u32,
    /// The configuration it ran.
    pub config: ConfigLabel,
    /// The eval compared against (the recorded runs when absent).
    #[ts(optional = nullable)]
    pub baseline_eval: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Whether it passed the thresholds (absent until compared).
    #[ts(optional = nullable)]
    pub passed: Option<bool>,
    /// The server error that stopped the replay, if one did: the runs it got are kept and
    /// the case it failed on is recorded as failed with this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub error: Option<String>,
}

/// Records an eval and the runs it reported (keyed by case id), replacing an earlier record
/// of the same id. An eval stopped by a server error (`e.error`) is kept with what it got and
/// audited (`golden_eval_failed`, naming the error) in the same transaction.
pub fn save_eval(tx: &Transaction<'_>, e: &EvalRecord, runs: &HashMap<String, Run>) -> Result<()> {
    tx.execute("DELETE FROM golden_evals WHERE eval_id = ?1", [&e.eval_id])?;
    tx.prepare_cached(
        "INSERT INTO golden_evals (eval_id, backend_id, workflow, set_version, config_version,
             config_model, config_prompt, baseline_eval, started_at_ms, config_retrieval, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        e.eval_id,
        e.backend_id,
        e.workflow,
        e.set_version,
        e.config.version,
        e.config.model,
        e.config.prompt,
        e.baseline_eval,
        to_ms(e.started_at),
        e.config.retrieval,
        e.error,
    ])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO golden_eval_runs (eval_id, case_id, run) VALUES (?1, ?2, ?3)",
    )?;
    for (case, run) in runs {
        ins.execute(params![e.eval_id, case, serde_json::to_string(run)?])?;
    }
    if let Some(error) = &e.error {
        crate::audit::append(
            tx,
            "console",
            kinds::GOLDEN_EVAL_FAILED,
            &e.workflow,
            serde_json::json!({
                "eval_id": e.eval_id,
                "backend_id": e.backend_id,
                "config": e.config,
                "error": error,
                "runs_kept": runs.len(),
            }),
            e.started_at,
        )?;
    }
    Ok(())
}

/// Stores an eval's comparison (its verdict and report).
pub fn save_report(conn: &Connection, eval_id: &str, report: &EvalComparison) -> Result<()> {
    let n = conn.execute(
        "UPDATE golden_evals SET passed = ?2, report = ?3 WHERE eval_id = ?1",
        params![eval_id, report.passed, serde_json::to_string(report)?],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("eval {eval_id}")));
    }
    Ok(())
}

fn eval_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EvalRecord> {
    Ok(EvalRecord {
        eval_id: r.get(0)?,
        backend_id: r.get(1)?,
        workflow: r.get(2)?,
        set_version: r.get(3)?,
        config: ConfigLabel {
            version: r.get(4)?,
            model: r.get(5)?,
            prompt: r.get(6)?,
            retrieval: r.get(10)?,
        },
        baseline_eval: r.get(7)?,
        started_at: from_ms(r.get(8)?),
        passed: r.get(9)?,
        error: r.get(11)?,
    })
}

const EVAL_COLUMNS: &str = "eval_id, backend_id, workflow, set_version, config_version,
    config_model, config_prompt, baseline_eval, started_at_ms, passed, config_retrieval, error";

/// An eval, if recorded.
pub fn eval(conn: &Connection, eval_id: &str) -> Result<Option<EvalRecord>> {
    Ok(conn
        .query_row(
            &format!("SELECT {EVAL_COLUMNS} FROM golden_evals WHERE eval_id = ?1"),
            [eval_id],
            eval_row,
        )
        .optional()?)
}

/// The evals of `workflow`, newest first.
pub fn evals(conn: &Connection, workflow: &str) -> Result<Vec<EvalRecord>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {EVAL_COLUMNS} FROM golden_evals WHERE workflow = ?1 ORDER BY started_at_ms DESC"
    ))?;
    let v = st
        .query_map([workflow], eval_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The evals that started in `[from, to)` (an absent end is open), oldest first, with their
/// stored reports (absent when never compared): what an audit bundle holds.
pub fn evals_in_range(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<(EvalRecord, Option<EvalComparison>)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {EVAL_COLUMNS}, report FROM golden_evals
         WHERE started_at_ms >= ?1 AND started_at_ms < ?2 ORDER BY started_at_ms, eval_id"
    ))?;
    let rows = st
        .query_map(
            params![from.map_or(i64::MIN, to_ms), to.map_or(i64::MAX, to_ms)],
            |r| Ok((eval_row(r)?, r.get::<_, Option<String>>(12)?)),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(e, report)| {
            let report = match report {
                Some(t) => Some(serde_json::from_str(&t)?),
                None => None,
            };
            Ok((e, report))
        })
        .collect()
}

/// The runs an eval reported, by case id.
pub fn eval_runs(conn: &Connection, eval_id: &str) -> Result<HashMap<String, Run>> {
    let mut st =
        conn.prepare_cached("SELECT case_id, run FROM golden_eval_runs WHERE eval_id = ?1")?;
    let rows = st
        .query_map([eval_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(c, r)| Ok((c, serde_json::from_str(&r)?)))
        .collect()
}

/// An eval's stored report, if compared.
pub fn report(conn: &Connection, eval_id: &str) -> Result<Option<EvalComparison>> {
    let text: Option<Option<String>> = conn
        .query_row(
            "SELECT report FROM golden_evals WHERE eval_id = ?1",
            [eval_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match text.flatten() {
        Some(t) => Some(serde_json::from_str(&t)?),
        None => None,
    })
}

/// What the readiness gate found for a workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Gate {
    /// The configuration of the latest synced run.
    #[ts(optional = nullable)]
    pub current: Option<ConfigLabel>,
    /// When that configuration first ran, if another ran before it.
    #[ts(optional = nullable)]
    pub changed_at: Option<DateTime<Utc>>,
    /// The configuration before it.
    #[ts(optional = nullable)]
    pub previous: Option<ConfigLabel>,
    /// The latest passing eval of the current configuration.
    #[ts(optional = nullable)]
    pub passing_eval: Option<String>,
    /// The latest eval of the current configuration, passing or not.
    #[ts(optional = nullable)]
    pub latest_eval: Option<EvalRecord>,
}

/// The gate of `workflow`: the configuration its synced runs changed to (workflow version,
/// model, prompt and retrieval labels: a change of any one is a new configuration), and
/// whether an eval of that configuration passed.
pub fn gate(conn: &Connection, workflow: &str) -> Result<Gate> {
    let mut st = conn.prepare_cached(
        "SELECT workflow_version, model, prompt, retrieval, first_ms FROM workflow_configs
         WHERE workflow = ?1 ORDER BY last_ms DESC, first_ms DESC LIMIT 2",
    )?;
    let configs = st
        .query_map([workflow], |r| {
            Ok((
                ConfigLabel {
                    version: r.get(0)?,
                    model: r.get(1)?,
                    prompt: r.get(2)?,
                    retrieval: r.get(3)?,
                },
                r.get::<_, i64>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut gate = Gate {
        current: None,
        changed_at: None,
        previous: None,
        passing_eval: None,
        latest_eval: None,
    };
    let Some((current, first)) = configs.first().cloned() else {
        return Ok(gate);
    };
    if let Some((prev, _)) = configs.get(1) {
        gate.changed_at = Some(from_ms(first));
        gate.previous = Some(prev.clone());
    }
    let of_current: Vec<EvalRecord> = evals(conn, workflow)?
        .into_iter()
        .filter(|e| e.config == current)
        .collect();
    gate.passing_eval = of_current
        .iter()
        .find(|e| e.passed == Some(true))
        .map(|e| e.eval_id.clone());
    gate.latest_eval = of_current.into_iter().next();
    gate.current = Some(current);
    Ok(gate)
}

/// Compares eval `eval_id` with the set version it replayed and with its baseline (the
/// baseline eval's runs, else the recorded runs) under the stored thresholds, stores the
/// report and verdict, and returns it: what the console's report command runs.
pub fn eval_report(conn: &Connection, eval_id: &str, now: DateTime<Utc>) -> Result<EvalComparison> {
    let e = eval(conn, eval_id)?.ok_or_else(|| StoreError::NotFound(format!("eval {eval_id}")))?;
    let set: Vec<GoldenCase> = cases(conn, &e.workflow, Some(e.set_version))?
        .into_iter()
        .map(|c| c.case)
        .collect();
    let runs = eval_runs(conn, eval_id)?;
    let baseline = match &e.baseline_eval {
        Some(b) => eval_runs(conn, b)?,
        None => HashMap::new(),
    };
    let report =
        countersign_core::golden::compare::compare(&set, &runs, &baseline, &thresholds(conn)?, now);
    save_report(conn, eval_id, &report)?;
    Ok(report)
}
