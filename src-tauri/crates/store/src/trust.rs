//! The trust view: what reviewers actually did with the writes put to them, per workflow,
//! action kind, reviewer and week — decisions by kind, corrections, time to decide, decisions
//! under the minimum review time, escalations, citation opens, approvals later rolled back and
//! second-review disagreement. Computed in one pass over the console's `decisions` table (every
//! backend kind) plus the expired actions; every number has a drill-down ([`drill`]).

use crate::decisions::{self, DecisionRow, ROW_COLUMNS, approves};
use crate::error::Result;
use crate::time::{from_ms, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Milliseconds in a week.
pub const WEEK_MS: i64 = 7 * 86_400_000;
/// 1970-01-05, the first Monday after the epoch: weeks start on Mondays, 00:00 UTC.
const FIRST_MONDAY_MS: i64 = 4 * 86_400_000;

/// The Monday 00:00 UTC that starts the week holding `ms`.
pub fn week_start_ms(ms: i64) -> i64 {
    (ms - FIRST_MONDAY_MS).div_euclid(WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS
}

/// Upper bounds (exclusive, ms) of the time-to-decide distribution's bins; a last bin holds
/// everything slower.
pub const TTD_BIN_EDGES_MS: [i64; 10] = [
    1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000, 120_000, 300_000, 900_000,
];

/// Which decisions to count: decided in `[from, to)` (open ends when `None`), optionally of one
/// workflow, action kind or reviewer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrustQuery {
    /// Start (inclusive).
    #[ts(optional = nullable)]
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive).
    #[ts(optional = nullable)]
    pub to: Option<DateTime<Utc>>,
    /// Only this workflow.
    #[ts(optional = nullable)]
    pub workflow: Option<String>,
    /// Only this action kind.
    #[ts(optional = nullable)]
    pub action_kind: Option<String>,
    /// Only this reviewer.
    #[ts(optional = nullable)]
    pub reviewer: Option<String>,
}

/// A field and how often reviewers corrected it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldCount {
    /// Field name.
    pub field: String,
    /// Decisions that corrected it.
    #[ts(type = "number")]
    pub count: i64,
}

/// The trust numbers of one group of decisions. Rates are `None` when their denominator is 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrustStats {
    /// Decisions made (approve, approve with edits, deny, escalate; not expired).
    #[ts(type = "number")]
    pub decisions: i64,
    /// Approved as proposed.
    #[ts(type = "number")]
    pub approve: i64,
    /// Approved with corrected fields.
    #[ts(type = "number")]
    pub approve_with_edits: i64,
    /// Denied.
    #[ts(type = "number")]
    pub deny: i64,
    /// Escalated to another role.
    #[ts(type = "number")]
    pub escalate: i64,
    /// Actions whose deadline passed with no decision (not in `decisions`).
    #[ts(type = "number")]
    pub expired: i64,
    /// Writes the backend let through without review at the workflow's autonomy level
    /// (`sampled_approval`, `autonomous_within_caps`): no reviewer's decision, so in no
    /// reviewer metric and in no reviewer's group.
    #[ts(type = "number")]
    pub auto_executed: i64,
    /// Approvals (with or without edits).
    #[ts(type = "number")]
    pub approvals: i64,
    /// Approvals in which the reviewer corrected at least one field.
    #[ts(type = "number")]
    pub corrected: i64,
    /// `corrected / approvals`.
    pub correction_rate: Option<f64>,
    /// The fields corrected most, most first (at most 5).
    pub top_corrected_fields: Vec<FieldCount>,
    /// Decisions with a recorded time to decide.
    #[ts(type = "number")]
    pub timed: i64,
    /// Median time to decide (nearest rank), ms.
    #[ts(type = "number | null")]
    pub p50_ms: Option<i64>,
    /// 90th percentile time to decide (nearest rank), ms.
    #[ts(type = "number | null")]
    pub p90_ms: Option<i64>,
    /// Decisions made under the minimum review time (flagged when decided).
    #[ts(type = "number")]
    pub too_fast: i64,
    /// `too_fast / timed`.
    pub too_fast_rate: Option<f64>,
    /// `escalate / decisions`.
    pub escalation_rate: Option<f64>,
    /// Citations or sources opened by the reviewer before deciding, summed.
    #[ts(type = "number")]
    pub citation_opens: i64,
    /// `citation_opens / decisions`.
    pub citation_opens_per_decision: Option<f64>,
    /// Decisions with at least one citation opened.
    #[ts(type = "number")]
    pub with_citation_opens: i64,
    /// Approvals whose write was later rolled back.
    #[ts(type = "number")]
    pub rolled_back: i64,
    /// Decisions with a blind second review.
    #[ts(type = "number")]
    pub second_reviews: i64,
    /// Second reviews that disagree with the decision.
    #[ts(type = "number")]
    pub disagreements: i64,
    /// `disagreements / second_reviews`.
    pub disagreement_rate: Option<f64>,
}

/// A group's key and numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrustGroup {
    /// Workflow, action kind, reviewer, or the week's Monday (RFC 3339) — see [`Dimension`].
    pub key: String,
    /// Its numbers.
    pub stats: TrustStats,
}

