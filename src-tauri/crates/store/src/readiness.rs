//! The readiness scorecard of a workflow: the seed playbook's shipping checklist (its Table 2)
//! computed from the store — reversible, citation coverage, cost bounded, escalation
//! consistent, audit complete, trust — each pass / warn / fail with its evidence and the runs
//! or decisions behind it. Thresholds are an admin setting ([`Thresholds`], defaults below).

use crate::error::Result;
use crate::time::{from_ms, to_ms};
use crate::trust::{self, TrustQuery, WEEK_MS, rate, week_start_ms};
use chrono::{DateTime, Utc};
use countersign_core::budget::{Budget, Enforcement, Period, ScopeKind};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

/// Settings key of the thresholds (JSON [`Thresholds`]).
pub const THRESHOLDS_KEY: &str = "readiness_thresholds";

/// The scorecard's thresholds and the second-review share. Every rate is a fraction (0.05 =
/// 5 %). A rate over its maximum warns; over twice its maximum fails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Thresholds {
    /// Share of decided actions shown blind to a second reviewer (default 0.05).
    pub second_review_share: f64,
    /// Reversible passes at this share of executed writes with a rollback path (default 1.0).
    pub reversible_pass: f64,
    /// ... warns down to this share, fails below (default 0.9).
    pub reversible_warn: f64,
    /// Citation coverage passes at this share of runs citing a source (default 0.9).
    pub citation_coverage_pass: f64,
    /// ... warns down to this share, fails below (default 0.7).
    pub citation_coverage_warn: f64,
    /// Maximum share of runs citing a stale or deprecated source (default 0.05).
    pub stale_citation_max: f64,
    /// Cost per success may rise this much after the last model change before it warns
    /// (default 0.25 = +25 %).
    pub cost_increase_max: f64,
    /// A week's escalation rate may differ from the period's by this many points (default 0.10).
    pub escalation_band: f64,
    /// Maximum second-review disagreement rate (default 0.10).
    pub disagreement_max: f64,
    /// Maximum correction rate of approvals (default 0.20).
    pub correction_max: f64,
    /// Maximum share of decisions under the minimum review time (default 0.05).
    pub too_fast_max: f64,
    /// A backend not synced for this long is a sync gap (default 24).
    pub sync_gap_hours: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            second_review_share: 0.05,
            reversible_pass: 1.0,
            reversible_warn: 0.9,
            citation_coverage_pass: 0.9,
            citation_coverage_warn: 0.7,
            stale_citation_max: 0.05,
            cost_increase_max: 0.25,
            escalation_band: 0.10,
            disagreement_max: 0.10,
            correction_max: 0.20,
            too_fast_max: 0.05,
            sync_gap_hours: 24,
        }
    }
}

impl Thresholds {
    /// Checks every value is in range; the first problem is returned.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let fractions = [
            ("second_review_share", self.second_review_share),
            ("reversible_pass", self.reversible_pass),
            ("reversible_warn", self.reversible_warn),
            ("citation_coverage_pass", self.citation_coverage_pass),
            ("citation_coverage_warn", self.citation_coverage_warn),
            ("stale_citation_max", self.stale_citation_max),
            ("escalation_band", self.escalation_band),
            ("disagreement_max", self.disagreement_max),
            ("correction_max", self.correction_max),
            ("too_fast_max", self.too_fast_max),
        ];
        for (name, v) in fractions {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if self.reversible_warn > self.reversible_pass
            || self.citation_coverage_warn > self.citation_coverage_pass
        {
            return Err("a warn level must not be above its pass level".into());
        }
        if !(0.0..=100.0).contains(&self.cost_increase_max) || self.sync_gap_hours < 1 {
            return Err("cost_increase_max must be 0..100 and sync_gap_hours at least 1".into());
        }
        Ok(())
    }

    /// The second-review share in basis points (0..=10000).
    pub fn second_review_basis_points(&self) -> u32 {
        (self.second_review_share.clamp(0.0, 1.0) * 10_000.0).round() as u32
    }
}

/// The stored thresholds, or the defaults.
pub fn thresholds(conn: &Connection) -> Result<Thresholds> {
    Ok(crate::settings::get(conn, THRESHOLDS_KEY)?.unwrap_or_default())
}

/// A criterion's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Meets the threshold.
    Pass,
    /// Close, or not enough evidence to pass.
    Warn,
    /// Fails the threshold.
    Fail,
}

