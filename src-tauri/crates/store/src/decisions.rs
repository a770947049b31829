//! The `decisions`, `citation_opens` and `second_reviews` tables: the console's own record of
//! what its reviewers decided (whatever the backend kind), which citations they opened, and the
//! blind second opinions on a sample of decisions. The trust view and the readiness scorecard
//! are computed from these, never from a backend's own tables.

use crate::error::{Result, StoreError};
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

/// A decision as the console recorded it.
pub struct NewDecision<'a> {
    /// Backend.
    pub backend_id: &'a str,
    /// Action.
    pub action_id: &'a str,
    /// The run that proposed it.
    pub run_id: &'a str,
    /// Action kind (`issue_refund`).
    pub action_kind: &'a str,
    /// Who decided.
    pub reviewer: &'a str,
    /// `approve`, `approve_with_edits`, `deny` or `escalate`.
    pub decision: &'a str,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// From the reviewer's latest recorded opening, if any.
    pub time_to_decide_ms: Option<i64>,
    /// Decided under the minimum review time.
    pub too_fast: bool,
    /// Names of the fields the reviewer corrected.
    pub corrected_fields: &'a [String],
    /// The audit event that records it.
    pub audit_seq: Option<i64>,
}

/// Records a decision; call in the transaction that queues it and appends its audit event.
/// The workflow comes from the action (or its run), the citation opens from what this
/// reviewer opened for the run before now, the sample key from `sample_key` (0..10000).
pub fn record(conn: &Connection, d: &NewDecision<'_>, sample_key: u32) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO decisions (backend_id, action_id, run_id, workflow, action_kind, reviewer,
             decision, decided_at_ms, time_to_decide_ms, too_fast, corrected_fields,
             citation_opens, sample_key, audit_seq)
         VALUES (?1, ?2, ?3,
             coalesce(nullif((SELECT workflow FROM actions WHERE backend_id = ?1 AND action_id = ?2), ''),
                      (SELECT workflow FROM runs WHERE backend_id = ?1 AND run_id = ?3), ''),
             ?4, ?5, ?6, ?7, ?8, ?9, ?10,
             (SELECT count(*) FROM citation_opens
              WHERE backend_id = ?1 AND run_id = ?3 AND actor = ?5 AND opened_at_ms <= ?7),
             ?11, ?12)",
    )?
    .execute(params![
        d.backend_id,
        d.action_id,
        d.run_id,
        d.action_kind,
        d.reviewer,
        d.decision,
        to_ms(d.decided_at),
        d.time_to_decide_ms,
        d.too_fast,
        serde_json::to_string(d.corrected_fields)?,
        i64::from(sample_key % 10_000),
        d.audit_seq,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// What a reviewer opened: the cited passage in the console or the source document itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CitationTarget {
    /// The passage, in the run's citation panel.
    Passage,
    /// The source document (its URL).
    Source,
}

impl CitationTarget {
    fn as_str(self) -> &'static str {
        match self {
            CitationTarget::Passage => "passage",
            CitationTarget::Source => "source",
        }
    }
}

/// A citation (or its source) someone opened.
pub struct CitationOpen<'a> {
    /// Backend of the run.
    pub backend_id: &'a str,
    /// The run whose citation it is.
    pub run_id: &'a str,
    /// The action under review when it was opened, if any.
    pub action_id: Option<&'a str>,
    /// Who opened it.
    pub actor: &'a str,
    /// The cited document.
    pub doc_id: &'a str,
    /// Passage or source.
    pub target: CitationTarget,
    /// When.
    pub at: DateTime<Utc>,
}

/// Records a citation opening (call with its audit event).
pub fn record_citation_open(conn: &Connection, c: &CitationOpen<'_>) -> Result<()> {
    conn.execute(
        "INSERT INTO citation_opens (backend_id, run_id, action_id, actor, doc_id, target,
             opened_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            c.backend_id,
            c.run_id,
            c.action_id,
            c.actor,
            c.doc_id,
            c.target.as_str(),
            to_ms(c.at)
        ],
    )?;
    Ok(())
}

/// A recorded decision, as the drill-downs list it. Expired actions appear with decision
/// `expired` and no reviewer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct DecisionRow {
    /// Row id in `decisions` (0 for an expired action).
    pub id: i64,
    /// Backend.
    pub backend_id: String,
    /// Action.
    pub action_id: String,
    /// Run.
    pub run_id: String,
    /// Workflow.
    pub workflow: String,
    /// Action kind.
    pub action_kind: String,
    /// Reviewer ('' for expired).
    pub reviewer: String,
    /// `approve`, `approve_with_edits`, `deny`, `escalate` or `expired`.
    pub decision: String,
    /// When decided (the deadline for an expired action).
    pub decided_at: DateTime<Utc>,
    /// Time to decide, if an opening was recorded.
    #[ts(type = "number | null")]
    pub time_to_decide_ms: Option<i64>,
    /// Decided under the minimum review time.
    pub too_fast: bool,
    /// Fields corrected.
    pub corrected_fields: Vec<String>,
    /// Citations opened before deciding.
    #[ts(type = "number")]
    pub citation_opens: i64,
    /// The action's status now (`rolled_back` for an approval later undone).
    pub action_status: String,
    /// The second opinion, if one was recorded: would the second reviewer have approved?
    pub second_would_approve: Option<bool>,
    /// Whether that opinion disagrees with the decision.
    pub second_disagrees: Option<bool>,
}

