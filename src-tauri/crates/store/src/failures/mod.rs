//! The weekly failure review: each failed, escalated, denied or rolled-back run with its
//! suggested bucket and evidence (`failure_reviews`, filled by [`classify_pending`]), an
//! operator's confirmation or change (audited), the runs of one week, the trend per bucket and
//! workflow from `failure_weekly`, and the week as CSV.

mod classify;

pub use classify::{RULES_KEY, classify_pending, pending, requeue_all, rules};

use crate::audit;
use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Duration, Utc};
use countersign_core::audit::kinds;
use countersign_core::failure::{self, WeekCount};
use countersign_core::{Evidence, FailureBucket, Outcome, csv};
use rusqlite::{Connection, OptionalExtension, params_from_iter, types::Value as SqlValue};
use serde::{Deserialize, Serialize};

/// Which runs of a week to list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct FailureQuery {
    /// Any moment of the week (Monday 00:00 UTC to the next); default: this week.
    pub week: Option<DateTime<Utc>>,
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this effective bucket (the operator's, else the suggestion).
    pub bucket: Option<FailureBucket>,
    /// Only runs no operator has reviewed yet.
    #[ts(as = "Option<bool>", optional)]
    pub unreviewed: bool,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// One run to review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FailureItem {
    /// Backend (console-side id).
    pub backend_id: String,
    /// The backend's run id.
    pub run_id: String,
    /// Workflow.
    pub workflow: String,
    /// Who triggered it.
    pub user_id: String,
    /// How it ended (a rolled-back run may have ended in success).
    pub outcome: Outcome,
    /// Decision label.
    pub decision: String,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// What the rules suggest.
    pub suggested: FailureBucket,
    /// Why: every rule that fired, the suggestion's first.
    pub evidence: Vec<Evidence>,
    /// The operator's bucket, once reviewed.
    pub bucket: Option<FailureBucket>,
    /// Who reviewed it.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// A page of one week's runs to review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FailurePage {
    /// Monday 00:00 UTC of the week.
    pub week: DateTime<Utc>,
    /// This page.
    pub items: Vec<FailureItem>,
    /// Runs matching the filters this week (exact, from the weekly roll-up).
    pub total: u64,
    /// Of the week's runs matching workflow and bucket, how many an operator reviewed.
    pub reviewed: u64,
    /// Runs still waiting for a suggestion (they appear once suggested).
    pub pending: u64,
}

const COLUMNS: &str = "r.backend_id, r.run_id, f.workflow, r.user_id, r.outcome, r.decision,
    f.started_at_ms, f.suggested, f.evidence, f.bucket, f.reviewed_by, f.reviewed_at_ms";

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<(FailureItem, String)> {
    let outcome: String = r.get(4)?;
    let suggested: String = r.get(7)?;
    let bucket: Option<String> = r.get(9)?;
    Ok((
        FailureItem {
            backend_id: r.get(0)?,
            run_id: r.get(1)?,
            workflow: r.get(2)?,
            user_id: r.get(3)?,
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Fail),
            decision: r.get(5)?,
            started_at: from_ms(r.get(6)?),
            suggested: FailureBucket::parse(&suggested).unwrap_or(FailureBucket::Other),
            evidence: Vec::new(),
            bucket: bucket.as_deref().and_then(FailureBucket::parse),
            reviewed_by: r.get(10)?,
            reviewed_at: r.get::<_, Option<i64>>(11)?.map(from_ms),
        },
        r.get(8)?,
    ))
}

fn with_evidence((mut item, evidence): (FailureItem, String)) -> FailureItem {
    // Written by this module; unreadable evidence is shown as none rather than failing the page.
    item.evidence = serde_json::from_str(&evidence).unwrap_or_default();
    item
}

/// The filters as SQL over `failure_reviews f`, from the week's start.
fn filters(q: &FailureQuery, week: DateTime<Utc>) -> (String, Vec<SqlValue>) {
    let mut clauses = vec!["f.started_at_ms >= ?", "f.started_at_ms < ?"];
    let mut args = vec![
        SqlValue::Integer(to_ms(week)),
        SqlValue::Integer(to_ms(week + Duration::days(7))),
    ];
    if let Some(w) = q.workflow.as_ref().filter(|w| !w.is_empty()) {
        clauses.push("f.workflow = ?");
        args.push(SqlValue::Text(w.clone()));
    }
    if let Some(b) = q.bucket {
        clauses.push("coalesce(f.bucket, f.suggested) = ?");
        args.push(SqlValue::Text(b.as_str().into()));
    }
    if q.unreviewed {
        clauses.push("f.bucket IS NULL");
    }
    (clauses.join(" AND "), args)
}

/// One page of a week's runs to review, newest first, with exact counts from the roll-up.
pub fn week(conn: &Connection, q: &FailureQuery) -> Result<FailurePage> {
    let week = failure::week_start(q.week.unwrap_or_else(Utc::now));
    let (filter, args) = filters(q, week);
    let limit = q.limit.unwrap_or(100).min(1000);
    let offset = q.offset.unwrap_or(0);
    let sql = format!(
        "SELECT {COLUMNS} FROM failure_reviews f INDEXED BY failure_reviews_by_time
         JOIN runs r ON r.rid = f.rid WHERE {filter}
         ORDER BY f.started_at_ms DESC, f.rid DESC LIMIT {limit} OFFSET {offset}"
    );
    let items = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args.iter()), item)?
        .map(|r| r.map(with_evidence))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (runs, reviewed) = week_totals(conn, week, q)?;
    Ok(FailurePage {
        week,
        items,
        total: if q.unreviewed { runs - reviewed } else { runs },
        reviewed,
        pending: classify::pending(conn)?,
    })
}