/// The checklist's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Executed writes can be undone, and undo has been exercised.
    Reversible,
    /// Answers cite sources, and not stale ones.
    CitationCoverage,
    /// A hard cap is in force, no run went over it, cost per success is stable.
    CostBounded,
    /// Escalation is steady week to week and second reviewers agree.
    EscalationConsistent,
    /// Every decision is in the audit chain; nothing quarantined; no sync gap.
    AuditComplete,
    /// Reviewers correct little and do not approve faster than the minimum.
    Trust,
    /// The model or workflow version its runs use changed only after an eval of the new
    /// configuration passed its golden set ("changed without eval" fails).
    EvalGate,
}

/// One fact behind a verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ReadinessEvidence")]
pub struct Evidence {
    /// What it measures.
    pub label: String,
    /// The value, as shown.
    pub value: String,
    /// Its own verdict.
    pub status: Status,
}

/// Where the runs or decisions behind a row are listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Link {
    /// The run list, filtered.
    Runs {
        /// Workflow.
        workflow: String,
        /// Outcome, if one.
        #[ts(optional = nullable)]
        outcome: Option<String>,
        /// Start.
        since: DateTime<Utc>,
        /// End.
        until: DateTime<Utc>,
    },
    /// The trust view's decisions of this workflow (a [`trust::Metric`]).
    Decisions {
        /// Workflow.
        workflow: String,
        /// The number.
        metric: trust::Metric,
    },
    /// The workflow's actions with these statuses.
    Actions {
        /// Workflow.
        workflow: String,
        /// Statuses.
        statuses: Vec<String>,
    },
    /// The audit trail.
    Audit,
}

/// One row of the scorecard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CriterionRow {
    /// Which.
    pub criterion: Criterion,
    /// The worst of its evidence.
    pub status: Status,
    /// The facts.
    pub evidence: Vec<Evidence>,
    /// What to open.
    pub link: Link,
}

/// A workflow's scorecard over `[from, to)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Scorecard {
    /// Workflow.
    pub workflow: String,
    /// Start.
    pub from: DateTime<Utc>,
    /// End.
    pub to: DateTime<Utc>,
    /// Worst row.
    pub status: Status,
    /// One per criterion, in checklist order.
    pub rows: Vec<CriterionRow>,
    /// The thresholds applied.
    pub thresholds: Thresholds,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "no data".into(), |v| format!("{:.1} %", v * 100.0))
}

/// Pass at or above `pass`, warn down to `warn`, fail below; no data warns.
fn at_least(v: Option<f64>, pass: f64, warn: f64) -> Status {
    match v {
        None => Status::Warn,
        Some(v) if v >= pass => Status::Pass,
        Some(v) if v >= warn => Status::Warn,
        Some(_) => Status::Fail,
    }
}

/// Pass at or below `max`, warn up to twice it, fail above; no data passes.
fn at_most(v: Option<f64>, max: f64) -> Status {
    match v {
        Some(v) if v > 2.0 * max => Status::Fail,
        Some(v) if v > max => Status::Warn,
        _ => Status::Pass,
    }
}

fn ev(label: &str, value: String, status: Status) -> Evidence {
    Evidence {
        label: label.into(),
        value,
        status,
    }
}

fn row(criterion: Criterion, evidence: Vec<Evidence>, link: Link) -> CriterionRow {
    CriterionRow {
        criterion,
        status: evidence
            .iter()
            .map(|e| e.status)
            .max()
            .unwrap_or(Status::Warn),
        evidence,
        link,
    }
}

fn reversible(
    conn: &Connection,
    w: &str,
    from: i64,
    to: i64,
    t: &Thresholds,
) -> Result<CriterionRow> {
    let (executed, undoable, rolled): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(rollback_supported), 0),
                coalesce(sum(status = 'rolled_back'), 0)
         FROM actions WHERE workflow = ?1 AND status IN ('executed', 'rolled_back')
           AND requested_at_ms >= ?2 AND requested_at_ms < ?3",
        params![w, from, to],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT kind FROM actions WHERE workflow = ?1
           AND status IN ('executed', 'rolled_back') AND rollback_supported = 0
           AND requested_at_ms >= ?2 AND requested_at_ms < ?3 ORDER BY kind",
    )?;
    let no_undo = st
        .query_map(params![w, from, to], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let share = rate(undoable, executed);
    Ok(row(
        Criterion::Reversible,
        vec![
            ev(
                "executed writes with a rollback path",
                format!("{} ({undoable} of {executed})", pct(share)),
                at_least(share, t.reversible_pass, t.reversible_warn),
            ),
            ev(
                "rollbacks exercised in the period",
                rolled.to_string(),
                if rolled > 0 {
                    Status::Pass
                } else {
                    Status::Warn
                },
            ),
            ev(
                "kinds of write with no undo",
                if no_undo.is_empty() {
                    "none".into()
                } else {
                    no_undo.join(", ")
                },
                if no_undo.is_empty() {
                    Status::Pass
                } else {
                    Status::Warn
                },
            ),
        ],
        Link::Actions {
            workflow: w.to_string(),
            statuses: vec!["executed".into(), "rolled_back".into()],
        },
    ))
}

