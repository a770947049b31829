//! Comparing an eval (the runs a configuration produced from a golden set's inputs) with the
//! set's expectations and with a baseline (the recorded runs, or an earlier eval): per case and
//! in total. Pure: the caller reads the runs; [`PassThresholds`] decide whether it passes.

use super::{CitationExpectation, GoldenCase, WriteExpectation};
use crate::money::Micros;
use crate::run::{Outcome, Run};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// When an eval passes. Rates are fractions of the set's cases (1.0 = every case); deltas are
/// fractions of the baseline (0.25 = +25 %).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct PassThresholds {
    /// Share of cases whose every check passes (default 1.0).
    pub min_case_pass_rate: f64,
    /// Share of cases with the expected outcome and decision (default 1.0).
    pub min_outcome_match_rate: f64,
    /// Share of cases citing every required passage, none stale or deprecated (default 1.0).
    pub min_citation_match_rate: f64,
    /// Share of cases proposing the expected write fields (default 1.0).
    pub min_write_match_rate: f64,
    /// Total cost may exceed the baseline's by this share (default 0.25).
    pub max_cost_increase: f64,
    /// Total latency may exceed the baseline's by this share (default 0.5).
    pub max_latency_increase: f64,
    /// A cited source updated longer ago than this many days is stale (default 365).
    pub stale_after_days: i64,
}

impl Default for PassThresholds {
    fn default() -> Self {
        PassThresholds {
            min_case_pass_rate: 1.0,
            min_outcome_match_rate: 1.0,
            min_citation_match_rate: 1.0,
            min_write_match_rate: 1.0,
            max_cost_increase: 0.25,
            max_latency_increase: 0.5,
            stale_after_days: 365,
        }
    }
}

impl PassThresholds {
    /// Checks every value is in range; the first problem is returned.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("min_case_pass_rate", self.min_case_pass_rate),
            ("min_outcome_match_rate", self.min_outcome_match_rate),
            ("min_citation_match_rate", self.min_citation_match_rate),
            ("min_write_match_rate", self.min_write_match_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        for (name, v) in [
            ("max_cost_increase", self.max_cost_increase),
            ("max_latency_increase", self.max_latency_increase),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 100"));
            }
        }
        if self.stale_after_days < 1 {
            return Err("stale_after_days must be at least 1".into());
        }
        Ok(())
    }
}

/// A cited passage that is a problem: required but missing, or from a stale or deprecated source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CitationIssue {
    /// Source document.
    pub doc_id: String,
    /// The passage.
    pub passage: String,
    /// `missing`, `deprecated` or `stale`.
    pub problem: String,
}

/// A write field that did not match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct WriteMismatch {
    /// What was expected.
    pub expected: WriteExpectation,
    /// What the run proposed for that field, if it proposed it at all.
    #[ts(type = "unknown")]
    pub proposed: Option<Value>,
}

/// One case compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CaseComparison {
    /// The case (its recorded run's id).
    pub case_id: String,
    /// The eval's run of it; absent when the eval did not report one.
    #[ts(optional = nullable)]
    pub eval_run_id: Option<String>,
    /// Every check passed.
    pub passed: bool,
    /// Why not, one line per failed check.
    pub reasons: Vec<String>,
    /// Expected and got outcome.
    #[ts(optional = nullable)]
    pub expected_outcome: Option<Outcome>,
    /// The eval run's outcome.
    #[ts(optional = nullable)]
    pub outcome: Option<Outcome>,
    /// Outcome and decision as expected.
    pub outcome_match: bool,
    /// Expected decision.
    #[ts(optional = nullable)]
    pub expected_decision: Option<String>,
    /// The eval run's decision.
    #[ts(optional = nullable)]
    pub decision: Option<String>,
    /// Every required passage cited, none from a stale or deprecated source.
    pub citation_match: bool,
    /// Missing, stale or deprecated citations.
    pub citation_issues: Vec<CitationIssue>,
    /// Every expected write field proposed with its value.
    pub write_match: bool,
    /// Write fields that did not match.
    pub write_mismatches: Vec<WriteMismatch>,
    /// Failed policy checks of the eval run.
    pub policy_failures: u32,
    /// Names of the failed policy checks (expected ones included; only others fail the case).
    pub failed_checks: Vec<String>,
    /// The eval run escalated or was refused (denied / budget-stopped).
    pub refused_or_escalated: bool,
    /// The eval run's cost.
    pub cost_micros: Micros,
    /// The baseline run's cost.
    #[ts(optional = nullable)]
    pub baseline_cost_micros: Option<Micros>,
    /// The case's cost ceiling.
    #[ts(optional = nullable)]
    pub max_cost_micros: Option<Micros>,
    /// The eval run's latency.
    pub latency_ms: u64,
    /// The baseline run's latency.
    #[ts(optional = nullable)]
    pub baseline_latency_ms: Option<u64>,
    /// The case's latency ceiling.
    #[ts(optional = nullable)]
    pub max_latency_ms: Option<u64>,
    /// How the case was judged when not as usual: a replay that stopped at the review its
    /// recorded run went through is judged by its proposed write ([`STOPPED_AT_REVIEW`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub note: Option<String>,
}