/// Runs and reviewed runs of the week matching workflow and bucket, from the roll-up.
fn week_totals(conn: &Connection, week: DateTime<Utc>, q: &FailureQuery) -> Result<(u64, u64)> {
    let (runs, reviewed): (i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce(sum(runs), 0), coalesce(sum(reviewed), 0) FROM failure_weekly
             WHERE week_ms = ?1 AND (?2 IS NULL OR workflow = ?2) AND (?3 IS NULL OR bucket = ?3)",
        )?
        .query_row(
            rusqlite::params![
                to_ms(week),
                q.workflow.as_deref().filter(|w| !w.is_empty()),
                q.bucket.map(FailureBucket::as_str)
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    Ok((runs.max(0) as u64, reviewed.max(0) as u64))
}

/// Runs per week, workflow and effective bucket for the `weeks` review weeks ending with the
/// one holding `until`, oldest first. Weeks with no runs have no rows.
pub fn trend(conn: &Connection, until: DateTime<Utc>, weeks: u32) -> Result<Vec<WeekCount>> {
    let last = failure::week_start(until);
    let first = last - Duration::days(7 * i64::from(weeks.max(1) - 1));
    let mut st = conn.prepare_cached(
        "SELECT week_ms, workflow, bucket, runs FROM failure_weekly
         WHERE week_ms >= ?1 AND week_ms <= ?2 AND runs > 0 ORDER BY week_ms, workflow, bucket",
    )?;
    let rows = st
        .query_map([to_ms(first), to_ms(last)], |r| {
            let bucket: String = r.get(2)?;
            Ok(WeekCount {
                week: from_ms(r.get(0)?),
                workflow: r.get(1)?,
                bucket: FailureBucket::parse(&bucket).unwrap_or(FailureBucket::Other),
                runs: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// What an operator's bucket changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct BucketSet {
    /// The effective bucket before (the earlier operator's, else the suggestion).
    pub before: FailureBucket,
    /// The bucket now.
    pub after: FailureBucket,
    /// The run, as it now reads.
    pub item: FailureItem,
}

/// Confirms or changes a run's bucket and records it in the audit trail (before → after, with
/// the suggestion) in the caller's transaction.
pub fn set_bucket(
    conn: &Connection,
    backend_id: &str,
    run_id: &str,
    bucket: FailureBucket,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<BucketSet> {
    let found: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT f.rid, f.suggested, f.bucket FROM failure_reviews f
             JOIN runs r ON r.rid = f.rid WHERE r.backend_id = ?1 AND r.run_id = ?2",
            [backend_id, run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((rid, suggested, earlier)) = found else {
        return Err(StoreError::Invalid(format!(
            "run {run_id} of {backend_id} is not in the failure review"
        )));
    };
    let before = earlier
        .as_deref()
        .or(Some(suggested.as_str()))
        .and_then(FailureBucket::parse)
        .unwrap_or(FailureBucket::Other);
    conn.execute(
        "UPDATE failure_reviews SET bucket = ?1, reviewed_by = ?2, reviewed_at_ms = ?3
         WHERE rid = ?4",
        rusqlite::params![bucket.as_str(), actor, to_ms(at), rid],
    )?;
    audit::append(
        conn,
        actor,
        kinds::FAILURE_BUCKET_SET,
        &format!("{backend_id}/{run_id}"),
        serde_json::json!({
            "backend_id": backend_id,
            "run_id": run_id,
            "before": before.as_str(),
            "after": bucket.as_str(),
            "suggested": suggested,
            "confirmed": bucket == before,
        }),
        at,
    )?;
    let item = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM failure_reviews f JOIN runs r ON r.rid = f.rid WHERE f.rid = ?1"),
            [rid],
            item,
        )
        .map(with_evidence)?;
    Ok(BucketSet {
        before,
        after: bucket,
        item,
    })
}

/// Header of the CSV export.
pub const CSV_HEADER: [&str; 11] = [
    "week_start_utc",
    "started_at_utc",
    "backend_id",
    "run_id",
    "workflow",
    "outcome",
    "suggested_bucket",
    "bucket",
    "reviewed_by",
    "evidence",
    "user_id",
];

/// Every run of the week matching `q` (paging ignored) as CSV, safe against formula injection
/// since run text is untrusted ([`countersign_core::csv`]).
pub fn week_csv(conn: &Connection, q: &FailureQuery) -> Result<String> {
    let week = failure::week_start(q.week.unwrap_or_else(Utc::now));
    let (filter, args) = filters(q, week);
    let sql = format!(
        "SELECT {COLUMNS} FROM failure_reviews f INDEXED BY failure_reviews_by_time
         JOIN runs r ON r.rid = f.rid WHERE {filter} ORDER BY f.started_at_ms DESC, f.rid DESC"
    );
    let mut out = csv::row(&CSV_HEADER);
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(params_from_iter(args.iter()))?;
    let week_text = week.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    while let Some(r) = rows.next()? {
        let it = with_evidence(item(r)?);
        let evidence = it
            .evidence
            .iter()
            .map(|e| format!("{}: {}", e.bucket.as_str(), e.detail))
            .collect::<Vec<_>>()
            .join(" | ");
        out.push_str(&csv::row(&[
            week_text.as_str(),
            &it.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            &it.backend_id,
            &it.run_id,
            &it.workflow,
            it.outcome.as_str(),
            it.suggested.as_str(),
            it.bucket.map(FailureBucket::as_str).unwrap_or(""),
            it.reviewed_by.as_deref().unwrap_or(""),
            &evidence,
            &it.user_id,
        ]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
