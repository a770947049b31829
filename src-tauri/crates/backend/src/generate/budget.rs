//! Hard budget caps on a generated run: which caps cover it, their periods, and stopping the
//! run at the cap.

use chrono::{DateTime, Duration, Utc};
use countersign_core::{
    Budget, BudgetScope, Enforcement, Micros, Outcome, Period, PolicyCheck, Run, ScopeKind,
};
use serde_json::json;

use super::UsageFn;

/// Applies the hard caps to `run` (whose model cost is `model_cost`) and records the
/// `budget_cap` check. A run stopped by a cap keeps only the calls that fit, loses its changes
/// and outputs, and ends with its last kept call; returns whether it was stopped.
pub(super) fn apply(
    run: &mut Run,
    model_cost: i64,
    budgets: &[Budget],
    usage: &mut UsageFn<'_>,
) -> bool {
    let Some((budget_id, why)) = enforce(run, model_cost, budgets, usage) else {
        run.policy_checks.push(PolicyCheck {
            name: "budget_cap".into(),
            passed: true,
            detail: None,
        });
        return false;
    };
    run.outcome = Outcome::BudgetStopped;
    run.decision = "budget_stopped".into();
    run.rationale = Some(format!("Stopped by hard budget cap {budget_id}: {why}"));
    run.policy_checks.push(PolicyCheck {
        name: "budget_cap".into(),
        passed: false,
        detail: Some(format!("budget {budget_id} exceeded: {why}")),
    });
    run.changes.clear();
    run.outputs = json!({"stopped": "budget_cap", "budget_id": budget_id});
    let end = run
        .tool_calls
        .last()
        .and_then(|c| c.ended_at)
        .unwrap_or(run.started_at);
    run.ended_at = Some(end);
    run.updated_at = end;
    run.latency_ms = (end - run.started_at).num_milliseconds().max(0) as u64;
    true
}

/// Applies every matching hard cap; returns (budget id, what was exceeded) when it stopped.
fn enforce(
    run: &mut Run,
    mut model_cost: i64,
    budgets: &[Budget],
    usage: &mut UsageFn<'_>,
) -> Option<(String, String)> {
    let mut stopped = None;
    for b in budgets {
        if b.enforcement != Enforcement::Hard || !scope_matches(&b.scope, run) {
            continue;
        }
        let l = &b.limits;
        let mut max_calls = usize::MAX;
        let mut max_cost = i64::MAX;
        let mut max_wall = u64::MAX;
        let mut why = String::new();
        if b.period == Period::Run {
            if let Some(m) = l.max_tool_calls {
                max_calls = m as usize;
            }
            if let Some(m) = l.max_cost_micros {
                max_cost = m.0;
            }
            if let Some(m) = l.max_wall_ms {
                max_wall = m;
            }
        } else {
            let (from, to) = period_bounds(b, run.started_at);
            let (used_cost, used_runs) = usage(b, from, to);
            if let Some(m) = l.max_runs
                && used_runs >= m
            {
                max_calls = 0;
                max_cost = 0;
                why = format!("{used_runs} of {m} runs used this {:?}", b.period).to_lowercase();
            }
            if let Some(m) = l.max_cost_micros {
                max_cost = max_cost.min((m.0 - used_cost).max(0));
            }
        }
        let calls_over = run.tool_calls.len() > max_calls;
        let cost_over = run.cost_micros.0 > max_cost;
        let wall_over = run.latency_ms > max_wall;
        if !(calls_over || cost_over || wall_over || max_calls == 0) {
            continue;
        }
        if why.is_empty() {
            why = if calls_over {
                format!("more than {max_calls} tool calls")
            } else if wall_over {
                format!("wall time above {max_wall} ms")
            } else {
                format!("cost above {}", Micros(max_cost))
            };
        }
        // Keep calls while they fit every limit.
        let wall_end = i64::try_from(max_wall)
            .ok()
            .and_then(Duration::try_milliseconds)
            .and_then(|d| run.started_at.checked_add_signed(d));
        let mut kept = 0usize;
        let mut kept_cost = 0i64;
        for c in &run.tool_calls {
            let ends_in_time = match (c.ended_at, wall_end) {
                (Some(e), Some(w)) => e <= w,
                _ => true,
            };
            if kept >= max_calls || kept_cost + c.cost_micros.0 > max_cost || !ends_in_time {
                break;
            }
            kept += 1;
            kept_cost += c.cost_micros.0;
        }
        run.tool_calls.truncate(kept);
        model_cost = model_cost.min(max_cost - kept_cost).max(0);
        run.cost_micros = Micros(kept_cost + model_cost);
        stopped = Some((b.budget_id.clone(), why));
    }
    stopped
}

/// Whether a cap's scope covers the run.
pub(crate) fn scope_matches(scope: &BudgetScope, run: &Run) -> bool {
    let v = scope.value.as_deref();
    match scope.kind {
        ScopeKind::Backend => true,
        ScopeKind::Workflow => v == Some(run.workflow.as_str()),
        ScopeKind::Team => v.is_some() && v == run.team.as_deref(),
        ScopeKind::User => v == Some(run.user_id.as_str()),
    }
}

/// The calendar period containing `t` in the cap's time zone (core's rule); a per-run cap
/// falls back to the UTC day so callers always get bounds.
pub(crate) fn period_bounds(b: &Budget, t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    countersign_core::budget::period_bounds(b, t).unwrap_or_else(|| {
        let s = t
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        (s, s + Duration::days(1))
    })
}