/// Sums of the daily roll-up for a workflow in `[from, to)`: runs, cited runs, stale runs.
fn citations(conn: &Connection, w: &str, from: i64, to: i64) -> Result<(i64, i64, i64)> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(runs), 0), coalesce(sum(cited_runs), 0), coalesce(sum(stale_runs), 0)
         FROM run_daily WHERE workflow = ?1 AND day_ms >= ?2 AND day_ms < ?3",
        params![w, from, to],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// Cost per success before and after the last model change in the period, if there was one:
/// (the new model, when it first ran, before, after).
type CostTrend = (String, i64, Option<f64>, Option<f64>);

fn cost_trend(conn: &Connection, w: &str, from: i64, to: i64) -> Result<Option<CostTrend>> {
    let mut st = conn.prepare_cached(
        "SELECT model, min(day_ms) FROM run_daily WHERE workflow = ?1 AND runs > 0
         GROUP BY model ORDER BY 2 DESC, 1 LIMIT 2",
    )?;
    let firsts = st
        .query_map([w], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let [(model, changed), _] = firsts.as_slice() else {
        return Ok(None);
    };
    if *changed < from || *changed >= to {
        return Ok(None);
    }
    let per_success = |lo: i64, hi: i64| -> Result<Option<f64>> {
        let (cost, ok): (i64, i64) = conn.query_row(
            "SELECT coalesce(sum(cost_micros), 0), coalesce(sum(runs * (outcome = 'success')), 0)
             FROM run_daily WHERE workflow = ?1 AND day_ms >= ?2 AND day_ms < ?3",
            params![w, lo, hi],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rate(cost, ok))
    };
    Ok(Some((
        model.clone(),
        *changed,
        per_success(from, *changed)?,
        per_success(*changed, to)?,
    )))
}

fn usd(micros: f64) -> String {
    format!("${:.4}", micros / 1_000_000.0)
}

fn cost_bounded(
    conn: &Connection,
    w: &str,
    from: i64,
    to: i64,
    t: &Thresholds,
) -> Result<CriterionRow> {
    // Backends that ran the workflow in the period.
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT backend_id FROM run_daily
         WHERE workflow = ?1 AND day_ms >= ?2 AND day_ms < ?3",
    )?;
    let backends = st
        .query_map(params![w, from, to], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let caps: Vec<Budget> = crate::budgets::list(conn)?
        .into_iter()
        .filter(|(b, cap)| {
            cap.enforcement == Enforcement::Hard
                && backends.contains(b)
                && match cap.scope.kind {
                    ScopeKind::Backend => true,
                    ScopeKind::Workflow => cap.scope.value.as_deref() == Some(w),
                    _ => false,
                }
        })
        .map(|(_, cap)| cap)
        .collect();
    let per_run_cap = caps
        .iter()
        .filter(|c| c.period == Period::Run)
        .filter_map(|c| c.limits.max_cost_micros.map(|m| m.0))
        .min();
    let over: i64 = match per_run_cap {
        Some(cap) => conn.query_row(
            "SELECT count(*) FROM runs WHERE workflow = ?1 AND cost_micros > ?2
               AND started_at_ms >= ?3 AND started_at_ms < ?4",
            params![w, cap, from, to],
            |r| r.get(0),
        )?,
        None => 0,
    };
    let stopped: i64 = conn.query_row(
        "SELECT coalesce(sum(runs), 0) FROM run_daily WHERE workflow = ?1
           AND outcome = 'budget_stopped' AND day_ms >= ?2 AND day_ms < ?3",
        params![w, from, to],
        |r| r.get(0),
    )?;
    let mut evidence = vec![
        ev(
            "hard caps in force",
            if caps.is_empty() {
                "none".into()
            } else {
                caps.iter()
                    .map(|c| c.budget_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if caps.is_empty() {
                Status::Fail
            } else {
                Status::Pass
            },
        ),
        ev(
            "runs over the per-run cost cap",
            match per_run_cap {
                Some(cap) => format!("{over} (cap {})", usd(cap as f64)),
                None => "no per-run cost cap".into(),
            },
            if over > 0 { Status::Fail } else { Status::Pass },
        ),
        ev("runs stopped by a cap", stopped.to_string(), Status::Pass),
    ];
    match cost_trend(conn, w, from, to)? {
        Some((model, at, before, after)) => {
            let rise = before
                .zip(after)
                .and_then(|(b, a)| (b > 0.0).then(|| a / b - 1.0));
            evidence.push(ev(
                "cost per success before → after the last model change",
                format!(
                    "{} → {} (to {model} on {})",
                    before.map_or("no successes".into(), usd),
                    after.map_or("no successes".into(), usd),
                    from_ms(at).format("%Y-%m-%d")
                ),
                match rise {
                    Some(r) if r > t.cost_increase_max => Status::Warn,
                    _ => Status::Pass,
                },
            ));
        }
        None => evidence.push(ev(
            "cost per success before → after the last model change",
            "no model change in the period".into(),
            Status::Pass,
        )),
    }
    Ok(row(
        Criterion::CostBounded,
        evidence,
        Link::Runs {
            workflow: w.to_string(),
            outcome: None,
            since: from_ms(from),
            until: from_ms(to),
        },
    ))
}

fn escalation(
    conn: &Connection,
    w: &str,
    from: i64,
    to: i64,
    t: &Thresholds,
    second: (i64, i64),
) -> Result<CriterionRow> {
    let mut st = conn.prepare_cached(
        "SELECT day_ms, sum(runs), sum(runs * (outcome = 'escalated')) FROM run_daily
         WHERE workflow = ?1 AND day_ms >= ?2 AND day_ms < ?3 GROUP BY day_ms",
    )?;
    let mut weeks: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
    for r in st.query_map(params![w, from, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (day, runs, esc) = r?;
        let e = weeks.entry(week_start_ms(day)).or_default();
        e.0 += runs;
        e.1 += esc;
    }
    let (runs, esc) = weeks.values().fold((0, 0), |a, w| (a.0 + w.0, a.1 + w.1));
    let overall = rate(esc, runs);
    let outside: Vec<String> = weeks
        .iter()
        .filter(|(_, (r, e))| {
            overall.is_some_and(|o| rate(*e, *r).is_some_and(|x| (x - o).abs() > t.escalation_band))
        })
        .map(|(wk, _)| from_ms(*wk).format("%Y-%m-%d").to_string())
        .collect();
    let (reviews, disagree) = second;
    let dis_rate = rate(disagree, reviews);
    let mut evidence = vec![
        ev(
            "escalation rate (period)",
            format!("{} over {} week(s)", pct(overall), weeks.len()),
            Status::Pass,
        ),
        ev(
            "weeks outside the band",
            if outside.is_empty() {
                format!("none (± {:.0} points)", t.escalation_band * 100.0)
            } else {
                outside.join(", ")
            },
            match outside.len() {
                0 => Status::Pass,
                1 => Status::Warn,
                _ => Status::Fail,
            },
        ),
        ev(
            "second-review disagreement",
            format!("{} ({disagree} of {reviews})", pct(dis_rate)),
            if reviews == 0 {
                Status::Warn
            } else {
                at_most(dis_rate, t.disagreement_max)
            },
        ),
    ];
    evidence.extend(refused_writes(conn, w)?);
    Ok(row(
        Criterion::EscalationConsistent,
        evidence,
        Link::Decisions {
            workflow: w.to_string(),
            metric: trust::Metric::SecondReviewed,
        },
    ))
}

/// The writes the backends refused at the workflow's `read_only` level (their own running
/// count, as last synced), when the workflow is or was read-only: each such run ended
/// escalated, so the escalation rate holds them. Informational (the level did its job).
fn refused_writes(conn: &Connection, w: &str) -> Result<Option<Evidence>> {
    let (rows, read_only, refused, last): (i64, i64, i64, Option<String>) = conn.query_row(
        "SELECT count(*), coalesce(sum(level = 'read_only'), 0),
                coalesce(sum(max(refused_writes, 0)), 0), max(last_refused_at)
         FROM workflow_autonomy WHERE workflow = ?1",
        [w],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    if rows == 0 || (read_only == 0 && refused == 0) {
        return Ok(None);
    }
    let last = last
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .map(|t| format!(", last {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    Ok(Some(ev(
        "writes refused at the read-only level (runs ended escalated)",
        format!(
            "{refused}{last}{}",
            if read_only > 0 { "; read-only now" } else { "" }
        ),
        Status::Pass,
    )))
}

fn audit_complete(
    conn: &Connection,
    w: &str,
    from: i64,
    to: i64,
    now: DateTime<Utc>,
    t: &Thresholds,
) -> Result<CriterionRow> {
    let (decided, unchained): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(audit_seq IS NULL
                OR NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.seq = d.audit_seq)), 0)
         FROM decisions d WHERE workflow = ?1 AND decided_at_ms >= ?2 AND decided_at_ms < ?3",
        params![w, from, to],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT backend_id FROM run_daily WHERE workflow = ?1 AND day_ms >= ?2 AND day_ms < ?3",
    )?;
    let backends = st
        .query_map(params![w, from, to], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut quarantined = 0;
    let mut gaps = Vec::new();
    for b in &backends {
        quarantined += crate::quarantine::count(conn, b)?;
        let h = crate::health::get(conn, b)?;
        let stale = h
            .last_success_at
            .is_none_or(|s| now - s > chrono::Duration::hours(t.sync_gap_hours));
        if stale || h.consecutive_failures > 0 {
            gaps.push(b.clone());
        }
    }
    Ok(row(
        Criterion::AuditComplete,
        vec![
            ev(
                "decisions with an event in the audit chain",
                format!("{} of {decided}", decided - unchained),
                if unchained > 0 {
                    Status::Fail
                } else {
                    Status::Pass
                },
            ),
            ev(
                "unresolved quarantined records",
                quarantined.to_string(),
                if quarantined > 0 {
                    Status::Warn
                } else {
                    Status::Pass
                },
            ),
            ev(
                "backends with a sync gap",
                if gaps.is_empty() {
                    "none".into()
                } else {
                    gaps.join(", ")
                },
                if gaps.is_empty() {
                    Status::Pass
                } else {
                    Status::Warn
                },
            ),
        ],
        Link::Audit,
    ))
}

/// The scorecard of workflow `w` over `[from, to)` as of `now`.
pub fn scorecard(
    conn: &Connection,
    w: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Scorecard> {
    let t = thresholds(conn)?;
    let (f, e) = (to_ms(from), to_ms(to));
    let trust = trust::report(
        conn,
        &TrustQuery {
            from: Some(from),
            to: Some(to),
            workflow: Some(w.to_string()),
            action_kind: None,
            reviewer: None,
        },
        now,
    )?
    .totals;

    let (runs, cited, stale) = citations(conn, w, f, e)?;
    let coverage = rate(cited, runs);
    let stale_share = rate(stale, runs);
    let cite = row(
        Criterion::CitationCoverage,
        vec![
            ev(
                "runs citing a source",
                format!("{} ({cited} of {runs})", pct(coverage)),
                at_least(coverage, t.citation_coverage_pass, t.citation_coverage_warn),
            ),
            ev(
                "runs citing a stale or deprecated source",
                format!("{} ({stale} of {runs})", pct(stale_share)),
                at_most(stale_share, t.stale_citation_max),
            ),
        ],
        Link::Runs {
            workflow: w.to_string(),
            outcome: None,
            since: from,
            until: to,
        },
    );

    let rows = vec![
        reversible(conn, w, f, e, &t)?,
        cite,
        cost_bounded(conn, w, f, e, &t)?,
        escalation(
            conn,
            w,
            f,
            e,
            &t,
            (trust.second_reviews, trust.disagreements),
        )?,
        audit_complete(conn, w, f, e, now, &t)?,
        row(
            Criterion::Trust,
            vec![
                ev(
                    "correction rate of approvals",
                    format!(
                        "{} ({} of {})",
                        pct(trust.correction_rate),
                        trust.corrected,
                        trust.approvals
                    ),
                    at_most(trust.correction_rate, t.correction_max),
                ),
                ev(
                    "decided under the minimum review time",
                    format!(
                        "{} ({} of {})",
                        pct(trust.too_fast_rate),
                        trust.too_fast,
                        trust.timed
                    ),
                    at_most(trust.too_fast_rate, t.too_fast_max),
                ),
                ev(
                    "decisions in the period",
                    trust.decisions.to_string(),
                    if trust.decisions == 0 {
                        Status::Warn
                    } else {
                        Status::Pass
                    },
                ),
            ],
            Link::Decisions {
                workflow: w.to_string(),
                metric: trust::Metric::TooFast,
            },
        ),
    ];
    let mut rows = rows;
    rows.push(eval_gate(conn, w, from, to)?);
    Ok(Scorecard {
        workflow: w.to_string(),
        from,
        to,
        status: rows.iter().map(|r| r.status).max().unwrap_or(Status::Warn),
        rows,
        thresholds: t,
    })
}

/// The "changed without eval" row: fails when the configuration (workflow version, model,
/// prompt, retrieval) of the workflow's latest synced run differs from an earlier one and no
/// eval of it passed.
fn eval_gate(
    conn: &Connection,
    w: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<CriterionRow> {
    let g = crate::golden::gate(conn, w)?;
    let label = |c: &Option<countersign_core::golden::ConfigLabel>| {
        c.as_ref()
            .map_or_else(|| "none".to_string(), |c| c.display())
    };
    let evidence = match (&g.current, g.changed_at) {
        (None, _) => vec![ev("configuration", "no synced runs".into(), Status::Pass)],
        (Some(c), None) => vec![ev(
            "configuration",
            format!("{} (no change seen)", c.display()),
            Status::Pass,
        )],
        (Some(c), Some(at)) => vec![
            ev(
                "last configuration change",
                format!(
                    "{} → {} on {}{}",
                    label(&g.previous),
                    c.display(),
                    at.format("%Y-%m-%d"),
                    g.previous
                        .as_ref()
                        .map(|p| format!(" ({})", c.changes_from(p).join(", ")))
                        .unwrap_or_default()
                ),
                Status::Pass,
            ),
            match (&g.passing_eval, &g.latest_eval) {
                (Some(id), _) => ev(
                    "eval of the new configuration",
                    format!("{id} passed"),
                    Status::Pass,
                ),
                (None, Some(e)) => ev(
                    "changed without eval",
                    format!("latest eval {} did not pass", e.eval_id),
                    Status::Fail,
                ),
                (None, None) => ev(
                    "changed without eval",
                    "no eval of this configuration".into(),
                    Status::Fail,
                ),
            },
        ],
    };
    Ok(row(
        Criterion::EvalGate,
        evidence,
        Link::Runs {
            workflow: w.to_string(),
            outcome: None,
            since: g.changed_at.unwrap_or(from),
            until: to,
        },
    ))
}

/// Workflows with runs or decisions in `[from, to)`, sorted.
pub fn workflows(conn: &Connection, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT workflow FROM run_daily WHERE day_ms >= ?1 AND day_ms < ?2 AND runs > 0
         UNION SELECT workflow FROM decisions WHERE decided_at_ms >= ?1 AND decided_at_ms < ?2
           AND workflow <> ''
         ORDER BY 1",
    )?;
    let v = st
        .query_map(params![to_ms(from), to_ms(to)], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// Every workflow's scorecard over `[from, to)`.
pub fn scorecards(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Scorecard>> {
    workflows(conn, from, to)?
        .iter()
        .map(|w| scorecard(conn, w, from, to, now))
        .collect()
}

/// The scorecards as CSV: one line per evidence, after a header.
pub fn to_csv(cards: &[Scorecard]) -> String {
    fn cell(s: &str) -> String {
        // Spreadsheet formulas never start a cell; quotes doubled.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    let mut out =
        String::from("workflow,from,to,criterion,criterion_status,evidence,value,status\n");
    for c in cards {
        for r in &c.rows {
            for e in &r.evidence {
                let line = [
                    cell(&c.workflow),
                    cell(&c.from.to_rfc3339()),
                    cell(&c.to.to_rfc3339()),
                    cell(&json_name(&r.criterion)),
                    cell(&json_name(&r.status)),
                    cell(&e.label),
                    cell(&e.value),
                    cell(&json_name(&e.status)),
                ];
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
    }
    out
}

fn json_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// How long a default scorecard period is: the last four weeks.
pub const DEFAULT_PERIOD_MS: i64 = 4 * WEEK_MS;

#[cfg(test)]
mod tests;