/// One bin of the time-to-decide distribution: `[from_ms, to_ms)`; `to_ms` is `None` for the
/// last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TtdBin {
    /// Lower bound, ms.
    #[ts(type = "number")]
    pub from_ms: i64,
    /// Upper bound (exclusive), ms.
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
    /// Decisions in it.
    #[ts(type = "number")]
    pub count: i64,
    /// Of which under the minimum review time.
    #[ts(type = "number")]
    pub too_fast: i64,
}

/// Writes of one workflow executed without review at one autonomy level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AutoExecuted {
    /// Workflow.
    pub workflow: String,
    /// The level that let them through (`sampled_approval`, `autonomous_within_caps`).
    pub level: String,
    /// How many.
    #[ts(type = "number")]
    pub count: i64,
}

/// The trust view's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrustReport {
    /// What was counted.
    pub query: TrustQuery,
    /// Every decision counted.
    pub totals: TrustStats,
    /// Per workflow, most decisions first.
    pub by_workflow: Vec<TrustGroup>,
    /// Per action kind.
    pub by_action_kind: Vec<TrustGroup>,
    /// Per reviewer.
    pub by_reviewer: Vec<TrustGroup>,
    /// Per week (Monday 00:00 UTC), oldest first.
    pub by_week: Vec<TrustGroup>,
    /// Time to decide, all decisions with a recorded time.
    pub ttd_distribution: Vec<TtdBin>,
    /// Writes executed without review, per workflow and autonomy level (sorted by both).
    pub executed_without_review: Vec<AutoExecuted>,
}

/// How the decisions are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// By the run's workflow.
    Workflow,
    /// By action kind.
    ActionKind,
    /// By reviewer.
    Reviewer,
    /// By week; the key is the week's Monday as RFC 3339.
    Week,
}

#[derive(Default)]
struct Acc {
    stats: TrustStats,
    ttds: Vec<i64>,
    fields: HashMap<String, i64>,
}

impl Acc {
    fn finish(mut self) -> TrustStats {
        let mut s = self.stats;
        s.timed = self.ttds.len() as i64;
        (s.p50_ms, s.p90_ms) = p50_p90(&mut self.ttds);
        s.approvals = s.approve + s.approve_with_edits;
        s.correction_rate = rate(s.corrected, s.approvals);
        s.too_fast_rate = rate(s.too_fast, s.timed);
        s.escalation_rate = rate(s.escalate, s.decisions);
        s.citation_opens_per_decision = rate(s.citation_opens, s.decisions);
        s.disagreement_rate = rate(s.disagreements, s.second_reviews);
        let mut fields: Vec<FieldCount> = self
            .fields
            .into_iter()
            .map(|(field, count)| FieldCount { field, count })
            .collect();
        fields.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.field.cmp(&b.field)));
        fields.truncate(5);
        s.top_corrected_fields = fields;
        s
    }
}

/// `n / d`, or `None` when `d` is 0.
pub fn rate(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The nearest-rank percentile `p` (0..=100) of sorted `v`: the smallest value with at least
/// p % of the values at or below it.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted.get(rank - 1).copied()
}

/// The nearest-rank 50th and 90th percentiles of `v` (reordered), in linear time.
fn p50_p90(v: &mut [i64]) -> (Option<i64>, Option<i64>) {
    let rank = |p: usize| (p * v.len()).div_ceil(100).max(1);
    if v.is_empty() {
        return (None, None);
    }
    let (r50, r90) = (rank(50), rank(90));
    let p90 = *v.select_nth_unstable(r90 - 1).1;
    // The r90 smallest values are now v[..r90]; the r50-th smallest is among them.
    let p50 = *v[..r90].select_nth_unstable(r50 - 1).1;
    (Some(p50), Some(p90))
}

/// One decision's contribution.
struct Fact<'a> {
    decision: &'a str,
    ttd: Option<i64>,
    too_fast: bool,
    corrected: &'a [String],
    citation_opens: i64,
    rolled_back: bool,
    second: Option<bool>,
}

fn add(acc: &mut Acc, f: &Fact<'_>) {
    let s = &mut acc.stats;
    match f.decision {
        "expired" => {
            s.expired += 1;
            return;
        }
        "approve" => s.approve += 1,
        "approve_with_edits" => s.approve_with_edits += 1,
        "deny" => s.deny += 1,
        _ => s.escalate += 1,
    }
    s.decisions += 1;
    if approves(f.decision) && !f.corrected.is_empty() {
        s.corrected += 1;
        for name in f.corrected {
            *acc.fields.entry(name.clone()).or_default() += 1;
        }
    }
    if let Some(t) = f.ttd {
        acc.ttds.push(t);
    }
    s.too_fast += i64::from(f.too_fast);
    s.citation_opens += f.citation_opens;
    s.with_citation_opens += i64::from(f.citation_opens > 0);
    s.rolled_back += i64::from(f.rolled_back && approves(f.decision));
    if let Some(disagrees) = f.second {
        s.second_reviews += 1;
        s.disagreements += i64::from(disagrees);
    }
}