pub(crate) const ROW_COLUMNS: &str = "d.id, d.backend_id, d.action_id, d.run_id,
    d.workflow, d.action_kind, d.reviewer, d.decision, d.decided_at_ms, d.time_to_decide_ms,
    d.too_fast, d.corrected_fields, d.citation_opens, coalesce(a.status, ''),
    s.would_approve, s.disagrees";

pub(crate) fn row(r: &Row<'_>) -> rusqlite::Result<DecisionRow> {
    let fields: String = r.get(11)?;
    Ok(DecisionRow {
        id: r.get(0)?,
        backend_id: r.get(1)?,
        action_id: r.get(2)?,
        run_id: r.get(3)?,
        workflow: r.get(4)?,
        action_kind: r.get(5)?,
        reviewer: r.get(6)?,
        decision: r.get(7)?,
        decided_at: from_ms(r.get(8)?),
        time_to_decide_ms: r.get(9)?,
        too_fast: r.get(10)?,
        corrected_fields: serde_json::from_str(&fields).unwrap_or_default(),
        citation_opens: r.get(12)?,
        action_status: r.get(13)?,
        second_would_approve: r.get(14)?,
        second_disagrees: r.get(15)?,
    })
}

/// One decision.
pub fn get(conn: &Connection, id: i64) -> Result<Option<DecisionRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {ROW_COLUMNS} FROM decisions d
                 LEFT JOIN actions a ON a.backend_id = d.backend_id AND a.action_id = d.action_id
                 LEFT JOIN second_reviews s ON s.decision_id = d.id
                 WHERE d.id = ?1"
            ),
            [id],
            row,
        )
        .optional()?)
}

/// Whether a decision approved (with or without edits).
pub fn approves(decision: &str) -> bool {
    matches!(decision, "approve" | "approve_with_edits")
}

/// Decisions a second reviewer may be shown: in the sample (`sample_key` under
/// `share_basis_points`), approve / approve with edits / deny, not yet second-reviewed, newest
/// first, at most `limit`. `not_by(backend_id)` names the identity that would review on that
/// backend: its own decisions are left out (a second review is by someone else).
pub fn second_review_queue(
    conn: &Connection,
    share_basis_points: u32,
    not_by: &dyn Fn(&str) -> Option<String>,
    limit: usize,
) -> Result<Vec<DecisionRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM decisions d
         LEFT JOIN actions a ON a.backend_id = d.backend_id AND a.action_id = d.action_id
         LEFT JOIN second_reviews s ON s.decision_id = d.id
         WHERE d.sample_key < ?1 AND s.decision_id IS NULL
           AND d.decision IN ('approve', 'approve_with_edits', 'deny')
         ORDER BY d.decided_at_ms DESC"
    ))?;
    let mut out = Vec::new();
    let mut rows = st.query([share_basis_points.min(10_000)])?;
    while let Some(r) = rows.next()? {
        let d = row(r)?;
        if not_by(&d.backend_id).as_deref() == Some(d.reviewer.as_str()) {
            continue;
        }
        out.push(d);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Records a blind second opinion on decision `id` and returns whether it disagrees. Refused
/// when the decision is unknown, already second-reviewed, or was made by `reviewer`. Nothing
/// is executed or sent: call with its audit event.
pub fn record_second_review(
    conn: &Connection,
    id: i64,
    reviewer: &str,
    would_approve: bool,
    note: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let (first, decision): (String, String) = conn
        .query_row(
            "SELECT reviewer, decision FROM decisions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::Invalid(format!("no decision {id}")))?;
    if first == reviewer {
        return Err(StoreError::Invalid(
            "a second review must be by someone other than the first reviewer".into(),
        ));
    }
    let disagrees = approves(&decision) != would_approve;
    let res = conn.execute(
        "INSERT INTO second_reviews (decision_id, reviewer, would_approve, disagrees, note,
             reviewed_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, reviewer, would_approve, disagrees, note, to_ms(at)],
    );
    match res {
        Ok(_) => Ok(disagrees),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(StoreError::Invalid(format!(
                "decision {id} already has a second review"
            )))
        }
        Err(e) => Err(e.into()),
    }
}
