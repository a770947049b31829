//! The `evals` and `eval_runs` tables (migration 0004): evals and the runs they reported.
//! Eval runs never enter `runs`, so the run feed, actions and budgets never see them.

use super::sql::{Sql, args};
use crate::Error;
use countersign_core::Run;

/// Records an eval and its runs (each with its case id), in one transaction of the caller.
pub(crate) fn insert(
    c: &mut dyn Sql,
    eval_id: &str,
    workflow: &str,
    config_json: &str,
    created_ms: i64,
    requested_by: &str,
    results: &[(String, Run)],
) -> Result<(), Error> {
    c.exec(
        "INSERT INTO evals(eval_id, workflow, config, created_ms, cases, requested_by)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            eval_id,
            workflow,
            config_json,
            created_ms,
            results.len() as i64,
            requested_by
        ],
    )?;
    for (i, (case, run)) in results.iter().enumerate() {
        c.exec(
            "INSERT INTO eval_runs(eval_id, position, case_id, json) VALUES(?1, ?2, ?3, ?4)",
            args![eval_id, i as i64, case, serde_json::to_string(run)?],
        )?;
    }
    Ok(())
}

/// An eval as stored: (workflow, config JSON, created ms, requested by), if it exists.
pub(crate) fn get(
    c: &mut dyn Sql,
    eval_id: &str,
) -> Result<Option<(String, String, i64, String)>, Error> {
    match c.row(
        "SELECT workflow, config, created_ms, requested_by FROM evals WHERE eval_id = ?1",
        args![eval_id],
    )? {
        Some(mut r) => Ok(Some((r.text(0)?, r.text(1)?, r.int(2)?, r.text(3)?))),
        None => Ok(None),
    }
}

/// The runs of an eval in case order: (case id, run JSON).
pub(crate) fn runs(c: &mut dyn Sql, eval_id: &str) -> Result<Vec<(String, String)>, Error> {
    c.rows(
        "SELECT case_id, json FROM eval_runs WHERE eval_id = ?1 ORDER BY position",
        args![eval_id],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.text(1)?)))
    .collect()
}