fn week_key(week_start: i64) -> String {
    from_ms(week_start).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn groups(map: HashMap<String, Acc>, by_key: bool) -> Vec<TrustGroup> {
    let mut v: Vec<TrustGroup> = map
        .into_iter()
        .map(|(key, acc)| TrustGroup {
            key,
            stats: acc.finish(),
        })
        .collect();
    if by_key {
        v.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        v.sort_by(|a, b| {
            let n = |s: &TrustStats| s.decisions + s.expired + s.auto_executed;
            n(&b.stats)
                .cmp(&n(&a.stats))
                .then_with(|| a.key.cmp(&b.key))
        });
    }
    v
}

/// A run's workflow, for decisions recorded before their run was synced.
fn run_workflow(conn: &Connection, backend_id: &str, run_id: &str) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT workflow FROM runs WHERE backend_id = ?1 AND run_id = ?2")?
        .query_row(params![backend_id, run_id], |r| r.get(0))
        .unwrap_or_default())
}

/// Appends the conditions of `q`'s period (on the time column `at`) and action kind (on the
/// column `kind`) to `sql`, and their values to `args`: only the filters given become
/// conditions, so SQLite picks an index for them instead of testing `? IS NULL` per row.
fn push_period_and_kind(
    q: &TrustQuery,
    at: &str,
    kind: &str,
    sql: &mut String,
    args: &mut Vec<rusqlite::types::Value>,
) {
    use rusqlite::types::Value;
    if let Some(from) = q.from {
        sql.push_str(&format!(" AND {at} >= ?"));
        args.push(Value::Integer(to_ms(from)));
    }
    if let Some(to) = q.to {
        sql.push_str(&format!(" AND {at} < ?"));
        args.push(Value::Integer(to_ms(to)));
    }
    if let Some(k) = &q.action_kind {
        sql.push_str(&format!(" AND {kind} = ?"));
        args.push(Value::Text(k.clone()));
    }
}

/// The expired actions (and pending ones past their deadline) `q` selects: two range scans of
/// the covering index `actions_by_expiry` (status, deadline), one per status; only the
/// filters given become conditions.
fn expired_sql(q: &TrustQuery, now: DateTime<Utc>) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut cond = String::new();
    let mut cond_args = Vec::new();
    push_period_and_kind(q, "a.expires_at_ms", "a.kind", &mut cond, &mut cond_args);
    let part = |status: &str| {
        format!(
            "SELECT a.backend_id, a.action_id, a.run_id,
                CASE WHEN a.workflow <> '' THEN a.workflow
                     ELSE coalesce((SELECT r.workflow FROM runs r
                                    WHERE r.backend_id = a.backend_id AND r.run_id = a.run_id), '')
                END,
                a.kind, a.expires_at_ms, a.status
             FROM actions a INDEXED BY actions_by_expiry WHERE a.status = '{status}'"
        )
    };
    let sql = format!(
        "{}{cond} UNION ALL {} AND a.expires_at_ms <= ?{cond}",
        part("expired"),
        part("pending")
    );
    let mut args = cond_args.clone();
    args.push(Value::Integer(to_ms(now)));
    args.extend(cond_args);
    (sql, args)
}

