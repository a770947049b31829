//! The autonomy level each workflow runs at (`workflow_autonomy`): read, set with who and why,
//! and the count of writes a read-only level refused. A workflow without a row is at the
//! default, `approve_every_write`.

use super::sql::{Row, Sql, args};
use crate::Error;
use chrono::{DateTime, Utc};
use countersign_core::{AutonomyLevel, AutonomySetting, WorkflowAutonomy};

const COLUMNS: &str = "workflow, level, sample_percent, set_by, requested_by, justification, \
                       updated_at, refused_writes, last_refused_at";

fn time(t: Option<String>) -> Option<DateTime<Utc>> {
    t.and_then(|t| t.parse().ok())
}

fn from_row(mut r: Row) -> Result<WorkflowAutonomy, Error> {
    let level = r.text(1)?;
    Ok(WorkflowAutonomy {
        workflow: r.text(0)?,
        level: AutonomyLevel::parse(&level)
            .ok_or_else(|| Error::Invalid(format!("unknown autonomy level {level}")))?,
        sample_percent: u8::try_from(r.int(2)?).unwrap_or(0),
        set_by: r.opt_text(3)?,
        requested_by: r.opt_text(4)?,
        justification: r.opt_text(5)?,
        updated_at: time(r.opt_text(6)?),
        refused_writes: u64::try_from(r.int(7)?).unwrap_or(0),
        last_refused_at: time(r.opt_text(8)?),
    })
}

/// Workflow `w`'s level (the default when none was set).
pub(crate) fn get(c: &mut dyn Sql, w: &str) -> Result<WorkflowAutonomy, Error> {
    match c.row(
        &format!("SELECT {COLUMNS} FROM workflow_autonomy WHERE workflow = ?1"),
        args![w],
    )? {
        Some(r) => from_row(r),
        None => Ok(WorkflowAutonomy {
            workflow: w.to_string(),
            ..Default::default()
        }),
    }
}

/// Every workflow with a level set or a write refused, by name.
pub(crate) fn list(c: &mut dyn Sql) -> Result<Vec<WorkflowAutonomy>, Error> {
    c.rows(
        &format!("SELECT {COLUMNS} FROM workflow_autonomy ORDER BY workflow"),
        args![],
    )?
    .into_iter()
    .map(from_row)
    .collect()
}

/// Who set a level and why.
pub(crate) struct SetBy<'a> {
    /// The admin identity the request came with.
    pub admin: &'a str,
    /// The person the request names.
    pub requested_by: Option<&'a str>,
    /// Why.
    pub justification: Option<&'a str>,
}

/// Sets workflow `w`'s level (in the caller's transaction, under a per-workflow lock); returns
/// (before, after).
pub(crate) fn set(
    c: &mut dyn Sql,
    w: &str,
    to: &AutonomySetting,
    by: &SetBy<'_>,
    now: DateTime<Utc>,
) -> Result<(WorkflowAutonomy, WorkflowAutonomy), Error> {
    super::sql::lock_key(c, &format!("autonomy:{w}"))?;
    let before = get(c, w)?;
    c.exec(
        "INSERT INTO workflow_autonomy(workflow, level, sample_percent, set_by, requested_by,
             justification, updated_at)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(workflow) DO UPDATE SET level = excluded.level,
             sample_percent = excluded.sample_percent, set_by = excluded.set_by,
             requested_by = excluded.requested_by, justification = excluded.justification,
             updated_at = excluded.updated_at",
        args![
            w,
            to.level.as_str(),
            i64::from(to.sample_percent),
            by.admin,
            by.requested_by,
            by.justification,
            now.to_rfc3339()
        ],
    )?;
    let after = get(c, w)?;
    Ok((before, after))
}

/// Counts a write the level of workflow `w` refused.
pub(crate) fn count_refused(c: &mut dyn Sql, w: &str, now: DateTime<Utc>) -> Result<(), Error> {
    c.exec(
        "UPDATE workflow_autonomy SET refused_writes = refused_writes + 1, last_refused_at = ?2
         WHERE workflow = ?1",
        args![w, now.to_rfc3339()],
    )?;
    Ok(())
}

/// The workflow of run `run_id`, when the run is stored.
pub(crate) fn workflow_of_run(c: &mut dyn Sql, run_id: &str) -> Result<Option<String>, Error> {
    c.text("SELECT workflow FROM runs WHERE run_id = ?1", args![run_id])
}