/// The note on a case whose recorded run was approved and executed and whose replay stopped at
/// that review (a replay never resumes): judged by its proposed write, not its outcome.
pub const STOPPED_AT_REVIEW: &str = "stopped at review, as recorded: approved";

/// Whether `run` (a replay) stopped at the review `recorded` went through: the recorded run
/// succeeded with writes that carried an action (reviewed, approved, executed), the replay is
/// pending with writes proposed (the decision point was reached).
fn stopped_at_recorded_review(recorded: &Run, run: &Run) -> bool {
    recorded.outcome == Outcome::Success
        && recorded.changes.iter().any(|c| c.action_id.is_some())
        && run.outcome == Outcome::Pending
        && !run.changes.is_empty()
}

/// The whole eval compared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EvalTotals {
    /// Cases in the set.
    pub cases: u32,
    /// Cases whose every check passed.
    pub passed: u32,
    /// Cases the eval reported no run for.
    pub missing: u32,
    /// Cases with outcome and decision as expected.
    pub outcome_matches: u32,
    /// Cases whose citations matched.
    pub citation_matches: u32,
    /// Cases whose write fields matched.
    pub write_matches: u32,
    /// Citations of stale or deprecated sources.
    pub stale_citations: u32,
    /// Failed policy checks over all eval runs.
    pub policy_failures: u32,
    /// Eval runs that escalated or were refused.
    pub refused_or_escalated: u32,
    /// Baseline runs that escalated or were refused.
    pub baseline_refused_or_escalated: u32,
    /// Cases over their cost ceiling.
    pub over_cost_ceiling: u32,
    /// Cases over their latency ceiling.
    pub over_latency_ceiling: u32,
    /// Eval cost, all cases.
    pub cost_micros: Micros,
    /// Baseline cost of the same cases.
    pub baseline_cost_micros: Micros,
    /// Eval latency, all cases.
    pub latency_ms: u64,
    /// Baseline latency of the same cases.
    pub baseline_latency_ms: u64,
}

/// An eval's report: totals, the verdict with its reasons, and every case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EvalComparison {
    /// Totals.
    pub totals: EvalTotals,
    /// The eval passes the thresholds.
    pub passed: bool,
    /// Which thresholds it missed.
    pub reasons: Vec<String>,
    /// Cost change against the baseline (0.5 = +50 %), when the baseline cost anything.
    #[ts(optional = nullable)]
    pub cost_change: Option<f64>,
    /// Latency change against the baseline.
    #[ts(optional = nullable)]
    pub latency_change: Option<f64>,
    /// The thresholds applied.
    pub thresholds: PassThresholds,
    /// Per case, in the set's order.
    pub cases: Vec<CaseComparison>,
}

fn refused_or_escalated(o: Outcome) -> bool {
    matches!(
        o,
        Outcome::Escalated | Outcome::Denied | Outcome::BudgetStopped
    )
}

fn check_citations(
    want: &[CitationExpectation],
    run: &Run,
    now: DateTime<Utc>,
    stale_days: i64,
) -> Vec<CitationIssue> {
    let mut issues = Vec::new();
    for w in want {
        if !run
            .citations
            .iter()
            .any(|c| c.doc_id == w.doc_id && c.passage == w.passage)
        {
            issues.push(CitationIssue {
                doc_id: w.doc_id.clone(),
                passage: w.passage.clone(),
                problem: "missing".into(),
            });
        }
    }
    for c in &run.citations {
        let problem = if c.deprecated {
            "deprecated"
        } else if c.is_stale(now, stale_days) {
            "stale"
        } else {
            continue;
        };
        issues.push(CitationIssue {
            doc_id: c.doc_id.clone(),
            passage: c.passage.clone(),
            problem: problem.into(),
        });
    }
    issues
}