/// The expired actions in the query's period (their deadline in it), as rows.
fn expired_rows(conn: &Connection, q: &TrustQuery, now: DateTime<Utc>) -> Result<Vec<DecisionRow>> {
    if q.reviewer.as_deref().is_some_and(|r| !r.is_empty()) {
        // An expiry has no reviewer: it is in the report's reviewer group '' only.
        return Ok(Vec::new());
    }
    let (sql, args) = expired_sql(q, now);
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args), |r| {
            // Nobody decided it: no reviewer, opening, correction or second opinion.
            Ok(DecisionRow {
                backend_id: r.get(0)?,
                action_id: r.get(1)?,
                run_id: r.get(2)?,
                workflow: r.get(3)?,
                action_kind: r.get(4)?,
                decision: "expired".into(),
                decided_at: from_ms(r.get(5)?),
                action_status: r.get(6)?,
                ..DecisionRow::default()
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter(|d| q.workflow.as_ref().is_none_or(|w| *w == d.workflow))
        .collect())
}

/// Writes executed without review of one (workflow, action kind, level, week start): how many.
type AutoGroup = (String, String, String, i64, i64);

/// Writes executed without review that `q` selects (decided in its period, of its workflow
/// and action kind; none for a reviewer), read through `actions_auto_executed`, grouped by
/// workflow, action kind, level and week: `(workflow, kind, level, week start, count)`.
fn auto_executed(conn: &Connection, q: &TrustQuery) -> Result<Vec<AutoGroup>> {
    use rusqlite::types::Value;
    if q.reviewer.is_some() {
        // Nobody reviewed them: no reviewer's filter selects them.
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "SELECT CASE WHEN a.workflow <> '' THEN a.workflow
                    ELSE coalesce((SELECT r.workflow FROM runs r
                                   WHERE r.backend_id = a.backend_id AND r.run_id = a.run_id), '')
               END AS wf,
            a.kind, a.auto_level,
            a.decided_at_ms - ((a.decided_at_ms - ?1) % ?2 + ?2) % ?2 AS week, count(*)
         FROM actions a WHERE a.auto_level <> ''",
    );
    let mut args = vec![Value::Integer(FIRST_MONDAY_MS), Value::Integer(WEEK_MS)];
    push_period_and_kind(q, "a.decided_at_ms", "a.kind", &mut sql, &mut args);
    sql.push_str(" GROUP BY 1, 2, 3, 4");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<Vec<AutoGroup>>>()?;
    Ok(rows
        .into_iter()
        .filter(|g| q.workflow.as_ref().is_none_or(|w| *w == g.0))
        .collect())
}

/// The writes executed without review behind [`Metric::AutoExecuted`], newest first, at most
/// `limit`, as rows: reviewer `autonomy:<level>`, decision `executed_without_review`.
fn auto_executed_rows(
    conn: &Connection,
    q: &TrustQuery,
    level: Option<&str>,
    limit: usize,
) -> Result<Vec<DecisionRow>> {
    if q.reviewer.is_some() {
        return Ok(Vec::new());
    }
    let mut st = conn.prepare_cached(
        "SELECT a.backend_id, a.action_id, a.run_id,
            CASE WHEN a.workflow <> '' THEN a.workflow
                 ELSE coalesce((SELECT r.workflow FROM runs r
                                WHERE r.backend_id = a.backend_id AND r.run_id = a.run_id), '')
            END AS wf,
            a.kind, a.auto_level, a.decided_at_ms, a.status
         FROM actions a
         WHERE a.auto_level <> ''
           AND (?1 IS NULL OR a.decided_at_ms >= ?1) AND (?2 IS NULL OR a.decided_at_ms < ?2)
           AND (?3 IS NULL OR a.kind = ?3) AND (?4 IS NULL OR a.auto_level = ?4)
           AND (?5 IS NULL OR wf = ?5)
         ORDER BY a.decided_at_ms DESC, a.action_id DESC LIMIT ?6",
    )?;
    let rows = st
        .query_map(
            params![
                q.from.map(to_ms),
                q.to.map(to_ms),
                q.action_kind,
                level,
                q.workflow,
                limit as i64
            ],
            |r| {
                // Let through by its level: no opening, correction or second opinion.
                Ok(DecisionRow {
                    backend_id: r.get(0)?,
                    action_id: r.get(1)?,
                    run_id: r.get(2)?,
                    workflow: r.get(3)?,
                    action_kind: r.get(4)?,
                    reviewer: format!("autonomy:{}", r.get::<_, String>(5)?),
                    decision: "executed_without_review".into(),
                    decided_at: from_ms(r.get(6)?),
                    action_status: r.get(7)?,
                    ..DecisionRow::default()
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Adds the expiries of `q` (as [`expired_rows`] lists them, read without copying).
fn tally_expired(
    conn: &Connection,
    q: &TrustQuery,
    now: DateTime<Utc>,
    t: &mut Tally,
) -> Result<()> {
    if q.reviewer.as_deref().is_some_and(|r| !r.is_empty()) {
        return Ok(());
    }
    let (sql, args) = expired_sql(q, now);
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let fact = Fact {
        decision: "expired",
        ttd: None,
        too_fast: false,
        corrected: &[],
        citation_opens: 0,
        rolled_back: false,
        second: None,
    };
    while let Some(r) = rows.next()? {
        let workflow = text(r, 3)?;
        if q.workflow.as_ref().is_some_and(|w| w != workflow) {
            continue;
        }
        t.fact([workflow, text(r, 4)?, ""], r.get(5)?, &fact);
    }
    Ok(())
}

/// Column `i` as text, without copying it.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// Which decisions of a period are read from `decisions` row by row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Every decision in the period.
    All,
    /// Only those whose run was not synced when decided (workflow ''): the roll-up leaves
    /// them out, their workflow is looked up now.
    Unsynced,
}

/// The decisions `q` selects, with whether their action was rolled back and their second
/// opinion. Only the filters given become conditions, so SQLite reads them through
/// `decisions_by_time`, `_by_workflow` or `_by_reviewer` instead of scanning. Decisions
/// recorded before their run was synced (workflow '') are always read; the caller matches
/// them by their run's workflow.
fn decisions_sql(q: &TrustQuery, rows: Rows) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from(
        "SELECT d.id, d.backend_id, d.action_id, d.run_id, d.workflow, d.action_kind, d.reviewer,
            d.decision, d.decided_at_ms, d.time_to_decide_ms, d.too_fast, d.corrected_fields,
            d.citation_opens,
            EXISTS (SELECT 1 FROM actions a WHERE a.backend_id = d.backend_id
                    AND a.action_id = d.action_id AND a.status = 'rolled_back'),
            (SELECT s.disagrees FROM second_reviews s WHERE s.decision_id = d.id)
         FROM decisions d WHERE 1",
    );
    let mut args = Vec::new();
    push_period_and_kind(q, "d.decided_at_ms", "d.action_kind", &mut sql, &mut args);
    if let Some(r) = &q.reviewer {
        sql.push_str(" AND d.reviewer = ?");
        args.push(Value::Text(r.clone()));
    }
    match (rows, &q.workflow) {
        (Rows::Unsynced, _) => sql.push_str(" AND d.workflow = ''"),
        (Rows::All, Some(w)) => {
            sql.push_str(" AND d.workflow IN (?, '')");
            args.push(Value::Text(w.clone()));
        }
        (Rows::All, None) => {}
    }
    (sql, args)
}

/// The report's accumulators: totals, per workflow / action kind / reviewer, per week, and
/// the time-to-decide bins.
struct Tally {
    total: Acc,
    by: [HashMap<String, Acc>; 3],
    weeks: HashMap<i64, Acc>,
    bins: Vec<(i64, i64)>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            total: Acc::default(),
            by: Default::default(),
            weeks: HashMap::new(),
            bins: vec![(0, 0); TTD_BIN_EDGES_MS.len() + 1],
        }
    }

    /// The accumulators of a group: total, workflow, kind, reviewer, week.
    fn accs(&mut self, keys: [&str; 3], week: i64) -> [&mut Acc; 5] {
        let [wf, kind, reviewer] = &mut self.by;
        let a = wf.entry(keys[0].to_string()).or_default();
        let b = kind.entry(keys[1].to_string()).or_default();
        let c = reviewer.entry(keys[2].to_string()).or_default();
        let d = self.weeks.entry(week).or_default();
        [&mut self.total, a, b, c, d]
    }

    fn bin(&mut self, ttd: i64, too_fast: bool) {
        let i = TTD_BIN_EDGES_MS.partition_point(|edge| *edge <= ttd);
        self.bins[i].0 += 1;
        self.bins[i].1 += i64::from(too_fast);
    }

    /// One decision (or expiry).
    fn fact(&mut self, keys: [&str; 3], at_ms: i64, f: &Fact<'_>) {
        for acc in self.accs(keys, week_start_ms(at_ms)) {
            add(acc, f);
        }
        if let Some(t) = f.ttd {
            self.bin(t, f.too_fast);
        }
    }

    /// `n` writes executed without review: every group but the reviewer's.
    fn auto(&mut self, workflow: &str, kind: &str, week: i64, n: i64) {
        let [wf, by_kind, _] = &mut self.by;
        for acc in [
            &mut self.total,
            wf.entry(workflow.to_string()).or_default(),
            by_kind.entry(kind.to_string()).or_default(),
            self.weeks.entry(week).or_default(),
        ] {
            acc.stats.auto_executed += n;
        }
    }

    /// One cell of the daily roll-up.
    fn cell(&mut self, keys: [&str; 3], day_ms: i64, c: &Cell, ttds: &str) -> Result<()> {
        let mut values = Vec::new();
        for v in ttds.split(',').filter(|v| !v.is_empty()) {
            let v: i64 = v
                .parse()
                .map_err(|e| crate::StoreError::Invalid(format!("trust_daily ttds {v}: {e}")))?;
            values.push(v >> 1);
            self.bin(v >> 1, v & 1 == 1);
        }
        for acc in self.accs(keys, week_start_ms(day_ms)) {
            let s = &mut acc.stats;
            s.approve += c.approve;
            s.approve_with_edits += c.approve_with_edits;
            s.deny += c.deny;
            s.escalate += c.escalate;
            s.decisions += c.approve + c.approve_with_edits + c.deny + c.escalate;
            s.corrected += c.corrected;
            s.too_fast += c.too_fast;
            s.citation_opens += c.citation_opens;
            s.with_citation_opens += c.with_citation_opens;
            s.rolled_back += c.rolled_back;
            s.second_reviews += c.second_reviews;
            s.disagreements += c.disagreements;
            acc.ttds.extend_from_slice(&values);
        }
        Ok(())
    }

    /// Corrections of one field in one cell.
    fn field(&mut self, keys: [&str; 3], day_ms: i64, field: &str, n: i64) {
        for acc in self.accs(keys, week_start_ms(day_ms)) {
            match acc.fields.get_mut(field) {
                Some(c) => *c += n,
                None => {
                    acc.fields.insert(field.to_string(), n);
                }
            }
        }
    }
}

/// The counts of one roll-up cell.
#[derive(Default)]
struct Cell {
    approve: i64,
    approve_with_edits: i64,
    deny: i64,
    escalate: i64,
    corrected: i64,
    too_fast: i64,
    citation_opens: i64,
    with_citation_opens: i64,
    rolled_back: i64,
    second_reviews: i64,
    disagreements: i64,
}

/// The whole days `[lo, hi)` of `q`'s period the roll-up answers (days from 1970 on; an open
/// end reaches as far as the data).
fn rollup_days(q: &TrustQuery) -> (i64, i64) {
    let lo = q.from.map_or(0, |f| {
        let ms = to_ms(f);
        (ms.div_euclid(DAY_MS) + i64::from(ms.rem_euclid(DAY_MS) != 0)) * DAY_MS
    });
    let hi =
        q.to.map_or(i64::MAX, |t| to_ms(t).div_euclid(DAY_MS) * DAY_MS);
    (lo.max(0), hi)
}

/// A layer of the roll-up: the daily cells or the weekly ones (each the sum of its days).
#[derive(Clone, Copy)]
enum Layer {
    /// `trust_daily`, `trust_daily_fields` (migration 0018).
    Daily,
    /// `trust_weekly`, `trust_weekly_fields` (migration 0024), weeks from Monday 00:00 UTC.
    Weekly,
}

/// The whole weeks `[lo, hi)` within whole days `[lo_day, hi_day)` (`hi_day` `i64::MAX`: open).
fn whole_weeks(lo_day: i64, hi_day: i64) -> (i64, i64) {
    let start = week_start_ms(lo_day);
    let lo = if start == lo_day {
        start
    } else {
        start + WEEK_MS
    };
    let hi = if hi_day == i64::MAX {
        i64::MAX
    } else {
        week_start_ms(hi_day)
    };
    (lo, hi)
}

/// Adds the roll-up cells of `q` in whole days `[lo, hi)`: whole weeks from the weekly layer,
/// the days of partial weeks from the daily one.
fn tally_days(conn: &Connection, q: &TrustQuery, lo: i64, hi: i64, t: &mut Tally) -> Result<()> {
    let (wlo, whi) = whole_weeks(lo, hi);
    if wlo >= whi {
        return tally_rollup(conn, q, Layer::Daily, lo, hi, t);
    }
    tally_rollup(conn, q, Layer::Weekly, wlo, whi, t)?;
    if lo < wlo {
        tally_rollup(conn, q, Layer::Daily, lo, wlo, t)?;
    }
    if whi < hi {
        tally_rollup(conn, q, Layer::Daily, whi, hi, t)?;
    }
    Ok(())
}

/// Adds the cells of one roll-up layer of `q` starting in `[lo, hi)`.
fn tally_rollup(
    conn: &Connection,
    q: &TrustQuery,
    layer: Layer,
    lo: i64,
    hi: i64,
    t: &mut Tally,
) -> Result<()> {
    use rusqlite::types::Value;
    let (cells, fields, at) = match layer {
        Layer::Daily => ("trust_daily", "trust_daily_fields", "day_ms"),
        Layer::Weekly => ("trust_weekly", "trust_weekly_fields", "week_ms"),
    };
    let mut cond = format!("{at} >= ? AND {at} < ?");
    let mut args = vec![Value::Integer(lo), Value::Integer(hi)];
    for (col, v) in [
        ("workflow", &q.workflow),
        ("action_kind", &q.action_kind),
        ("reviewer", &q.reviewer),
    ] {
        if let Some(v) = v {
            cond.push_str(&format!(" AND {col} = ?"));
            args.push(Value::Text(v.clone()));
        }
    }
    let mut st = conn.prepare_cached(&format!(
        "SELECT {at}, workflow, action_kind, reviewer, approve, approve_with_edits, deny,
            escalate, corrected, too_fast, citation_opens, with_citation_opens, rolled_back,
            second_reviews, disagreements, ttds
         FROM {cells} WHERE {cond}"
    ))?;
    let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        let c = Cell {
            approve: r.get(4)?,
            approve_with_edits: r.get(5)?,
            deny: r.get(6)?,
            escalate: r.get(7)?,
            corrected: r.get(8)?,
            too_fast: r.get(9)?,
            citation_opens: r.get(10)?,
            with_citation_opens: r.get(11)?,
            rolled_back: r.get(12)?,
            second_reviews: r.get(13)?,
            disagreements: r.get(14)?,
        };
        if c.approve + c.approve_with_edits + c.deny + c.escalate == 0 {
            continue;
        }
        t.cell(
            [text(r, 1)?, text(r, 2)?, text(r, 3)?],
            r.get(0)?,
            &c,
            text(r, 15)?,
        )?;
    }
    let mut st = conn.prepare_cached(&format!(
        "SELECT {at}, workflow, action_kind, reviewer, field, n FROM {fields}
         WHERE {cond} AND n > 0"
    ))?;
    let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        t.field(
            [text(r, 1)?, text(r, 2)?, text(r, 3)?],
            r.get(0)?,
            text(r, 4)?,
            r.get(5)?,
        );
    }
    Ok(())
}

/// Adds the decisions of `q` read row by row.
fn tally_rows(conn: &Connection, q: &TrustQuery, which: Rows, t: &mut Tally) -> Result<()> {
    let (sql, args) = decisions_sql(q, which);
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        let mut workflow = text(r, 4)?;
        let fallback;
        if workflow.is_empty() {
            fallback = run_workflow(conn, text(r, 1)?, text(r, 3)?)?;
            workflow = &fallback;
        }
        if q.workflow.as_ref().is_some_and(|w| w != workflow) {
            continue;
        }
        let decision = text(r, 7)?;
        let fields = text(r, 11)?;
        let corrected: Vec<String> = if fields.len() > 2 {
            serde_json::from_str(fields).unwrap_or_default()
        } else {
            Vec::new()
        };
        let fact = Fact {
            decision,
            ttd: r.get(9)?,
            too_fast: r.get(10)?,
            corrected: &corrected,
            citation_opens: r.get(12)?,
            rolled_back: r.get(13)?,
            second: r.get(14)?,
        };
        t.fact([workflow, text(r, 5)?, text(r, 6)?], r.get(8)?, &fact);
    }
    Ok(())
}

/// The trust report for `q`, as of `now` (which pending actions count as expired). Whole weeks
/// come from the weekly roll-up (`trust_weekly`), the other whole days from the daily one
/// (`trust_daily`); the partial days at the period's edges and decisions not yet tied to a
/// workflow are read from `decisions`.
pub fn report(conn: &Connection, q: &TrustQuery, now: DateTime<Utc>) -> Result<TrustReport> {
    let mut t = Tally::new();
    let (lo, hi) = rollup_days(q);
    if lo < hi {
        tally_days(conn, q, lo, hi, &mut t)?;
        let edge = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| TrustQuery {
            from,
            to,
            ..q.clone()
        };
        tally_rows(conn, &edge(q.from, Some(from_ms(lo))), Rows::All, &mut t)?;
        if q.to.is_some() {
            tally_rows(conn, &edge(Some(from_ms(hi)), q.to), Rows::All, &mut t)?;
        }
        let middle = edge(Some(from_ms(lo)), (hi < i64::MAX).then(|| from_ms(hi)));
        tally_rows(conn, &middle, Rows::Unsynced, &mut t)?;
    } else {
        tally_rows(conn, q, Rows::All, &mut t)?;
    }
    finish(conn, q, now, t)
}