fn check_writes(want: &[WriteExpectation], run: &Run) -> Vec<WriteMismatch> {
    want.iter()
        .filter_map(|w| {
            let candidates = run.changes.iter().filter(|c| {
                c.field == w.field
                    && w.system.as_ref().is_none_or(|s| *s == c.system)
                    && w.record_id.as_ref().is_none_or(|r| *r == c.record_id)
            });
            let mut proposed = None;
            for c in candidates {
                if c.after == w.after {
                    return None;
                }
                proposed = Some(c.after.clone());
            }
            Some(WriteMismatch {
                expected: w.clone(),
                proposed,
            })
        })
        .collect()
}

/// Compares one case's eval run (if any) with its expectations and its baseline run.
pub fn compare_case(
    case: &GoldenCase,
    eval: Option<&Run>,
    baseline: Option<&Run>,
    now: DateTime<Utc>,
    stale_days: i64,
) -> CaseComparison {
    let e = &case.expect;
    let mut out = CaseComparison {
        case_id: case.case_id().to_string(),
        eval_run_id: eval.map(|r| r.run_id.clone()),
        passed: false,
        reasons: Vec::new(),
        expected_outcome: e.outcome,
        outcome: eval.map(|r| r.outcome),
        outcome_match: false,
        expected_decision: e.decision.clone(),
        decision: eval.map(|r| r.decision.clone()),
        citation_match: false,
        citation_issues: Vec::new(),
        write_match: false,
        write_mismatches: Vec::new(),
        policy_failures: 0,
        failed_checks: Vec::new(),
        refused_or_escalated: false,
        cost_micros: Micros(0),
        baseline_cost_micros: baseline.map(|b| b.cost_micros),
        max_cost_micros: e.max_cost_micros,
        latency_ms: 0,
        baseline_latency_ms: baseline.map(|b| b.latency_ms),
        max_latency_ms: e.max_latency_ms,
        note: None,
    };
    let Some(run) = eval else {
        out.reasons
            .push("the eval reported no run for this case".into());
        return out;
    };
    // A replay never resumes: at the review its recorded run was approved in, it stops. Such
    // a case is judged by what it proposed (the write checks below), not by how it ended.
    let at_review = stopped_at_recorded_review(&case.run, run);
    if at_review {
        out.note = Some(STOPPED_AT_REVIEW.into());
    }
    let outcome_ok = at_review || e.outcome.is_none_or(|o| o == run.outcome);
    let decision_ok = at_review || e.decision.as_ref().is_none_or(|d| *d == run.decision);
    if !outcome_ok {
        out.reasons.push(format!(
            "outcome {} (expected {})",
            run.outcome.as_str(),
            e.outcome.map_or("", |o| o.as_str())
        ));
    }
    if !decision_ok {
        out.reasons.push(format!(
            "decision {:?} (expected {:?})",
            run.decision,
            e.decision.as_deref().unwrap_or_default()
        ));
    }
    out.outcome_match = outcome_ok && decision_ok;
    out.citation_issues = check_citations(&e.citations, run, now, stale_days);
    for i in &out.citation_issues {
        out.reasons.push(format!(
            "citation {} of {}: {:?}",
            i.problem, i.doc_id, i.passage
        ));
    }
    out.citation_match = out.citation_issues.is_empty();
    out.write_mismatches = check_writes(&e.writes, run);
    for m in &out.write_mismatches {
        out.reasons.push(match &m.proposed {
            Some(p) => format!(
                "write {} = {p} (expected {})",
                m.expected.field, m.expected.after
            ),
            None => format!("write {} not proposed", m.expected.field),
        });
    }
    out.write_match = out.write_mismatches.is_empty();
    out.failed_checks = run
        .policy_checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.clone())
        .collect();
    out.policy_failures = out.failed_checks.len() as u32;
    let unexpected: Vec<&str> = out
        .failed_checks
        .iter()
        .filter(|c| !e.failed_checks.contains(c))
        .map(String::as_str)
        .collect();
    if !unexpected.is_empty() {
        out.reasons
            .push(format!("policy checks failed: {}", unexpected.join(", ")));
    }
    out.refused_or_escalated = refused_or_escalated(run.outcome);
    out.cost_micros = run.cost_micros;
    out.latency_ms = run.latency_ms;
    if let Some(max) = e.max_cost_micros
        && run.cost_micros > max
    {
        out.reasons
            .push(format!("cost {} over the ceiling {max}", run.cost_micros));
    }
    if let Some(max) = e.max_latency_ms
        && run.latency_ms > max
    {
        out.reasons.push(format!(
            "latency {} ms over the ceiling {max} ms",
            run.latency_ms
        ));
    }
    out.passed = out.reasons.is_empty();
    out
}