/// [`report`] reading every decision row by row, without the roll-up: the reference the
/// roll-up is tested against, and the benchmark's baseline.
pub fn report_by_rows(
    conn: &Connection,
    q: &TrustQuery,
    now: DateTime<Utc>,
) -> Result<TrustReport> {
    let mut t = Tally::new();
    tally_rows(conn, q, Rows::All, &mut t)?;
    finish(conn, q, now, t)
}

/// Adds the expiries and turns the accumulators into the report.
fn finish(
    conn: &Connection,
    q: &TrustQuery,
    now: DateTime<Utc>,
    mut t: Tally,
) -> Result<TrustReport> {
    tally_expired(conn, q, now, &mut t)?;
    let mut executed: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for (workflow, kind, level, week, n) in auto_executed(conn, q)? {
        t.auto(&workflow, &kind, week, n);
        *executed.entry((workflow, level)).or_default() += n;
    }
    let Tally {
        total,
        by: [wf, kind, reviewer],
        weeks,
        bins,
    } = t;
    let week: HashMap<String, Acc> = weeks.into_iter().map(|(k, v)| (week_key(k), v)).collect();
    let mut lower = 0;
    let ttd_distribution = bins
        .into_iter()
        .enumerate()
        .map(|(i, (count, too_fast))| {
            let bin = TtdBin {
                from_ms: lower,
                to_ms: TTD_BIN_EDGES_MS.get(i).copied(),
                count,
                too_fast,
            };
            lower = bin.to_ms.unwrap_or(lower);
            bin
        })
        .collect();
    Ok(TrustReport {
        query: q.clone(),
        totals: total.finish(),
        by_workflow: groups(wf, false),
        by_action_kind: groups(kind, false),
        by_reviewer: groups(reviewer, false),
        by_week: groups(week, true),
        ttd_distribution,
        executed_without_review: executed
            .into_iter()
            .map(|((workflow, level), count)| AutoExecuted {
                workflow,
                level,
                count,
            })
            .collect(),
    })
}

/// Which decisions a number stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "metric", rename_all = "snake_case")]
pub enum Metric {
    /// Every decision made (the report's `decisions`; expiries are `Kind { kind: "expired" }`).
    All,
    /// Decisions of one kind (`approve`, `approve_with_edits`, `deny`, `escalate`, `expired`).
    Kind {
        /// The kind.
        kind: String,
    },
    /// Approvals with a corrected field (or this field, when given).
    Corrected {
        /// Only corrections of this field.
        #[ts(optional = nullable)]
        field: Option<String>,
    },
    /// Decisions with a recorded time to decide in `[from_ms, to_ms)`.
    TimeToDecide {
        /// Lower bound.
        #[ts(type = "number")]
        from_ms: i64,
        /// Upper bound (exclusive); none for no bound.
        #[ts(type = "number | null")]
        to_ms: Option<i64>,
    },
    /// Decisions under the minimum review time.
    TooFast,
    /// Decisions under the minimum review time with a recorded time to decide in
    /// `[from_ms, to_ms)`: the "too fast" share of one bin of the distribution.
    TooFastToDecide {
        /// Lower bound.
        #[ts(type = "number")]
        from_ms: i64,
        /// Upper bound (exclusive); none for no bound.
        #[ts(type = "number | null")]
        to_ms: Option<i64>,
    },
    /// Decisions with at least one citation opened.
    CitationOpened,
    /// Approvals later rolled back.
    RolledBack,
    /// Decisions with a second review.
    SecondReviewed,
    /// Decisions whose second review disagrees.
    Disagreed,
    /// Writes executed without review at an autonomy level (this level, when given): not
    /// decisions, listed with reviewer `autonomy:<level>`.
    AutoExecuted {
        /// Only this level.
        #[ts(optional = nullable)]
        level: Option<String>,
    },
}

/// What a drill-down lists: the decisions of `query`, in group `group` (dimension and key)
/// when given, that `metric` counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct DrillQuery {
    /// Period and filters.
    pub query: TrustQuery,
    /// One group of the report.
    #[ts(optional = nullable)]
    pub group: Option<(Dimension, String)>,
    /// The number opened.
    pub metric: Metric,
}