fn change(now: i64, before: i64) -> Option<f64> {
    (before > 0).then(|| now as f64 / before as f64 - 1.0)
}

/// Compares an eval with a set: `eval` maps case id → the eval's run of it, `baseline` case
/// id → the run to compare cost and latency against (the recorded run when absent).
pub fn compare(
    cases: &[GoldenCase],
    eval: &HashMap<String, Run>,
    baseline: &HashMap<String, Run>,
    thresholds: &PassThresholds,
    now: DateTime<Utc>,
) -> EvalComparison {
    let mut t = EvalTotals {
        cases: cases.len() as u32,
        ..EvalTotals::default()
    };
    let mut rows = Vec::with_capacity(cases.len());
    for case in cases {
        let base = baseline.get(case.case_id()).unwrap_or(&case.run);
        let run = eval.get(case.case_id());
        let row = compare_case(case, run, Some(base), now, thresholds.stale_after_days);
        t.baseline_refused_or_escalated += u32::from(refused_or_escalated(base.outcome));
        match run {
            None => t.missing += 1,
            Some(r) => {
                t.cost_micros = Micros(t.cost_micros.0.saturating_add(r.cost_micros.0));
                t.baseline_cost_micros =
                    Micros(t.baseline_cost_micros.0.saturating_add(base.cost_micros.0));
                t.latency_ms = t.latency_ms.saturating_add(r.latency_ms);
                t.baseline_latency_ms = t.baseline_latency_ms.saturating_add(base.latency_ms);
                t.passed += u32::from(row.passed);
                t.outcome_matches += u32::from(row.outcome_match);
                t.citation_matches += u32::from(row.citation_match);
                t.write_matches += u32::from(row.write_match);
                t.stale_citations += row
                    .citation_issues
                    .iter()
                    .filter(|i| i.problem != "missing")
                    .count() as u32;
                t.policy_failures += row.policy_failures;
                t.refused_or_escalated += u32::from(row.refused_or_escalated);
                t.over_cost_ceiling +=
                    u32::from(row.max_cost_micros.is_some_and(|m| row.cost_micros > m));
                t.over_latency_ceiling +=
                    u32::from(row.max_latency_ms.is_some_and(|m| row.latency_ms > m));
            }
        }
        rows.push(row);
    }
    let mut reasons = Vec::new();
    let share = |n: u32| {
        if t.cases == 0 {
            1.0
        } else {
            f64::from(n) / f64::from(t.cases)
        }
    };
    for (what, n, min) in [
        ("cases passing", t.passed, thresholds.min_case_pass_rate),
        (
            "outcome and decision matches",
            t.outcome_matches,
            thresholds.min_outcome_match_rate,
        ),
        (
            "citation matches",
            t.citation_matches,
            thresholds.min_citation_match_rate,
        ),
        (
            "write field matches",
            t.write_matches,
            thresholds.min_write_match_rate,
        ),
    ] {
        if share(n) + 1e-9 < min {
            reasons.push(format!(
                "{what}: {n} of {} ({:.1} %, minimum {:.1} %)",
                t.cases,
                share(n) * 100.0,
                min * 100.0
            ));
        }
    }
    let cost_change = change(t.cost_micros.0, t.baseline_cost_micros.0);
    let latency_change = change(t.latency_ms as i64, t.baseline_latency_ms as i64);
    if let Some(c) = cost_change
        && c > thresholds.max_cost_increase
    {
        reasons.push(format!(
            "cost {:+.1} % against the baseline (maximum +{:.1} %)",
            c * 100.0,
            thresholds.max_cost_increase * 100.0
        ));
    }
    if let Some(c) = latency_change
        && c > thresholds.max_latency_increase
    {
        reasons.push(format!(
            "latency {:+.1} % against the baseline (maximum +{:.1} %)",
            c * 100.0,
            thresholds.max_latency_increase * 100.0
        ));
    }
    EvalComparison {
        totals: t,
        passed: reasons.is_empty(),
        reasons,
        cost_change,
        latency_change,
        thresholds: thresholds.clone(),
        cases: rows,
    }
}

#[cfg(test)]
mod tests;