/// The decisions behind one number of [`report`], newest first, at most `limit`.
pub fn drill(
    conn: &Connection,
    d: &DrillQuery,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DecisionRow>> {
    let mut q = d.query.clone();
    let mut week: Option<i64> = None;
    match &d.group {
        Some((Dimension::Workflow, k)) => q.workflow = Some(k.clone()),
        Some((Dimension::ActionKind, k)) => q.action_kind = Some(k.clone()),
        Some((Dimension::Reviewer, k)) => q.reviewer = Some(k.clone()),
        Some((Dimension::Week, k)) => {
            let start = DateTime::parse_from_rfc3339(k)
                .map(|t| to_ms(t.with_timezone(&Utc)))
                .map_err(|e| crate::StoreError::Invalid(format!("week {k}: {e}")))?;
            week = Some(start);
        }
        None => {}
    }
    if let Some(start) = week {
        let (from, to) = (from_ms(start), from_ms(start + WEEK_MS));
        q.from = Some(q.from.map_or(from, |f| f.max(from)));
        q.to = Some(q.to.map_or(to, |t| t.min(to)));
    }
    if let Metric::AutoExecuted { level } = &d.metric {
        return auto_executed_rows(conn, &q, level.as_deref(), limit);
    }
    let mut out = Vec::new();
    let wants_expired = matches!(&d.metric, Metric::Kind { kind } if kind == "expired");
    if !matches!(&d.metric, Metric::Kind { kind } if kind == "expired") {
        let (cond, arg): (&str, Option<String>) = match &d.metric {
            Metric::All => ("1", None),
            Metric::Kind { kind } => ("d.decision = ?6", Some(kind.clone())),
            Metric::Corrected { field: None } => (
                "d.decision IN ('approve', 'approve_with_edits') AND d.corrected_fields <> '[]'",
                None,
            ),
            Metric::Corrected { field: Some(f) } => (
                "d.decision IN ('approve', 'approve_with_edits')
                 AND EXISTS (SELECT 1 FROM json_each(d.corrected_fields) j WHERE j.value = ?6)",
                Some(f.clone()),
            ),
            Metric::TimeToDecide { .. } => (
                "d.time_to_decide_ms >= ?7 AND (?8 IS NULL OR d.time_to_decide_ms < ?8)",
                None,
            ),
            Metric::TooFast => ("d.too_fast = 1", None),
            Metric::TooFastToDecide { .. } => (
                "d.too_fast = 1 AND d.time_to_decide_ms >= ?7
                 AND (?8 IS NULL OR d.time_to_decide_ms < ?8)",
                None,
            ),
            Metric::CitationOpened => ("d.citation_opens > 0", None),
            Metric::RolledBack => (
                "d.decision IN ('approve', 'approve_with_edits') AND a.status = 'rolled_back'",
                None,
            ),
            Metric::SecondReviewed => ("s.decision_id IS NOT NULL", None),
            Metric::Disagreed => ("s.disagrees = 1", None),
            Metric::AutoExecuted { .. } => ("0", None),
        };
        let (lo, hi) = match &d.metric {
            Metric::TimeToDecide { from_ms, to_ms }
            | Metric::TooFastToDecide { from_ms, to_ms } => (*from_ms, *to_ms),
            _ => (0, None),
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM decisions d
             LEFT JOIN actions a ON a.backend_id = d.backend_id AND a.action_id = d.action_id
             LEFT JOIN second_reviews s ON s.decision_id = d.id
             WHERE (?1 IS NULL OR d.decided_at_ms >= ?1) AND (?2 IS NULL OR d.decided_at_ms < ?2)
               AND (?3 IS NULL OR d.action_kind = ?3) AND (?4 IS NULL OR d.reviewer = ?4)
               AND (?5 IS NULL OR d.workflow = ?5 OR (d.workflow = '' AND ?5 = (SELECT r.workflow
                    FROM runs r WHERE r.backend_id = d.backend_id AND r.run_id = d.run_id)))
               AND (?6 IS NULL OR 1) AND (?7 IS NULL OR 1) AND (?8 IS NULL OR 1)
               AND {cond}
             ORDER BY d.decided_at_ms DESC, d.id DESC LIMIT ?9"
        );
        let mut st = conn.prepare_cached(&sql)?;
        let rows = st
            .query_map(
                params![
                    q.from.map(to_ms),
                    q.to.map(to_ms),
                    q.action_kind,
                    q.reviewer,
                    q.workflow,
                    arg,
                    lo,
                    hi,
                    limit as i64
                ],
                decisions::row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out = rows
            .into_iter()
            .map(|mut r| {
                if r.workflow.is_empty() {
                    r.workflow = run_workflow(conn, &r.backend_id, &r.run_id).unwrap_or_default();
                }
                r
            })
            .collect();
    }
    if wants_expired {
        out.extend(expired_rows(conn, &q, now)?);
        out.sort_by(|a, b| b.decided_at.cmp(&a.decided_at).then(b.id.cmp(&a.id)));
        out.truncate(limit);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod rollup_tests;

#[cfg(test)]
mod autonomy_tests;
